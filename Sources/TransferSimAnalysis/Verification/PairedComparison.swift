import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// A paired comparison over replicates: with common random numbers, replicate `r` of two cells shares its
/// data, init and test draws, so the difference `x_r = B_r − A_r` isolates the effect of the parameter.
///
/// Reports the mean difference, a 95% Student-t interval and the two-sided t-test p-value
/// (`t = mean / (sd/√n)`, `n − 1` degrees of freedom; the t distribution function through the regularised
/// incomplete beta function, Numerical Recipes' continued fraction).
package struct PairedComparison: Sendable, Equatable {
    /// Number of pairs.
    package let count: Int
    /// Mean difference.
    package let mean: Double
    /// Standard error of the mean difference.
    package let standardError: Double
    /// 95% confidence interval of the mean difference.
    package let interval: (low: Double, high: Double)
    /// Two-sided p-value of `mean = 0`.
    package let pValue: Double

    package static func == (l: PairedComparison, r: PairedComparison) -> Bool {
        l.count == r.count && l.mean == r.mean && l.standardError == r.standardError
    }

    /// Compares paired values `b[r] − a[r]` (pairs with a non-finite side are dropped).
    package init(_ a: [Double], _ b: [Double]) {
        let differences = zip(a, b).map { $1 - $0 }.filter(\.isFinite)
        count = differences.count
        mean = count > 0 ? differences.reduce(0, +) / Double(count) : .nan
        guard count > 1 else {
            standardError = .nan
            interval = (.nan, .nan)
            pValue = .nan
            return
        }
        let centre = mean
        let variance = differences.map { ($0 - centre) * ($0 - centre) }.reduce(0, +) / Double(count - 1)
        standardError = (variance / Double(count)).squareRoot()
        let degrees = Double(count - 1)
        let quantile = Self.studentQuantile(0.975, degrees: degrees)
        interval = (mean - quantile * standardError, mean + quantile * standardError)
        if standardError == 0 {
            pValue = mean == 0 ? 1 : 0
        } else {
            let t = abs(mean / standardError)
            pValue = Self.incompleteBeta(degrees / (degrees + t * t), a: degrees / 2, b: 0.5)
        }
    }

    /// The `q` quantile of Student's t with `degrees` degrees of freedom (bisection on the distribution function).
    package static func studentQuantile(_ q: Double, degrees: Double) -> Double {
        var low = 0.0, high = 1000.0
        for _ in 0..<200 {
            let t = (low + high) / 2
            let upperTail = 0.5 * incompleteBeta(degrees / (degrees + t * t), a: degrees / 2, b: 0.5)
            if 1 - upperTail < q { low = t } else { high = t }
        }
        return (low + high) / 2
    }

    /// The regularised incomplete beta function `I_x(a, b)`.
    package static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a, b) / a }
        return 1 - front * continuedFraction(1 - x, b, a) / b
    }

    private static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var h = d
        for m in 1...300 {
            let m = Double(m)
            var numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + numerator * d; d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + numerator / c; c = abs(c) < tiny ? tiny : c
            h *= d * c
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + numerator * d; d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + numerator / c; c = abs(c) < tiny ? tiny : c
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
