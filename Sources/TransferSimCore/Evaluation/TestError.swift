import Foundation

/// Which estimator of the task-2 test error is used (docs/model.md §7).
public enum EvaluationMethod: String, Sendable, CaseIterable {
    /// Exact-in-distribution Gaussian draws of the `2m` noise pre-activations (default; lower variance).
    case population
    /// A fresh test set of `n_test` points, as Kou et al.
    case sample
}

/// A test-error estimate of one model.
package struct TestError: Sendable, Equatable {
    /// Error against noisy labels (Bayes-optimal: `p`).
    package let error: Double
    /// Error against clean labels (Bayes-optimal: 0).
    package let cleanError: Double
    /// Monte-Carlo standard error of ``cleanError``.
    package let cleanStandardError: Double

    /// Accuracy `1 − error` against noisy labels.
    package var accuracy: Double { 1 - error }

    /// An estimate from its parts.
    package init(error: Double, cleanError: Double, cleanStandardError: Double) {
        self.error = error
        self.cleanError = cleanError
        self.cleanStandardError = cleanStandardError
    }

    /// The sample estimate from a model's outputs `f_t` on `points`: the fractions misclassified against the noisy and
    /// the clean labels, and the binomial standard error `√(e(1 − e)/n_test)` of the clean one.
    package init(outputs: [Double], points: TaskSample) {
        let clean = Forward.errorRate(outputs: outputs, labels: points.cleanLabels)
        self.init(
            error: Forward.errorRate(outputs: outputs, labels: points.labels), cleanError: clean,
            cleanStandardError: (clean * (1 - clean) / Double(max(points.count, 1))).squareRoot())
    }
}

