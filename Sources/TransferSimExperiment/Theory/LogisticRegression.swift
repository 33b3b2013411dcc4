import Foundation
import TransferSimCore

/// Ridge-regularised logistic regression by Newton's method (IRLS): `P(y = 1 | x) = 1 / (1 + e^{−βᵀx})` with
/// `x = (1, z_1, …, z_k)`. Each step solves `(XᵀWX + λI) Δ = Xᵀ(y − p) − λβ` with LAPACKE `dposv`; it stops when
/// `Σ|Δ| < 10⁻¹⁰ (1 + Σ|β|)` or after ``maxIterations`` steps (``converged`` says which). The inverse of the last
/// information matrix is the covariance of `β` (the delta method's input). ``LogisticBoundary`` is its one-feature
/// case; ``BoundarySpec`` fits several features to test the theory's exponents.
package struct LogisticRegression: Sendable {
    /// `β`: intercept first, then one coefficient per feature.
    package let coefficients: [Double]
    /// The final information matrix `XᵀWX + λI` (`(k+1) × (k+1)`); its inverse is the covariance of ``coefficients``.
    package let information: Matrix
    /// Whether Newton's method met its tolerance.
    package let converged: Bool

    /// Newton steps before the fit gives up.
    package static let maxIterations = 100

    /// Fits `labels` (`true` = 1) on `features` (one row per observation, `k` features each).
    ///
    /// - Throws: `LAPACKError` from `dposv` (the ridge keeps the system positive definite).
    package init(features: [[Double]], labels: [Bool], ridge: Double) throws {
        let count = (features.first?.count ?? 0) + 1
        let y = labels.map { $0 ? 1.0 : 0.0 }
        var beta = [Double](repeating: 0, count: count)
        var information = Matrix(rows: count, cols: count)
        var converged = false
        for _ in 0..<Self.maxIterations {
            var gradient = beta.map { -ridge * $0 }
            information = Matrix(rows: count, cols: count)
            for a in 0..<count { information[a, a] = ridge }
            for (z, yi) in zip(features, y) {
                let x = [1.0] + z
                var eta = beta[0] * x[0]
                for a in 1..<count { eta += beta[a] * x[a] }
                let p = 1 / (1 + exp(-eta))
                let w = max(p * (1 - p), 1e-12)
                for a in 0..<count {
                    gradient[a] += (yi - p) * x[a]
                    for b in a..<count { information[a, b] += w * x[a] * x[b] }
                }
            }
            for a in 0..<count { for b in 0..<a { information[a, b] = information[b, a] } }
            let step = try SymmetricFactor.solvePositiveDefinite(information, gradient)
            for a in 0..<count { beta[a] += step[a] }
            if step.reduce(0, { $0 + abs($1) }) < 1e-10 * beta.reduce(1, { $0 + abs($1) }) {
                converged = true
                break
            }
        }
        coefficients = beta
        self.information = information
        self.converged = converged
    }

    /// The covariance of ``coefficients``: the inverse of ``information``, column by column (`dposv`).
    ///
    /// - Throws: `LAPACKError` if the information matrix is not positive definite.
    package func covariance() throws -> Matrix {
        let count = coefficients.count
        var inverse = Matrix(rows: count, cols: count)
        for column in 0..<count {
            let solution = try SymmetricFactor.solvePositiveDefinite(
                information, (0..<count).map { $0 == column ? 1 : 0 })
            for row in 0..<count { inverse[row, column] = solution[row] }
        }
        return inverse
    }
}
