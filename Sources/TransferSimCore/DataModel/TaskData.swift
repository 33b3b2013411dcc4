/// How the noise patch is generated (docs/model.md §2).
public enum NoiseKind: String, Sendable, CaseIterable {
    /// `ξ = σ_p (I − P_k) g`: noise orthogonal to the task's signals (theory setting).
    case projected
    /// `ξ = σ_p g` (Kou et al.'s released code).
    case isotropic
}

/// The data distribution of one task (docs/model.md §2, Definitions 3.1–3.2).
package struct TaskDistribution: Sendable, Equatable {
    /// Which task's signal `μ_k` the inputs carry.
    package let task: Signals.Task
    /// The signals shared by both tasks.
    package let signals: Signals
    /// Patch dimension `d`.
    package let dimension: Int
    /// Noise level `σ_{p,k}`.
    package let noiseLevel: Double
    /// Label-flip rate `p_k ∈ [0, 1/2)`.
    package let flipRate: Double
    /// Projected or isotropic noise.
    package let noise: NoiseKind

    /// A distribution; ranges are checked by the config layer.
    package init(
        task: Signals.Task, signals: Signals, dimension: Int, noiseLevel: Double, flipRate: Double, noise: NoiseKind
    ) {
        self.task = task
        self.signals = signals
        self.dimension = dimension
        self.noiseLevel = noiseLevel
        self.flipRate = flipRate
        self.noise = noise
    }

    /// The task signal `μ_k` (dense, length `d`).
    package var mu: [Double] { signals.mu(task, dimension: dimension) }

    /// Orthonormal basis vectors of the signal span removed from the noise (empty for isotropic noise).
    package var removedDirections: [[(Int, Double)]] {
        noise == .projected ? signals.projectorBasis(task) : []
    }

    /// The samples made from standard draws (docs/model.md §2): observed label `−ŷ` iff `U < p_k`, so raising
    /// `p_k` only adds flips; noise `ξ = σ_p g` projected, `ξ − Σ_q ⟨ξ, q⟩ q` over the removed directions `q`.
    ///
    /// - Complexity: O(n d).
    package func sample(from draws: StandardDraws) -> TaskSample {
        precondition(
            draws.gaussians.cols == dimension, "StandardDraws of dimension \(draws.gaussians.cols) for d = \(dimension)"
        )
        let n = draws.count
        let observed = (0..<n).map { draws.uniforms[$0] < flipRate ? -draws.signs[$0] : draws.signs[$0] }
        var xi = draws.gaussians
        let removed = removedDirections
        let scale = noiseLevel
        // σ = 1 without projection leaves the draws as they are: keep sharing their storage (no copy).
        guard scale != 1 || !removed.isEmpty else {
            return TaskSample(mu: mu, cleanLabels: draws.signs, labels: observed, noise: xi)
        }
        if scale != 1 {
            xi.storage.withUnsafeMutableBufferPointer { buffer in
                for k in buffer.indices { buffer[k] = scale * buffer[k] }
            }
        }
        xi.projectRows(off: removed)
        return TaskSample(mu: mu, cleanLabels: draws.signs, labels: observed, noise: xi)
    }
}

/// The standard random draws behind `n` samples of dimension `d` (docs/model.md §2), before any parameter
/// other than `n` and `d` is applied: per sample a sign `ŷ` and a uniform `U` (stream `labels`), and an
/// `n × d` standard Gaussian matrix `g` (stream `noise`, row by row).
///
/// Cells that differ only in `μ`, `σ_p`, `p` or the projection reuse the same draws (``DrawCache``).
package struct StandardDraws: Sendable {
    /// Clean labels `ŷ_i ∈ {−1, +1}` (top bit of the `labels` stream).
    package let signs: [Double]
    /// Uniforms `U_i ∈ [0, 1)` deciding the flips (drawn after each sign).
    package let uniforms: [Double]
    /// Standard normals `g`, `n × d`.
    package let gaussians: Matrix

    /// Number of samples.
    package var count: Int { signs.count }

    /// The draws of stream seed `seed`: labels from `derive(seed, "labels")`, noise from `derive(seed, "noise")`,
    /// so the labels do not change when only `d` does.
    package init(count n: Int, dimension d: Int, seed: UInt64) {
        var labels = Xoshiro256StarStar(seed: StreamSeed.derive(seed, "labels"))
        var noise = Xoshiro256StarStar(seed: StreamSeed.derive(seed, "noise"))
        var signs = [Double](repeating: 0, count: n)
        var uniforms = [Double](repeating: 0, count: n)
        for i in 0..<n {
            signs[i] = labels.sign()
            uniforms[i] = labels.uniform()
        }
        self.signs = signs
        self.uniforms = uniforms
        gaussians = Matrix(rows: n, cols: d, storage: noise.normals(count: n * d))
    }
}

/// A drawn data set of one task: inputs `x_i = [ŷ_i μ_k, ξ_i]` with observed labels `y_i`.
package struct TaskSample: Sendable, Equatable {
    /// The task signal `μ_k` (length `d`); sample `i`'s signal patch is `ŷ_i μ_k`.
    package let mu: [Double]
    /// Clean labels `ŷ_i ∈ {−1, +1}`.
    package let cleanLabels: [Double]
    /// Observed (possibly flipped) labels `y_i ∈ {−1, +1}`.
    package let labels: [Double]
    /// Noise patches `ξ_i` as the rows of an `N × d` matrix.
    package let noise: Matrix

    /// A sample from its parts; all lengths must agree.
    package init(mu: [Double], cleanLabels: [Double], labels: [Double], noise: Matrix) {
        precondition(
            cleanLabels.count == noise.rows && labels.count == noise.rows && mu.count == noise.cols,
            "TaskSample parts disagree: \(cleanLabels.count), \(labels.count) labels, noise \(noise.rows)×\(noise.cols), μ \(mu.count)"
        )
        self.mu = mu
        self.cleanLabels = cleanLabels
        self.labels = labels
        self.noise = noise
    }

    /// Number of samples `N`.
    package var count: Int { labels.count }
    /// Dimension `d`.
    package var dimension: Int { mu.count }

    /// Squared norms `‖ξ_i‖²` of the noise patches.
    package var noiseSquaredNorms: [Double] {
        (0..<count).map { i in
            var total = 0.0
            for k in 0..<dimension { total += noise[i, k] * noise[i, k] }
            return total
        }
    }
}

extension TaskDistribution {
    /// Draws `n` samples from the stream seed `seed` (``StandardDraws``; `cache` reuses the last draws).
    package func sample(count n: Int, seed: UInt64, cache: DrawCache? = nil) -> TaskSample {
        sample(
            from: cache?.draws(count: n, dimension: dimension, seed: seed)
                ?? StandardDraws(count: n, dimension: dimension, seed: seed))
    }
}
