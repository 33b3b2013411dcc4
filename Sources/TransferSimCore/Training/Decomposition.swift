/// The signal–noise decomposition of a model trained on one task (docs/model.md §5).
///
///     w_{j,r}⁽ᵗ⁾ = w_{j,r}⁽⁰⁾ + j γ_{j,r}⁽ᵗ⁾ μ/‖μ‖² + Σ_i ρ_{j,r,i}⁽ᵗ⁾ ξ_i/‖ξ_i‖²
///
/// Accumulated exactly from the gradient coefficients of every step: with per-filter step `η_{j,r}`,
/// `γ_{j,r} += −η_{j,r} j signal_{j,r} ‖μ‖²` and `ρ_{j,r,i} += −η_{j,r} noise_{j,r,i} ‖ξ_i‖²`
/// (see ``GradientCoefficients``). A zero `μ` (or `ξ_i`) contributes nothing and its coefficient stays 0.
package struct Decomposition: Sendable, Equatable {
    /// `γ_{j,r}` (length `2m`, filter row order).
    package var gamma: [Double]
    /// `ρ_{j,r,i}`, a `2m × N` matrix.
    package var rho: Matrix

    /// All coefficients zero: the decomposition at `t = 0`.
    package init(filterCount: Int, sampleCount: Int) {
        gamma = [Double](repeating: 0, count: filterCount)
        rho = Matrix(rows: filterCount, cols: sampleCount)
    }

    /// Every coefficient NaN: a run whose update leaves the span of the patches (recipe `lora`, docs/model.md §11), where
    /// `γ` and `ρ` are not defined.
    package mutating func setUndefined() {
        gamma = gamma.map { _ in .nan }
        rho.storage = rho.storage.map { _ in .nan }
    }

    /// `max ρ̄ = max_{j = y_i} max(ρ_{j,r,i}, 0)` (noise memorised) and `min ρ̲ = min_{j = −y_i} min(ρ_{j,r,i}, 0)`
    /// (§5); NaN for an undefined decomposition (LoRA), whose NaN coefficients `max`/`min` would skip.
    ///
    /// - Complexity: O(m N).
    package func rhoExtremes(architecture: Architecture, labels: [Double]) -> (barMax: Double, underMin: Double) {
        guard !gamma.contains(where: { $0.isNaN }) else { return (.nan, .nan) }
        var barMax = 0.0, underMin = 0.0
        for row in 0..<rho.rows {
            let j = architecture.classSign(ofRow: row)
            for i in labels.indices {
                let value = rho[row, i]
                if labels[i] == j { barMax = max(barMax, value) } else { underMin = min(underMin, value) }
            }
        }
        return (barMax, underMin)
    }

    /// `γ_{j,r} / Σ_{i: y_i = j} max(ρ_{j,r,i}, 0)` for the first filter attaining `max_{j,r} γ_{j,r}` (signal learning
    /// against noise memorisation, §5); NaN when the sum is 0 or a coefficient is NaN.
    ///
    /// - Complexity: O(m + N).
    package func signalNoiseRatio(architecture: Architecture, labels: [Double]) -> Double {
        guard !gamma.contains(where: { $0.isNaN }), var best = gamma.indices.first else { return .nan }
        for row in gamma.indices where gamma[row] > gamma[best] { best = row }
        let j = architecture.classSign(ofRow: best)
        var memorised = 0.0
        for i in labels.indices where labels[i] == j { memorised += max(rho[best, i], 0) }
        return memorised > 0 ? gamma[best] / memorised : .nan
    }

    /// Adds one gradient step with `rowScales[r] = −η_{j,r}`.
    ///
    /// With `stepping`, the span engine's noise coefficients `R` (``SpanState``, `2m × N`, in exact arithmetic
    /// `ρ_{j,r,i}/‖ξ_i‖²`) take the same step in the same pass: with `s = −η_{j,r} noise_{j,r,i}`, `R_{j,r,i} += s` and
    /// `ρ_{j,r,i} += s ‖ξ_i‖²` — the operations of the two passes it replaces. Returns whether every entry of `R` it
    /// moved is finite (true without `stepping`).
    ///
    /// - Complexity: O(m N).
    @discardableResult
    package mutating func accumulate(
        _ coefficients: GradientCoefficients, rowScales: [Double], architecture: Architecture,
        muSquaredNorm: Double, noiseSquaredNorms: [Double],
        stepping noiseCoefficients: UnsafeMutablePointer<Double>? = nil
    ) -> Bool {
        let n = rho.cols
        var carries: UInt64 = 0
        for row in 0..<rho.rows {
            gamma[row] += rowScales[row] * architecture.classSign(ofRow: row) * coefficients.signal[row] * muSquaredNorm
        }
        rho.storage.withUnsafeMutableBufferPointer { r in
            coefficients.noise.storage.withUnsafeBufferPointer { c in
                noiseSquaredNorms.withUnsafeBufferPointer { xi in
                    for row in 0..<rho.rows {
                        let scale = rowScales[row]
                        guard scale != 0 else { continue }
                        let target = r.baseAddress! + row * n, source = c.baseAddress! + row * n
                        guard let stepped = noiseCoefficients.map({ $0 + row * n }) else {
                            for i in 0..<n { target[i] += scale * source[i] * xi[i] }
                            continue
                        }
                        for i in 0..<n {
                            let step = scale * source[i]
                            target[i] += step * xi[i]
                            stepped[i] += step
                            carries |= stepped[i].nonFiniteCarry
                        }
                    }
                }
            }
        }
        return carries == 0
    }

    /// `γ_row ← factors[row] γ_row`, `ρ_row ← factors[row] ρ_row` (L2-SP: `(1 − η β_sp)`, §11).
    package mutating func shrink(_ factors: [Double]) {
        for row in factors.indices where factors[row] != 1 {
            gamma[row] *= factors[row]
            for i in 0..<rho.cols { rho[row, i] *= factors[row] }
        }
    }

    /// The filters the decomposition describes: `w⁽⁰⁾ + j γ μ/‖μ‖² + Σ_i ρ_i ξ_i/‖ξ_i‖²`.
    package func reconstruct(initial: Matrix, architecture: Architecture, sample: TaskSample) -> Matrix {
        var weights = initial
        let muSquared = BLAS.dot(sample.mu, sample.mu)
        let xiSquared = sample.noiseSquaredNorms
        var scaledRho = rho
        for row in 0..<rho.rows {
            for i in 0..<rho.cols { scaledRho[row, i] = xiSquared[i] > 0 ? rho[row, i] / xiSquared[i] : 0 }
        }
        BLAS.gemm(scaledRho, sample.noise, into: &weights, beta: 1)
        if muSquared > 0 {
            let signalCoefficients = (0..<rho.rows).map { architecture.classSign(ofRow: $0) * gamma[$0] / muSquared }
            BLAS.ger(signalCoefficients, sample.mu, into: &weights)
        }
        return weights
    }
}
