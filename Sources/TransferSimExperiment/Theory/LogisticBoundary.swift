import Foundation
import TransferSimCore

/// A fitted phase boundary `statistic = C`: logistic regression of a binary regime label on
/// `log(statistic)` (docs/model.md §8: "the constants are not given: fit them to simulations").
///
/// Model: `P(positive | S) = 1 / (1 + e^{−(a + b log S)})`; the boundary is where the two regimes are equally
/// likely, `log C = −a/b`. Maximum likelihood by Newton's method (``LogisticRegression`` with one feature): each
/// step solves the 2 × 2 normal equations `(XᵀWX + λI) Δ = Xᵀ(y − p) − λβ` with LAPACKE `dposv`. A small ridge `λ` (default 1e-4) keeps
/// the estimate finite when the classes are perfectly separated (then the boundary lies in the gap, and
/// the interval is wide). The 95% interval of `C` is `exp(log C ± 1.96 se)`, `se` by the delta method from
/// the inverse Fisher information.
package struct LogisticBoundary: Sendable, Equatable {
    /// Intercept `a`.
    package let intercept: Double
    /// Slope `b` on `log S` (positive when larger statistics mean the positive regime).
    package let slope: Double
    /// The fitted constant `C`.
    package let threshold: Double
    /// 95% confidence interval of `C`.
    package let interval: (low: Double, high: Double)
    /// Fraction of the cells that the boundary classifies correctly (positive iff `S ≥ C` when `b > 0`).
    package let accuracy: Double
    /// Cells used (both labels present, finite positive statistic).
    package let count: Int
    /// Whether Newton's method met its tolerance within ``maxIterations`` steps; when false the estimate is the
    /// last iterate and its interval is not to be trusted (the CLI and the figures say so).
    package let converged: Bool

    /// Newton steps before the fit gives up.
    package static let maxIterations = LogisticRegression.maxIterations

    /// Equal when every reported quantity is equal (the interval compared by its ends).
    package static func == (l: LogisticBoundary, r: LogisticBoundary) -> Bool {
        l.intercept == r.intercept && l.slope == r.slope && l.threshold == r.threshold
            && l.interval.low == r.interval.low
            && l.interval.high == r.interval.high && l.accuracy == r.accuracy && l.count == r.count
            && l.converged == r.converged
    }

    /// Fits the boundary to `statistics` (> 0) and their labels (`true` = positive regime).
    ///
    /// - Throws: ``FitError`` when fewer than 2 usable cells or only one class; `LAPACKError` from `dposv`.
    package static func fit(statistics: [Double], labels: [Bool], ridge: Double = 1e-4) throws -> LogisticBoundary {
        precondition(statistics.count == labels.count, "fit: \(statistics.count) statistics, \(labels.count) labels")
        let usable = zip(statistics, labels).filter { $0.0.isFinite && $0.0 > 0 }
        let x = usable.map { log($0.0) }
        let y = usable.map { $0.1 ? 1.0 : 0.0 }
        guard x.count >= 2, y.contains(1), y.contains(0) else {
            throw FitError(
                key: "boundary", "needs cells of both regimes with a positive statistic (got \(x.count) cells)")
        }
        // Centre log S for conditioning; map back at the end.
        let centre = x.reduce(0, +) / Double(x.count)
        let z = x.map { $0 - centre }
        let regression = try LogisticRegression(features: z.map { [$0] }, labels: y.map { $0 == 1 }, ridge: ridge)
        let beta = regression.coefficients, information = regression.information, converged = regression.converged
        // Covariance of (a', b) = inverse information; log C = centre − a'/b.
        let determinant = information[0, 0] * information[1, 1] - information[0, 1] * information[0, 1]
        let covariance = [
            [information[1, 1] / determinant, -information[0, 1] / determinant],
            [-information[0, 1] / determinant, information[0, 0] / determinant],
        ]
        let a = beta[0], b = beta[1]
        let logC = centre - a / b
        let g = [-1 / b, a / (b * b)]
        let variance =
            g[0] * g[0] * covariance[0][0] + 2 * g[0] * g[1] * covariance[0][1] + g[1] * g[1] * covariance[1][1]
        let se = max(variance, 0).squareRoot()
        let correct = zip(x, y).filter { ((b > 0) == ($0.0 >= logC)) == ($0.1 == 1) }.count
        return LogisticBoundary(
            intercept: a - b * centre, slope: b, threshold: exp(logC),
            interval: (exp(logC - 1.96 * se), exp(logC + 1.96 * se)),
            accuracy: Double(correct) / Double(x.count), count: x.count, converged: converged)
    }
}