/// Fixed test draws for one task, so that every model evaluated on them sees the same points (§7).
package struct TestDraws: Sendable {
    /// The distribution the draws represent.
    package let distribution: TaskDistribution
    /// The estimator.
    package let method: EvaluationMethod
    /// The test points (`sample`), nil for `population`.
    package let points: TaskSample?
    private let gaussians: Matrix?

    /// Draws `count` test points (`sample`) or `count` standard-normal vectors of length `2m`
    /// (`population`, row by row) from the stream seed `seed`; `cache` reuses the standard draws of test points
    /// and the population Gaussians (the same bits either way).
    package init(
        distribution: TaskDistribution, method: EvaluationMethod, count: Int, filterCount: Int, seed: UInt64,
        cache: DrawCache? = nil
    ) {
        self.distribution = distribution
        self.method = method
        switch method {
        case .sample:
            points = distribution.sample(count: count, seed: seed, cache: cache)
            gaussians = nil
        case .population:
            let draw = {
                var generator = Xoshiro256StarStar(seed: StreamSeed.derive(seed, "gaussians"))
                return Matrix(rows: count, cols: filterCount, storage: generator.normals(count: count * filterCount))
            }
            // The draws depend only on the stream, the count and 2m: cells of a sweep row share them.
            gaussians = cache?.matrix(.gaussians(seed: seed, count: count, filters: filterCount), draw) ?? draw()
            points = nil
        }
    }

    /// The test error of `model`.
    ///
    /// `sample`: the fraction of test points misclassified, against clean and against noisy labels.
    /// `population`: the noise pre-activations `a = Wξ + b ~ N(b, σ_p² W Q Wᵀ)` with `Q = I − P_k`
    /// (projected) or `I` (isotropic) are drawn as `a = b + L z`, `L Lᵀ = σ_p² (WQ)(WQ)ᵀ` (LAPACKE `dsyevd`),
    /// the signal pre-activations are `ŷ Wμ + b`; each draw scores both labels `ŷ = ±1` (each with
    /// probability ½), so the clean error is `mean_z ½(1[f(+1, a) ≤ 0] + 1[f(−1, a) > 0])` and the noisy-label
    /// error `p + (1 − 2p) e`. `(W, b)` are first divided by their largest entry (f is positively
    /// homogeneous, so predictions do not change) to keep the covariance finite.
    ///
    /// A model the span engine trained (``FinalModel/span``) is evaluated on test points through its representation,
    /// without materialising `W`: `⟨w_{j,r}, μ⟩` by ``SpanRepresentation/signalProjections(_:training:)``, and
    /// `⟨w_{j,r}, ξ_t⟩` — for a small model (``testsInBatches(_:)``) by ``SpanPass`` as a batch of one
    /// (``evaluate(_:_:on:keys:cache:)``: the same bits as in a sweep row's batch), for a larger one by
    /// ``SpanRepresentation/noiseProducts(test:training:cache:keys:)``'s `dgemm` (`keys` name the draws for `cache`).
    ///
    /// - Throws: `LAPACKError` if the covariance cannot be factorised.
    package func evaluate(
        _ architecture: Architecture, _ model: FinalModel, keys: SpanRepresentation.Keys? = nil,
        cache: DrawCache? = nil
    ) throws -> TestError {
        if let points {
            if Self.testsInBatches(model) {
                return Self.evaluate(architecture, [model], on: [self], keys: keys, cache: cache)[0]
            }
            let forward: Forward
            if let span = model.span {
                forward = Forward(
                    architecture: architecture, biases: model.biases, head: model.head,
                    signalProjections: span.representation.signalProjections(points.mu, training: span.training),
                    noiseProducts: span.representation.noiseProducts(
                        test: points, training: span.training, cache: cache, keys: keys),
                    sample: points)
            } else {
                forward = Forward(architecture: architecture, parameters: model.parameters, sample: points)
            }
            return TestError(outputs: forward.outputs, points: points)
        }
        guard let z = gaussians else { preconditionFailure("TestDraws holds neither points nor Gaussian draws") }
        return try populationError(architecture, model.parameters, z)
    }

    private func populationError(_ architecture: Architecture, _ unscaled: Parameters, _ z: Matrix) throws -> TestError
    {
        let rows = architecture.filterCount
        // f is positively homogeneous in (W, b): dividing both by their largest entry leaves every
        // prediction unchanged and keeps the covariance σ_p² W Q Wᵀ from overflowing for huge filters.
        let magnitude = unscaled.maxMagnitude
        var parameters = unscaled
        if magnitude > 0 {
            for k in parameters.weights.storage.indices { parameters.weights.storage[k] /= magnitude }
            for r in parameters.biases.indices { parameters.biases[r] /= magnitude }
        }
        var projected = parameters.weights
        projected.projectRows(off: distribution.removedDirections)
        var covariance = Matrix(rows: rows, cols: rows)
        let variance = distribution.noiseLevel * distribution.noiseLevel
        BLAS.gemm(projected, projected, transposeB: true, into: &covariance, alpha: variance)
        let factor = try SymmetricFactor.squareRoot(of: covariance)
        var activations = Matrix(rows: z.rows, cols: rows)
        BLAS.gemm(z, factor, transposeB: true, into: &activations)
        var signal = [Double](repeating: 0, count: rows)
        BLAS.gemv(parameters.weights, distribution.mu, into: &signal)
        let biases = parameters.biases, head = parameters.head
        let plus = architecture.patchOutput(biases: biases, head: head) { signal[$0] }
        let minus = architecture.patchOutput(biases: biases, head: head) { -signal[$0] }
        var total = 0.0, totalSquares = 0.0
        for k in 0..<z.rows {
            let noisePart = architecture.patchOutput(biases: biases, head: head) { activations[k, $0] }
            let wrong = ((plus + noisePart) <= 0 ? 0.5 : 0) + ((minus + noisePart) > 0 ? 0.5 : 0)
            total += wrong
            totalSquares += wrong * wrong
        }
        let n = Double(max(z.rows, 1))
        let clean = total / n
        let drawVariance = max(totalSquares / n - clean * clean, 0)
        let p = distribution.flipRate
        return TestError(
            error: p + (1 - 2 * p) * clean, cleanError: clean,
            cleanStandardError: (drawVariance / n).squareRoot())
    }
}
