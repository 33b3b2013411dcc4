import Foundation
import TransferSimCore
import TransferSimExperiment

/// A phase boundary with free exponents (`transfersim boundary DIR --free KEY,KEY,…`): logistic regression of a
/// cell's regime label (``BoundarySpec/Rule``) on the logarithms of the named keys,
/// `P(positive) = σ(a + Σ_k b_k log q_k)`, so the boundary is `Π_k q_k^{b_k} = const`. The theory fixes the ratios
/// of the exponents (Kou et al.: `S₂ = N₂‖μ₂‖⁴/(σ⁴d)`, so `b_{‖μ‖} / b_d = −4`: `d ∝ ‖μ‖⁴` on the boundary); the fit
/// tests them instead of assuming them.
public struct FreeBoundary: Sendable {
    /// One key's fitted exponent and its ratio to the first key's.
    public struct Exponent: Sendable {
        /// The key.
        public let key: String
        /// `b_k` on the log of the key.
        public let coefficient: Double
        /// `b_k / b_first`, with its 95% interval (delta method from the fit's covariance).
        public let ratio: Double, interval: (low: Double, high: Double)
        /// The theory's `e_k / e_first` for the statistic, when it is a monomial in the keys.
        public let theoryRatio: Double?
    }

    /// The exponents, in the order of the keys.
    public let exponents: [Exponent]
    /// Fraction of the labelled cells the free fit classifies correctly.
    public let accuracy: Double
    /// The same for the theory's form (`statistic = C`, ``BoundarySpec/fit(_:)``), when it can be fitted.
    public let theoryAccuracy: Double?
    /// Labelled cells used.
    public let count: Int
    /// Labelled cells left out because a key was not positive there.
    public let leftOut: Int
    /// Whether Newton's method converged.
    public let converged: Bool

    /// Fits `spec`'s labels on `table` against the logarithms of `keys`.
    ///
    /// - Throws: ``SweepError`` for an unknown key, one not positive in every labelled cell or that does not vary,
    ///   or cells of one regime only; `LAPACKError` from the solver.
    public init(_ spec: BoundarySpec, table: SweepTable, keys: [String]) throws {
        guard keys.count >= 2 else { throw SweepError(key: "--free", "name at least two keys (each exponent is reported as a ratio to the first's)") }
        guard TheoryStatistic.all.contains(where: { $0.name == spec.statistic }) else {
            throw SweepError(key: "--statistic", "unknown statistic '\(spec.statistic)'; known: \(TheoryStatistic.all.map(\.name).joined(separator: ", "))")
        }
        let fields = try keys.map { key in
            guard let field = ConfigField.named(key) else { throw SweepError(key: "--free", "unknown key '\(key)'") }
            return field
        }
        var features: [[Double]] = [], labels: [Bool] = []
        var left = 0
        for cell in table.plan.cells {
            guard let label = spec.label(cell, table) else { continue }
            let values = try fields.map { field -> Double in
                guard let value = Double(field.render(cell.config)) else {
                    throw SweepError(key: "--free", "\(field.key) must be numeric (its log is fitted), got \(field.render(cell.config))")
                }
                return value
            }
            // The log of a zero (‖μ‖ = 0) is not defined: such cells are left out and counted.
            guard values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                left += 1
                continue
            }
            features.append(values.map { log($0) })
            labels.append(label)
        }
        leftOut = left
        guard labels.contains(true), labels.contains(false) else {
            throw SweepError(key: "--free", "needs labelled cells of both regimes (got \(labels.count) cells)")
        }
        for (k, key) in keys.enumerated() where Set(features.map { $0[k] }).count < 2 {
            throw SweepError(key: "--free", "\(key) takes one value in the labelled cells; its exponent cannot be fitted")
        }
        // Centred features for conditioning; the coefficients do not change, only the intercept.
        let means = keys.indices.map { k in features.reduce(0) { $0 + $1[k] } / Double(features.count) }
        let centred = features.map { row in zip(row, means).map { $0 - $1 } }
        let regression = try LogisticRegression(features: centred, labels: labels, ridge: 1e-6)
        let covariance = try regression.covariance()
        let b = Array(regression.coefficients.dropFirst())
        let theory = TheoryStatistic.all.first { $0.name == spec.statistic }?.exponents ?? [:]
        exponents = keys.enumerated().map { k, key in
            let ratio = b[k] / b[0]
            // Delta method: ∂r/∂b_k = 1/b_0, ∂r/∂b_0 = −b_k/b_0² (indices shifted by the intercept).
            let variance = k == 0 ? 0 : covariance[k + 1, k + 1] / (b[0] * b[0]) + b[k] * b[k] * covariance[1, 1] / pow(b[0], 4)
                - 2 * b[k] * covariance[1, k + 1] / pow(b[0], 3)
            let half = 1.96 * max(variance, 0).squareRoot()
            let theoryRatio = theory[key].flatMap { e in theory[keys[0]].map { e / $0 } }
            return Exponent(key: key, coefficient: b[k], ratio: ratio, interval: (ratio - half, ratio + half), theoryRatio: theoryRatio)
        }
        let beta = regression.coefficients
        let correct = zip(centred, labels).filter { row, label in
            (zip(beta.dropFirst(), row).reduce(beta[0]) { $0 + $1.0 * $1.1 } > 0) == label
        }.count
        accuracy = Double(correct) / Double(labels.count)
        theoryAccuracy = try? spec.fit(table).accuracy
        count = labels.count
        converged = regression.converged
    }
}
