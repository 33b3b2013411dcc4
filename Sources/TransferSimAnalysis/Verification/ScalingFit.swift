import Foundation
import TransferSimFiles
import TransferSimSweeps

/// A log–log slope with its 95% interval (claims of kind `scaling`, issue 15's lemma-level checks): ordinary least
/// squares of `log y` on `log x` over the cells where both are positive and finite,
/// `b = S_xy / S_xx`, `se(b) = √(SSE / ((n − 2) S_xx))`, interval `b ± t_{0.975, n−2} se(b)`.
package struct ScalingFit: Sendable, Equatable {
    /// The fitted slope `b`.
    package let slope: Double
    /// Its 95% interval.
    package let interval: (low: Double, high: Double)
    /// Points used.
    package let count: Int

    package static func == (l: ScalingFit, r: ScalingFit) -> Bool {
        l.slope == r.slope && l.interval == r.interval && l.count == r.count
    }

    /// The fit of `points` (`x`, `y`); nil with fewer than 3 usable points or no spread in `log x`.
    package init?(_ points: [(x: Double, y: Double)]) {
        let logs = points.filter { $0.x > 0 && $0.y > 0 && $0.x.isFinite && $0.y.isFinite }.map {
            (log($0.x), log($0.y))
        }
        let n = Double(logs.count)
        guard logs.count >= 3 else { return nil }
        let meanX = logs.reduce(0) { $0 + $1.0 } / n, meanY = logs.reduce(0) { $0 + $1.1 } / n
        let sxx = logs.reduce(0) { $0 + ($1.0 - meanX) * ($1.0 - meanX) }
        let sxy = logs.reduce(0) { $0 + ($1.0 - meanX) * ($1.1 - meanY) }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx, intercept = meanY - slope * meanX
        let sse = logs.reduce(0) { $0 + pow($1.1 - intercept - slope * $1.0, 2) }
        let se = (sse / ((n - 2) * sxx)).squareRoot()
        let t = PairedComparison.studentQuantile(0.975, degrees: n - 2)
        self.slope = slope
        interval = (slope - t * se, slope + t * se)
        count = logs.count
    }
}
