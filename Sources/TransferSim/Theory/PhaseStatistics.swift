/// The theory quantities of MODEL.md §8 that have a published form.
public enum PhaseStatistics {
    /// Kou et al.'s phase statistic for task `k` (Theorem 4.3): `S_k = N_k ‖μ_k‖⁴ / (σ_{p,k}⁴ d)`.
    ///
    /// Benign overfitting (error ≤ p + small) for `S_k ≥ C_1`, harmful (error ≥ p + 0.1) for `S_k ≤ C_3`.
    public static func kou(sampleSize n: Int, muNorm: Double, noiseLevel sigma: Double, dimension d: Int) -> Double {
        Double(n) * pow4(muNorm) / (pow4(sigma) * Double(d))
    }

    /// The inherited strength `Λ = α N_1 ‖u‖² / (σ_{p,1}² d)` (§8 heuristic).
    public static func inheritedStrength(alpha: Double, n1: Int, uNorm: Double, noiseLevel1 sigma: Double, dimension d: Int) -> Double {
        alpha * Double(n1) * uNorm * uNorm / (sigma * sigma * Double(d))
    }

    private static func pow4(_ x: Double) -> Double { x * x * x * x }
}
