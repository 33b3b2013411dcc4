import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim contrast DIR --vary KEY=A,B`: for every pair of cells that differ only in `KEY` (`A` against
/// `B`), the paired difference `metric(A) − metric(B)` over replicates (``PairedComparison``: mean, standard
/// error, 95% t interval, two-sided p-value, n).
package struct Contrast: Sendable {
    /// One pair of cells.
    package struct Row: Sendable {
        /// The other axes' values, shared by both cells.
        package let setting: [(key: String, value: String)]
        /// `A − B` over the paired replicates.
        package let comparison: PairedComparison
    }

    /// The varied key and its two values.
    package let key: String, a: String, b: String
    /// The metric compared.
    package let metric: String
    /// One row per pair, in canonical order of the `A` cells.
    package let rows: [Row]

    /// Computes the contrast on `sweep`.
    ///
    /// - Throws: ``SweepError`` when `key` is not an axis, `a`/`b` are not its values, or `metric` is unknown.
    package init(_ sweep: SweepRows, key: String, a: String, b: String, metric: String) throws {
        try SweepRows.checkMetric(metric)
        let (axis, pointA, pointB) = try sweep.contrastPoints(key, a, b, option: "--vary")
        self.key = key
        self.a = a
        self.b = b
        self.metric = metric
        rows = sweep.plan.cells.filter { $0.coordinates[axis] == pointA }.map { cell in
            var partner = cell.coordinates
            partner[axis] = pointB
            // PairedComparison(x, y) is y − x: the B cell first gives A − B.
            return Row(
                setting: sweep.label(cell.coordinates, excluding: [axis]),
                comparison: sweep.paired(metric, a: sweep.cellIndex(partner), b: cell.index))
        }
    }

    /// The CSV: the other axes' keys, then `metric`, `difference_mean` (`A − B`), `difference_se`, `ci_low`,
    /// `ci_high`, `p_value`, `n`.
    package var csv: String {
        let keys = rows.first?.setting.map(\.key) ?? []
        var text = CSV.line(keys + ["metric", "difference_mean", "difference_se", "ci_low", "ci_high", "p_value", "n"])
        for row in rows {
            let c = row.comparison
            text += CSV.line(
                row.setting.map(\.value) + [metric]
                    + [c.mean, c.standardError, c.interval.low, c.interval.high, c.pValue].map(CSV.number)
                    + [String(c.count)])
        }
        return text
    }

    /// The file name inside the sweep directory: `contrast_<KEY>_<A>_<B>.csv` (`_<metric>` added for a metric other
    /// than `transfer_gain`).
    package var fileName: String {
        "contrast_\(key)_\(a)_\(b)" + (metric == "transfer_gain" ? "" : "_\(metric)") + ".csv"
    }
}
