import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim diff A B --out DIR`: the difference `A − B` of two sweeps over the same grid, cell by cell.
///
/// The two sweeps must have the same axes with the same values (their fixed keys are what differs, e.g.
/// `steps2: 50` against `200`). When their base seeds agree, replicate `r` of a cell shares its random numbers
/// in both, and the difference is paired over replicates (``PairedComparison``); otherwise it is the difference
/// of the means with standard error `√(se_A² + se_B²)`. `DIR` receives `config.resolved.yaml` (A's),
/// `summary.csv` in the layout of a sweep's (its `<metric>_mean`, `_se`, `_n` columns hold the differences,
/// the key columns A's values) and, for 2-D grids, `heatmap_<metric>.csv`: `transfersim plot DIR` draws them.
package enum SweepDiff {
    /// Writes the difference of the sweeps in `a` and `b` into `output` (staged, all-or-nothing).
    ///
    /// - Returns: whether the differences are paired (equal seeds) and the number of cells.
    /// - Throws: ``SweepError`` naming the axes that differ; ``FileError`` for I/O.
    package static func write(a: URL, b: URL, output: String) throws -> (paired: Bool, cells: Int) {
        let left = try SweepRows(directory: a), right = try SweepRows(directory: b)
        let axes = { (rows: SweepRows) in rows.plan.spec.axes.map { "\($0.keys)=\($0.points)" } }
        guard axes(left) == axes(right) else {
            let names = Set(left.plan.spec.axes.flatMap(\.keys) + right.plan.spec.axes.flatMap(\.keys)).sorted().filter
            { key in
                left.plan.spec.axes.first { $0.keys.contains(key) }?.points
                    != right.plan.spec.axes.first { $0.keys.contains(key) }?.points
            }
            throw SweepError(
                key: "diff",
                "the sweeps have different grids (axes \(names.isEmpty ? "in another order" : names.joined(separator: ", "))); diff compares sweeps over the same grid"
            )
        }
        let paired = left.plan.base.seed == right.plan.base.seed
        let keyColumns = ConfigField.all.map(\.key).filter { $0 != "replicate" }
        var summary = CSV.line(SweepSummary.header)
        var means: [Int: [String: String]] = [:]
        for cell in left.plan.cells {
            var fields = [cell.id] + keyColumns.map { key in ConfigField.named(key)?.render(cell.config) ?? "" }
            let rowsA = left.values("transfer_gain", cell: cell.index).count,
                rowsB = right.values("transfer_gain", cell: cell.index).count
            fields += [String(min(rowsA, rowsB)), "0"]
            var row: [String: String] = [:]
            for metric in ExperimentResult.metricNames {
                let difference: (mean: Double, se: Double, n: Int)
                if paired {
                    let x = left.values(metric, cell: cell.index), y = right.values(metric, cell: cell.index)
                    let replicates = x.keys.filter { y[$0] != nil }.sorted()
                    let c = PairedComparison(replicates.map { y[$0]! }, replicates.map { x[$0]! })
                    difference = (c.mean, c.standardError, c.count)
                } else {
                    let p = left.statistics(metric, cell: cell.index)
                    let q = right.statistics(metric, cell: cell.index)
                    difference = (p.mean - q.mean, (p.se * p.se + q.se * q.se).squareRoot(), min(p.n, q.n))
                }
                fields += [CSV.number(difference.mean), CSV.number(difference.se), String(difference.n)]
                row[metric] = CSV.number(difference.mean)
            }
            summary += CSV.line(fields)
            means[cell.index] = row
        }
        let staged = try StagedDirectory(path: output)
        defer { staged.discard() }
        try staged.write(left.plan.resolvedYAML, to: "config.resolved.yaml")
        try staged.write(summary, to: "summary.csv")
        try staged.write(
            "A: \(a.path)\nB: \(b.path)\nsummary.csv holds A − B (\(paired ? "paired over replicates: equal seeds" : "difference of means: the seeds differ"))\n",
            to: "diff.txt")
        for metric in SweepSummary.heatmapMetrics {
            if let text = SweepSummary.heatmap(plan: left.plan, means: means, metric: metric) {
                try staged.write(text, to: "heatmap_\(metric).csv")
            }
        }
        try staged.commit()
        return (paired, left.plan.cells.count)
    }
}
