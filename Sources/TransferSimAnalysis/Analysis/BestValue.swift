import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim best DIR --over KEY [--by KEY,…]`: for each combination of the `--by` axes, the value of `KEY`
/// with the largest mean metric, and the set of values not significantly worse: those whose paired difference
/// to the best (over replicates, ``PairedComparison``) has a 95% interval reaching 0 or above.
package struct BestValue: Sendable {
    /// One combination of the `--by` axes.
    package struct Row: Sendable {
        /// The `--by` axes' values.
        let setting: [(key: String, value: String)]
        /// The maximising value of `KEY`, its mean and standard error.
        let best: String, mean: Double, standardError: Double
        /// Values of `KEY` not significantly worse than the best (the best included), in axis order.
        let plausible: [String]
    }

    /// The optimised key and the metric.
    package let key: String, metric: String
    /// One row per combination, in canonical order.
    package let rows: [Row]

    /// Finds the best values on `sweep`.
    ///
    /// - Throws: ``SweepError`` when `over` or a `by` key is not an axis, or another axis has several values (it
    ///   must be named in `by`), or `metric` is unknown.
    package init(_ sweep: SweepRows, over: String, by: [String], metric: String) throws {
        try SweepRows.checkMetric(metric)
        let axis = try sweep.axis(of: over, option: "--over")
        let byAxes = try by.map { try sweep.axis(of: $0, option: "--by") }
        let axes = sweep.plan.spec.axes
        let loose = axes.indices.filter { $0 != axis && !byAxes.contains($0) && axes[$0].points.count > 1 }
        guard loose.isEmpty else {
            throw SweepError(
                key: "--by",
                "the axes \(loose.map { axes[$0].name }.joined(separator: ", ")) have several values; name them in --by"
            )
        }
        key = over
        self.metric = metric
        let named = axes[axis].values(of: over)  // The values of the key named (a zip axis: that key's).
        rows = sweep.plan.cells.filter { $0.coordinates[axis] == 0 }.map { first in
            let candidates = axes[axis].points.indices.map { point -> Int in
                var coordinates = first.coordinates
                coordinates[axis] = point
                return sweep.cellIndex(coordinates)
            }
            let statistics = candidates.map { sweep.statistics(metric, cell: $0) }
            let winner =
                statistics.indices.max {
                    (statistics[$0].mean.isNaN ? -.infinity : statistics[$0].mean)
                        < (statistics[$1].mean.isNaN ? -.infinity : statistics[$1].mean)
                } ?? 0
            let plausible = candidates.indices.filter { k in
                k == winner || sweep.paired(metric, a: candidates[winner], b: candidates[k]).interval.high >= 0
            }
            return Row(
                setting: byAxes.map { ($0, axes[$0].points[first.coordinates[$0]]) }.flatMap { axis, values in
                    zip(axes[axis].keys, values).map { ($0, $1) }
                },
                best: named[winner], mean: statistics[winner].mean, standardError: statistics[winner].se,
                plausible: plausible.map { named[$0] })
        }
    }

    /// The CSV: the `--by` keys, then `metric`, `best_<KEY>`, `best_mean`, `best_se`, `not_worse` (the values not
    /// significantly worse, `;`-separated).
    package var csv: String {
        let keys = rows.first?.setting.map(\.key) ?? []
        var text = CSV.line(keys + ["metric", "best_\(key)", "best_mean", "best_se", "not_worse"])
        for row in rows {
            text += CSV.line(
                row.setting.map(\.value) + [
                    metric, row.best, CSV.number(row.mean), CSV.number(row.standardError),
                    row.plausible.joined(separator: ";"),
                ])
        }
        return text
    }

    /// `best_<KEY>_<metric>.csv`.
    package var fileName: String { "best_\(key)_\(metric).csv" }
}
