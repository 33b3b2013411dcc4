import TransferSimCore

/// The theory quantities of docs/model.md §8 that have a published form.
package enum PhaseStatistics {
    /// Kou et al.'s phase statistic for task `k` (Theorem 4.3): `S_k = N_k ‖μ_k‖⁴ / (σ_{p,k}⁴ d)`.
    ///
    /// Benign overfitting (error ≤ p + small) for `S_k ≥ C_1`, harmful (error ≥ p + 0.1) for `S_k ≤ C_3`.
    package static func kou(sampleSize n: Int, muNorm: Double, noiseLevel sigma: Double, dimension d: Int) -> Double {
        Double(n) * pow4(muNorm) / (pow4(sigma) * Double(d))
    }

    /// The heuristic transfer statistic of §8: `Γ = ‖u‖⁴ / (σ_{p,2}² (‖v_1‖² + c σ_{p,1}² d / N_1))`.
    ///
    /// The shared signal's strength against what the inherited filters also carry into task 2: the
    /// task-1 feature `v_1` and the task-1 noise memorised (`∝ σ_{p,1}² d / N_1`). The paper's own Γ is
    /// not public; `c` is a constant to be fitted (default 1, **choice**). Infinite when the denominator is 0.
    package static func transfer(
        uNorm: Double, v1Norm: Double, noiseLevel1: Double, noiseLevel2: Double, n1: Int,
        dimension d: Int, c: Double = 1
    ) -> Double {
        pow4(uNorm)
            / (noiseLevel2 * noiseLevel2 * (v1Norm * v1Norm + c * noiseLevel1 * noiseLevel1 * Double(d) / Double(n1)))
    }

    /// The inherited strength `Λ = α N_1 ‖u‖² / (σ_{p,1}² d)` (§8 heuristic).
    package static func inheritedStrength(
        alpha: Double, n1: Int, uNorm: Double, noiseLevel1 sigma: Double, dimension d: Int
    ) -> Double {
        alpha * Double(n1) * uNorm * uNorm / (sigma * sigma * Double(d))
    }

    private static func pow4(_ x: Double) -> Double { x * x * x * x }
}
