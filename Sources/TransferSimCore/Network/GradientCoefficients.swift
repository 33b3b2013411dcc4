import Foundation

/// The exact gradient of the loss as coefficients on the training patches (docs/model.md §4).
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
///
/// With a trainable head `a` (docs/model.md §11, `linear-probe`, `lp-ft`) `κ` becomes `a_{j,r}` in every formula above, and
///
///     ∇_{a_{j,r}} L = (j / N) Σ_i g_i Σ_p σ(⟨w_{j,r}, x_i⁽ᵖ⁾⟩ + b_{j,r}).
package struct GradientCoefficients: Sendable {
    /// `signal_{j,r}` (length `2m`).
    package private(set) var signal: [Double]
    /// `noise_{j,r,i}`, a `2m × N` matrix.
    package private(set) var noise: Matrix
    /// `∇_{b_{j,r}} L` (length `2m`; zero without bias).
    package private(set) var bias: [Double]
    /// `∇_{a_{j,r}} L` (length `2m`; zero without a trainable head).
    package private(set) var head: [Double]
    /// `(κ / N) g_i`, the scratch of ``update(architecture:biases:forward:sample:)`` (length `N`).
    private var scaledLossWeights: [Double]

    /// The coefficients at the point where `forward` was computed, with biases `biases`.
    ///
    /// - Complexity: O(m N).
    package init(
        architecture: Architecture, biases: [Double], head: [Double]? = nil, forward: Forward, sample: TaskSample
    ) {
        self.init(architecture: architecture, sampleCount: sample.count)
        update(architecture: architecture, biases: biases, head: head, forward: forward, sample: sample)
    }

    /// Zero coefficients of the right shapes: the buffer ``GradientDescent`` refills every step.
    init(architecture: Architecture, sampleCount n: Int) {
        signal = [Double](repeating: 0, count: architecture.filterCount)
        noise = Matrix(rows: architecture.filterCount, cols: n)
        bias = [Double](repeating: 0, count: architecture.filterCount)
        head = [Double](repeating: 0, count: architecture.filterCount)
        scaledLossWeights = [Double](repeating: 0, count: n)
    }

    /// Recomputes the coefficients in place at the point where `forward` was computed.
    ///
    /// The signal patch `ŷ_i μ` activates filter `(j, r)` for every `i` of one clean class or none, so with the
    /// class sums `S_± = Σ_{ŷ_i = ±1} g_i` the signal coefficient is `(κ j / N)(1[⟨w, μ⟩ + b > 0] S₊ −
    /// 1[−⟨w, μ⟩ + b > 0] S₋)` — the formula above, summed by class.
    ///
    /// - Complexity: O(m N).
    ///
    /// With `distillation` (docs/model.md §11, recipe `distill`) the loss derivative is the soft-label one,
    /// `N ∂L_KD/∂f_i = (1 − β) y_i ℓ'(y_i f_i) + β τ (s_i − q_i)`, `s_i = sigmoid(f_i/τ)`, `q_i` the teacher's.
    mutating func update(
        architecture: Architecture, biases: [Double], head heads: [Double]? = nil, forward: Forward, sample: TaskSample,
        distillation: Distillation? = nil
    ) {
        let rows = architecture.filterCount
        let n = sample.count
        // h_i = scale · g_i; row `row`'s coefficients are rowWeight(row) · h_i: without a head (κ/N) g_i times ±1 (as
        // before heads existed, bit for bit), with one g_i/N times j a_{j,r}.
        let scale = heads == nil ? architecture.outputScale / Double(n) : 1 / Double(n)
        let rowWeight = { (row: Int) in
            heads.map { architecture.classSign(ofRow: row) * $0[row] } ?? architecture.classSign(ofRow: row)
        }
        var positiveSum = 0.0, negativeSum = 0.0
        scaledLossWeights.withUnsafeMutableBufferPointer { h in
            sample.labels.withUnsafeBufferPointer { y in
                forward.outputs.withUnsafeBufferPointer { f in
                    /// Sample `i`'s `g_i` into the class sums (i increasing) and `h_i`.
                    @inline(__always) func add(_ g: Double, _ i: Int) {
                        if sample.cleanLabels[i] > 0 { positiveSum += g } else { negativeSum += g }
                        h[i] = scale * g
                    }
                    // ℓ' of 8 samples at a time (each lane the scalar's operations), then one; with distillation one by
                    // one.
                    var i = 0
                    while distillation == nil, i + 8 <= n, let y = y.baseAddress, let f = f.baseAddress {
                        let labels = SIMD8<Double>.load(y + i)
                        let g = LogisticLoss.derivative(labels * SIMD8<Double>.load(f + i)) * labels
                        for lane in 0..<8 { add(g[lane], i + lane) }
                        i += 8
                    }
                    while i < n {
                        var g = LogisticLoss.derivative(y[i] * f[i]) * y[i]
                        if let distillation { g = distillation.derivative(g, output: f[i], sample: i) }
                        add(g, i)
                        i += 1
                    }
                }
            }
        }
        let hasBias = architecture.hasBias
        forward.noisePreActivations.storage.withUnsafeBufferPointer { a in
            noise.storage.withUnsafeMutableBufferPointer { c in
                scaledLossWeights.withUnsafeBufferPointer { h in
                    for row in 0..<rows {
                        let preActivations = a.baseAddress! + row * n, coefficients = c.baseAddress! + row * n
                        // −(s g) = (−s) g exactly, so both classes share h = (κ/N) g.
                        let sign = rowWeight(row)
                        // σ'(a) h as a bit mask (no branch): all ones when a > 0, else +0.
                        let coefficient = { (i: Int) in
                            Double(bitPattern: (sign * h[i]).bitPattern & (preActivations[i] > 0 ? ~0 : 0))
                        }
                        // With biases, the bias gradient's noise sum Σ_i coefficients[i], in index order, in the same pass;
                        // without, no sum (its serial chain of additions would be most of the pass).
                        var noiseSum = 0.0
                        if hasBias {
                            for i in 0..<n {
                                coefficients[i] = coefficient(i)
                                noiseSum += coefficients[i]
                            }
                        } else {
                            for i in 0..<n { coefficients[i] = coefficient(i) }
                        }
                        let factor = sign * scale
                        let projection = forward.signalProjections[row], b = biases[row]
                        let positive = projection + b > 0 ? positiveSum : 0
                        let negative = -projection + b > 0 ? negativeSum : 0
                        signal[row] = factor * (positive - negative)
                        if heads != nil {
                            // (j/N) Σ_i g_i (σ(ŷ_i⟨w, μ⟩ + b) + σ(⟨w, ξ_i⟩ + b)), the signal patch summed by class.
                            var total = max(projection + b, 0) * positiveSum + max(-projection + b, 0) * negativeSum
                            total *= scale
                            for i in 0..<n { total += h[i] * max(preActivations[i], 0) }
                            head[row] = architecture.classSign(ofRow: row) * total
                        }
                        if hasBias { bias[row] = noiseSum + factor * (positive + negative) }
                    }
                }
            }
        }
    }

    /// Adds `scale_{j,r} · ∇_{w_{j,r}} L` to every filter and `scale_{j,r} · ∇_{b_{j,r}} L` to every bias.
    ///
    /// `rowScales[r] = −η_r` performs one gradient-descent step with per-filter step sizes; `1` for every
    /// row accumulates the plain gradient. One `dgemm` (noise part) and one `dger` (signal part). A head, when
    /// `parameters` has one, moves by `headScale · ∇_a L`.
    ///
    /// - Complexity: O(m N d).
    package func apply(rowScales: [Double], headScale: Double = 0, sample: TaskSample, to parameters: inout Parameters)
    {
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
        if headScale != 0, parameters.head != nil {
            for row in 0..<rows { parameters.head![row] += headScale * head[row] }
        }
    }
}

extension Parameters {
    /// The exact gradient `∇L` (filters, biases and, when there is one, the head) of these parameters on `sample`
    /// (docs/model.md §4, §11).
    package func gradient(architecture: Architecture, sample: TaskSample) -> Parameters {
        let forward = Forward(architecture: architecture, parameters: self, sample: sample)
        let coefficients = GradientCoefficients(
            architecture: architecture, biases: biases, head: head, forward: forward, sample: sample)
        var result = Parameters(
            weights: Matrix(rows: weights.rows, cols: weights.cols),
            biases: [Double](repeating: 0, count: biases.count), head: head.map { $0.map { _ in 0 } })
        coefficients.apply(
            rowScales: [Double](repeating: 1, count: weights.rows), headScale: 1, sample: sample, to: &result)
        return result
    }

    /// The loss `L` of these parameters on `sample` (docs/model.md §4).
    package func loss(architecture: Architecture, sample: TaskSample) -> Double {
        Forward(architecture: architecture, parameters: self, sample: sample).loss(labels: sample.labels)
    }
}
