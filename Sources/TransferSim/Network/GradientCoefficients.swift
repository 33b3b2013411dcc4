/// The exact gradient of the loss as coefficients on the training patches (MODEL.md §4).
///
/// With `g_i = ℓ'(y_i f_i) y_i`:
///
///     ∇_{w_{j,r}} L = signal_{j,r} μ + Σ_i noise_{j,r,i} ξ_i
///     signal_{j,r}  = (κ j / N) Σ_i g_i σ'(ŷ_i⟨w_{j,r}, μ⟩ + b_{j,r}) ŷ_i
///     noise_{j,r,i} = (κ j / N) g_i σ'(⟨w_{j,r}, ξ_i⟩ + b_{j,r})
///     ∇_{b_{j,r}} L = (κ j / N) Σ_i g_i [σ'(ŷ_i⟨w_{j,r}, μ⟩ + b_{j,r}) + σ'(⟨w_{j,r}, ξ_i⟩ + b_{j,r})]
///
/// with `σ'(z) = 1[z > 0]` (so `σ'(0) = 0`). The same coefficients drive the signal–noise
/// decomposition of §5, so the gradient and `(γ, ρ)` are computed once.
public struct GradientCoefficients: Sendable {
    /// `signal_{j,r}` (length `2m`).
    public var signal: [Double]
    /// `noise_{j,r,i}`, a `2m × N` matrix.
    public var noise: Matrix
    /// `∇_{b_{j,r}} L` (length `2m`; zero without bias).
    public var bias: [Double]

    /// The coefficients at the point where `forward` was computed, with biases `biases`.
    ///
    /// - Complexity: O(m N).
    public init(architecture: Architecture, biases: [Double], forward: Forward, sample: TaskSample) {
        let rows = architecture.filterCount
        let n = sample.count
        let m = architecture.filtersPerClass
        var g = [Double](repeating: 0, count: n)
        for i in 0..<n {
            g[i] = LogisticLoss.derivative(sample.labels[i] * forward.outputs[i]) * sample.labels[i]
        }
        var signal = [Double](repeating: 0, count: rows)
        var bias = [Double](repeating: 0, count: rows)
        var noise = Matrix(rows: rows, cols: n)
        let scale = architecture.outputScale / Double(n)
        forward.noisePreActivations.storage.withUnsafeBufferPointer { a in
            noise.storage.withUnsafeMutableBufferPointer { c in
                for row in 0..<rows {
                    let factor = row < m ? scale : -scale
                    let projection = forward.signalProjections[row]
                    let b = biases[row]
                    var signalSum = 0.0
                    var biasSum = 0.0
                    let base = row * n
                    for i in 0..<n {
                        let yHat = sample.cleanLabels[i]
                        let noiseCoefficient = a[base + i] > 0 ? factor * g[i] : 0
                        c[base + i] = noiseCoefficient
                        biasSum += noiseCoefficient
                        if yHat * projection + b > 0 {
                            signalSum += factor * g[i] * yHat
                            biasSum += factor * g[i]
                        }
                    }
                    signal[row] = signalSum
                    bias[row] = architecture.hasBias ? biasSum : 0
                }
            }
        }
        self.signal = signal
        self.noise = noise
        self.bias = bias
    }

    /// Adds `scale_{j,r} · ∇_{w_{j,r}} L` to every filter and `scale_{j,r} · ∇_{b_{j,r}} L` to every bias.
    ///
    /// `rowScales[r] = −η_r` performs one gradient-descent step with per-filter step sizes; `1` for every
    /// row accumulates the plain gradient. One `dgemm` (noise part) and one `dger` (signal part).
    ///
    /// - Complexity: O(m N d).
    public func apply(rowScales: [Double], sample: TaskSample, to parameters: inout Parameters) {
        let rows = noise.rows
        precondition(rowScales.count == rows, "apply: \(rowScales.count) scales for \(rows) filters")
        var scaledNoise = noise
        let n = noise.cols
        scaledNoise.storage.withUnsafeMutableBufferPointer { c in
            for row in 0..<rows {
                let s = rowScales[row]
                for i in 0..<n { c[row * n + i] *= s }
            }
        }
        BLAS.gemm(scaledNoise, sample.noise, into: &parameters.weights, beta: 1)
        var scaledSignal = signal
        for row in 0..<rows {
            scaledSignal[row] *= rowScales[row]
            parameters.biases[row] += rowScales[row] * bias[row]
        }
        BLAS.ger(scaledSignal, sample.mu, into: &parameters.weights)
    }
}

extension Parameters {
    /// The exact gradient `∇L` (filters and biases) of these parameters on `sample` (MODEL.md §4).
    public func gradient(architecture: Architecture, sample: TaskSample) -> Parameters {
        let forward = Forward(architecture: architecture, parameters: self, sample: sample)
        let coefficients = GradientCoefficients(architecture: architecture, biases: biases, forward: forward, sample: sample)
        var result = Parameters(weights: Matrix(rows: weights.rows, cols: weights.cols),
                                biases: [Double](repeating: 0, count: biases.count))
        coefficients.apply(rowScales: [Double](repeating: 1, count: weights.rows), sample: sample, to: &result)
        return result
    }

    /// The loss `L` of these parameters on `sample` (MODEL.md §4).
    public func loss(architecture: Architecture, sample: TaskSample) -> Double {
        Forward(architecture: architecture, parameters: self, sample: sample).loss(labels: sample.labels)
    }
}
