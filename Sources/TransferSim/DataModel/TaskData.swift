/// How the noise patch is generated (MODEL.md §2).
public enum NoiseKind: String, Sendable, CaseIterable {
    /// `ξ = σ_p (I − P_k) g`: noise orthogonal to the task's signals (theory setting).
    case projected
    /// `ξ = σ_p g` (Kou et al.'s released code).
    case isotropic
}

/// The data distribution of one task (MODEL.md §2, Definitions 3.1–3.2).
public struct TaskDistribution: Sendable, Equatable {
    /// Which task's signal `μ_k` the inputs carry.
    public let task: Signals.Task
    /// The signals shared by both tasks.
    public let signals: Signals
    /// Patch dimension `d`.
    public let dimension: Int
    /// Noise level `σ_{p,k}`.
    public let noiseLevel: Double
    /// Label-flip rate `p_k ∈ [0, 1/2)`.
    public let flipRate: Double
    /// Projected or isotropic noise.
    public let noise: NoiseKind

    /// A distribution; ranges are checked by the config layer.
    public init(task: Signals.Task, signals: Signals, dimension: Int, noiseLevel: Double, flipRate: Double, noise: NoiseKind) {
        self.task = task
        self.signals = signals
        self.dimension = dimension
        self.noiseLevel = noiseLevel
        self.flipRate = flipRate
        self.noise = noise
    }

    /// The task signal `μ_k` (dense, length `d`).
    public var mu: [Double] { signals.mu(task, dimension: dimension) }

    /// Orthonormal basis vectors of the signal span removed from the noise (empty for isotropic noise).
    public var removedDirections: [[(Int, Double)]] {
        noise == .projected ? signals.projectorBasis(task) : []
    }

    /// Draws `n` samples.
    ///
    /// Draw order, fixed so that results are reproducible and common random numbers hold across cells:
    /// `labels` gives, per sample in turn, the clean label `ŷ` (top bit) and then a uniform `U`; the label
    /// flips iff `U < p_k`, so raising `p_k` only adds flips. `noise` gives the `n × d` Gaussian matrix
    /// `g` row by row; each row is then projected, `ξ = σ_p (g − Σ_q ⟨g, q⟩ q)` over the removed
    /// directions `q`, and scaled.
    public func sample(count n: Int, labels: inout Xoshiro256StarStar, noise noiseStream: inout Xoshiro256StarStar) -> TaskSample {
        var clean = [Double](repeating: 0, count: n)
        var observed = [Double](repeating: 0, count: n)
        for i in 0..<n {
            clean[i] = labels.sign()
            observed[i] = labels.uniform() < flipRate ? -clean[i] : clean[i]
        }
        var xi = Matrix(rows: n, cols: dimension)
        noiseStream.fillNormal(&xi.storage, scale: noiseLevel)
        let removed = removedDirections
        if !removed.isEmpty {
            xi.storage.withUnsafeMutableBufferPointer { buffer in
                for i in 0..<n {
                    let base = i * dimension
                    for q in removed {
                        var projection = 0.0
                        for (axis, value) in q { projection += buffer[base + axis] * value }
                        for (axis, value) in q { buffer[base + axis] -= projection * value }
                    }
                }
            }
        }
        return TaskSample(mu: mu, cleanLabels: clean, labels: observed, noise: xi)
    }
}

/// A drawn data set of one task: inputs `x_i = [ŷ_i μ_k, ξ_i]` with observed labels `y_i`.
public struct TaskSample: Sendable, Equatable {
    /// The task signal `μ_k` (length `d`); sample `i`'s signal patch is `ŷ_i μ_k`.
    public let mu: [Double]
    /// Clean labels `ŷ_i ∈ {−1, +1}`.
    public let cleanLabels: [Double]
    /// Observed (possibly flipped) labels `y_i ∈ {−1, +1}`.
    public let labels: [Double]
    /// Noise patches `ξ_i` as the rows of an `N × d` matrix.
    public let noise: Matrix

    /// A sample from its parts; all lengths must agree.
    public init(mu: [Double], cleanLabels: [Double], labels: [Double], noise: Matrix) {
        precondition(cleanLabels.count == noise.rows && labels.count == noise.rows && mu.count == noise.cols,
                     "TaskSample parts disagree: \(cleanLabels.count), \(labels.count) labels, noise \(noise.rows)×\(noise.cols), μ \(mu.count)")
        self.mu = mu
        self.cleanLabels = cleanLabels
        self.labels = labels
        self.noise = noise
    }

    /// Number of samples `N`.
    public var count: Int { labels.count }
    /// Dimension `d`.
    public var dimension: Int { mu.count }

    /// Squared norms `‖ξ_i‖²` of the noise patches.
    public var noiseSquaredNorms: [Double] {
        (0..<count).map { i in
            var total = 0.0
            for k in 0..<dimension { total += noise[i, k] * noise[i, k] }
            return total
        }
    }
}

extension TaskDistribution {
    /// Draws `n` samples from the stream seed `seed`: labels from `derive(seed, "labels")`, noise from
    /// `derive(seed, "noise")`, so that the labels do not change when only `d` or `σ_p` does.
    public func sample(count n: Int, seed: UInt64) -> TaskSample {
        var labels = Xoshiro256StarStar(seed: StreamSeed.derive(seed, "labels"))
        var noise = Xoshiro256StarStar(seed: StreamSeed.derive(seed, "noise"))
        return sample(count: n, labels: &labels, noise: &noise)
    }
}
