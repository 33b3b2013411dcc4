/// The forward pass of the two-layer ReLU CNN on a training set (docs/model.md §3).
///
/// `F_j(W, x) = κ Σ_r Σ_p σ(⟨w_{j,r}, x⁽ᵖ⁾⟩ + b_{j,r})`, `f = F_{+1} − F_{−1}`, `σ(z) = max(z, 0)`.
/// For `x_i = [ŷ_i μ, ξ_i]` the signal pre-activation is `ŷ_i ⟨w_{j,r}, μ⟩ + b_{j,r}` (one `dgemv`
/// for all samples) and the noise pre-activations are the `2m × N` product `W Ξᵀ + b` (one `dgemm`).
package struct Forward: Sendable {
    /// `⟨w_{j,r}, μ⟩` for every filter row (length `2m`).
    package internal(set) var signalProjections: [Double]
    /// `⟨w_{j,r}, ξ_i⟩ + b_{j,r}`, a `2m × N` matrix.
    package internal(set) var noisePreActivations: Matrix
    /// Network outputs `f(W, x_i)` (length `N`).
    package private(set) var outputs: [Double]

    /// Runs the forward pass of `parameters` on `sample`: `Wμ` by `dgemv`, `WΞᵀ` by `dgemm`.
    ///
    /// - Complexity: O(m N d) (the `dgemm`).
    package init(architecture: Architecture, parameters: Parameters, sample: TaskSample) {
        self.init(architecture: architecture, sample: sample)
        recompute(architecture: architecture, parameters: parameters, sample: sample)
    }

    /// Overwrites this pass (shaped for `sample`) with the forward pass of `parameters`: `Wμ` by `dgemv`, `WΞᵀ` by
    /// `dgemm`, then ``complete(architecture:biases:sample:)``.
    mutating func recompute(architecture: Architecture, parameters: Parameters, sample: TaskSample) {
        precondition(
            parameters.weights.rows == architecture.filterCount && parameters.weights.cols == sample.dimension,
            "Forward: filters are \(parameters.weights.rows)×\(parameters.weights.cols), expected \(architecture.filterCount)×\(sample.dimension)"
        )
        BLAS.gemv(parameters.weights, sample.mu, into: &signalProjections)
        BLAS.gemm(parameters.weights, sample.noise, transposeB: true, into: &noisePreActivations)
        complete(architecture: architecture, biases: parameters.biases, head: parameters.head, sample: sample)
    }

    /// The forward pass from the inner products `⟨w_{j,r}, μ⟩` (length `2m`) and `⟨w_{j,r}, ξ_i⟩`
    /// (`2m × N`, without bias), however they were computed (weight space or the span engine).
    ///
    /// - Complexity: O(m N).
    package init(
        architecture: Architecture, biases: [Double], head: [Double]? = nil, signalProjections projections: [Double],
        noiseProducts: Matrix, sample: TaskSample
    ) {
        signalProjections = projections
        noisePreActivations = noiseProducts
        outputs = [Double](repeating: 0, count: sample.count)
        complete(architecture: architecture, biases: biases, head: head, sample: sample)
    }

    /// A forward pass of the right shapes for `sample`, all zero: the buffer ``GradientDescent`` refills every step.
    init(architecture: Architecture, sample: TaskSample) {
        signalProjections = [Double](repeating: 0, count: architecture.filterCount)
        noisePreActivations = Matrix(rows: architecture.filterCount, cols: sample.count)
        outputs = [Double](repeating: 0, count: sample.count)
    }

    /// Turns the inner products held in ``signalProjections`` and ``noisePreActivations`` (without bias) into the
    /// forward pass in place: adds the biases and sums the outputs `f_i` (§3; with a trainable `head`, §11).
    ///
    /// With `signalTerms` `(c, m)` (the span engine, ``SpanState/completeForward(_:)``) each held product first gets
    /// `c_r m_i` (a multiplication and an addition): the pre-activation is `(⟨…⟩ + c_r m_i) + b_r`, in the same pass.
    mutating func complete(
        architecture: Architecture, biases: [Double], head: [Double]? = nil, sample: TaskSample,
        signalTerms: (coefficients: [Double], dots: [Double])? = nil
    ) {
        let rows = architecture.filterCount
        let n = sample.count
        precondition(
            signalProjections.count == rows && noisePreActivations.rows == rows && noisePreActivations.cols == n
                && biases.count == rows && outputs.count == n
                && (signalTerms.map { $0.coefficients.count == rows && $0.dots.count == n } ?? true),
            "Forward: products are \(noisePreActivations.rows)×\(noisePreActivations.cols), expected \(rows)×\(n)")
        let dots = signalTerms?.dots ?? [], projections = signalProjections
        noisePreActivations.storage.withUnsafeMutableBufferPointer { a in
            outputs.withUnsafeMutableBufferPointer { f in
                sample.cleanLabels.withUnsafeBufferPointer { yHat in
                    dots.withUnsafeBufferPointer { m in
                        f.update(repeating: 0)
                        for row in 0..<rows {
                            let bias = biases[row]
                            let sign = architecture.outputWeight(ofRow: row, head: head)
                            // ŷ ∈ {±1}: the signal patch's activation is one of two values per filter.
                            let positive = max(projections[row] + bias, 0), negative = max(-projections[row] + bias, 0)
                            let preActivations = a.baseAddress! + row * n
                            @inline(__always) func finish(_ i: Int, _ preActivation: Double) {
                                preActivations[i] = preActivation
                                f[i] += sign * ((yHat[i] > 0 ? positive : negative) + max(preActivation, 0))
                            }
                            if let c = signalTerms?.coefficients[row], let m = m.baseAddress {
                                for i in 0..<n { finish(i, (preActivations[i] + c * m[i]) + bias) }
                            } else {
                                for i in 0..<n { finish(i, preActivations[i] + bias) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Largest output magnitude `|f_i|` of a run that has not diverged (docs/model.md §4's `diverged` status).
    ///
    /// Beyond it further steps are meaningless: `ℓ'` is exactly 0 or ±1 in double precision, so gradient descent
    /// either stops moving or moves by amounts that swamp every other term, and the next products overflow. A
    /// run with `η = 10³⁰⁰` or a huge init crosses it at its first steps and reports `diverged`, not `ok` with
    /// loss 0. No meaningful run comes near it (outputs of trained models are O(10)).
    package static let divergenceBound = 1e100

    /// Whether every output satisfies `|f_i| ≤` ``divergenceBound``: then every `ℓ(y_i f_i) ≤ 10¹⁰⁰ + 1` and the
    /// loss is finite (a NaN output fails the test).
    var hasModerateOutputs: Bool {
        outputs.withUnsafeBufferPointer { f in
            var moderate = true
            for value in f { moderate = moderate && abs(value) <= Self.divergenceBound }
            return moderate
        }
    }

    /// The empirical loss `L(W) = (1/N) Σ_i ℓ(y_i f(W, x_i))` (§4).
    package func loss(labels: [Double]) -> Double {
        Forward.loss(outputs: outputs, labels: labels)
    }

    /// `(1/N) Σ_i ℓ(labels[i] · outputs[i])`, summed in index order.
    package static func loss(outputs: [Double], labels: [Double]) -> Double {
        precondition(labels.count == outputs.count, "loss: \(labels.count) labels for \(outputs.count) outputs")
        var total = 0.0
        for i in outputs.indices { total += LogisticLoss.value(labels[i] * outputs[i]) }
        return total / Double(max(outputs.count, 1))
    }

    /// Fraction of samples whose prediction (`+1` iff `f > 0`) differs from `labels`.
    package func errorRate(labels: [Double]) -> Double {
        Forward.errorRate(outputs: outputs, labels: labels)
    }

    /// Fraction of `i` with `sign(outputs[i]) ≠ labels[i]`, the prediction being `+1` iff `f > 0`.
    package static func errorRate(outputs: [Double], labels: [Double]) -> Double {
        precondition(labels.count == outputs.count, "errorRate: \(labels.count) labels for \(outputs.count) outputs")
        // A count of every comparison (no branch on it: which points are misclassified is unpredictable).
        var wrong = 0
        for i in outputs.indices { wrong &+= Int(unsafeBitCast((outputs[i] > 0) != (labels[i] > 0), to: UInt8.self)) }
        return Double(wrong) / Double(max(outputs.count, 1))
    }
}
