/// The forward pass of the two-layer ReLU CNN on a training set (MODEL.md §3).
///
/// `F_j(W, x) = κ Σ_r Σ_p σ(⟨w_{j,r}, x⁽ᵖ⁾⟩ + b_{j,r})`, `f = F_{+1} − F_{−1}`, `σ(z) = max(z, 0)`.
/// For `x_i = [ŷ_i μ, ξ_i]` the signal pre-activation is `ŷ_i ⟨w_{j,r}, μ⟩ + b_{j,r}` (one `dgemv`
/// for all samples) and the noise pre-activations are the `2m × N` product `W Ξᵀ + b` (one `dgemm`).
public struct Forward: Sendable {
    /// `⟨w_{j,r}, μ⟩` for every filter row (length `2m`).
    public let signalProjections: [Double]
    /// `⟨w_{j,r}, ξ_i⟩ + b_{j,r}`, a `2m × N` matrix.
    public let noisePreActivations: Matrix
    /// Network outputs `f(W, x_i)` (length `N`).
    public let outputs: [Double]

    /// Runs the forward pass of `parameters` on `sample`: `Wμ` by `dgemv`, `WΞᵀ` by `dgemm`.
    ///
    /// - Complexity: O(m N d) (the `dgemm`).
    public init(architecture: Architecture, parameters: Parameters, sample: TaskSample) {
        let rows = architecture.filterCount
        precondition(parameters.weights.rows == rows && parameters.weights.cols == sample.dimension,
                     "Forward: filters are \(parameters.weights.rows)×\(parameters.weights.cols), expected \(rows)×\(sample.dimension)")
        var projections = [Double](repeating: 0, count: rows)
        BLAS.gemv(parameters.weights, sample.mu, into: &projections)
        var products = Matrix(rows: rows, cols: sample.count)
        BLAS.gemm(parameters.weights, sample.noise, transposeB: true, into: &products)
        self.init(architecture: architecture, biases: parameters.biases, signalProjections: projections,
                  noiseProducts: products, sample: sample)
    }

    /// The forward pass from the inner products `⟨w_{j,r}, μ⟩` (length `2m`) and `⟨w_{j,r}, ξ_i⟩`
    /// (`2m × N`, without bias), however they were computed (weight space or the span engine).
    ///
    /// - Complexity: O(m N).
    public init(architecture: Architecture, biases: [Double], signalProjections projections: [Double],
                noiseProducts: Matrix, sample: TaskSample) {
        let rows = architecture.filterCount
        let n = sample.count
        precondition(projections.count == rows && noiseProducts.rows == rows && noiseProducts.cols == n && biases.count == rows,
                     "Forward: products are \(noiseProducts.rows)×\(noiseProducts.cols), expected \(rows)×\(n)")
        var noise = noiseProducts
        var outputs = [Double](repeating: 0, count: n)
        let m = architecture.filtersPerClass
        let kappa = architecture.outputScale
        noise.storage.withUnsafeMutableBufferPointer { a in
            outputs.withUnsafeMutableBufferPointer { f in
                for row in 0..<rows {
                    let bias = biases[row]
                    let sign = row < m ? kappa : -kappa
                    let projection = projections[row]
                    let base = row * n
                    for i in 0..<n {
                        a[base + i] += bias
                        let signal = sample.cleanLabels[i] * projection + bias
                        f[i] += sign * (max(signal, 0) + max(a[base + i], 0))
                    }
                }
            }
        }
        self.signalProjections = projections
        self.noisePreActivations = noise
        self.outputs = outputs
    }

    /// The empirical loss `L(W) = (1/N) Σ_i ℓ(y_i f(W, x_i))` (§4).
    public func loss(labels: [Double]) -> Double {
        precondition(labels.count == outputs.count, "loss: \(labels.count) labels for \(outputs.count) outputs")
        var total = 0.0
        for i in outputs.indices { total += LogisticLoss.value(labels[i] * outputs[i]) }
        return total / Double(max(outputs.count, 1))
    }

    /// Fraction of samples whose prediction (`+1` iff `f > 0`) differs from `labels`.
    public func errorRate(labels: [Double]) -> Double {
        Forward.errorRate(outputs: outputs, labels: labels)
    }

    /// Fraction of `i` with `sign(outputs[i]) ≠ labels[i]`, the prediction being `+1` iff `f > 0`.
    public static func errorRate(outputs: [Double], labels: [Double]) -> Double {
        precondition(labels.count == outputs.count, "errorRate: \(labels.count) labels for \(outputs.count) outputs")
        var wrong = 0
        for i in outputs.indices where (outputs[i] > 0) != (labels[i] > 0) { wrong += 1 }
        return Double(wrong) / Double(max(outputs.count, 1))
    }
}
