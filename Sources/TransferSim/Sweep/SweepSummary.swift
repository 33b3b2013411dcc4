import Foundation

/// `summary.csv` and `heatmap_<metric>.csv` of a sweep, computed from the rows of `results.csv`.
///
/// Computed from the rows' text, with replicates in ascending order, so a fresh, a resumed and a merged
/// sweep write byte-identical files.
public enum SweepSummary {
    /// Metrics drawn as heatmaps for 2-D sweeps.
    public static let heatmapMetrics = ["transfer_test_accuracy", "baseline_test_accuracy", "transfer_gain",
                                        "transfer_test_error", "baseline_test_error",
                                        "transfer_clean_test_error", "baseline_clean_test_error"]

    /// Header of `summary.csv`: `cell_id`, every config key but `replicate`, `rows_n` (replicates present),
    /// `failed_n` (replicates with a stage `diverged` or `error`), then `x_mean`, `x_se`, `x_n` for each metric.
    public static let header = ["cell_id"] + ConfigField.all.map(\.key).filter { $0 != "replicate" } + ["rows_n", "failed_n"]
        + ExperimentResult.metricNames.flatMap { ["\($0)_mean", "\($0)_se", "\($0)_n"] }

    /// Mean, standard error (sample sd / √n; NaN for n < 2) and count of the finite values.
    public static func statistics(_ values: [Double]) -> (mean: Double, se: Double, n: Int) {
        let finite = values.filter(\.isFinite)
        let n = finite.count
        guard n > 0 else { return (.nan, .nan, 0) }
        let mean = finite.reduce(0, +) / Double(n)
        guard n > 1 else { return (mean, .nan, 1) }
        let variance = finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        return (mean, (variance / Double(n)).squareRoot(), n)
    }

    /// Rows of `results.csv` grouped by cell id, each group sorted by replicate.
    static func group(_ rows: [[String]]) -> [String: [[String]]] {
        let replicate = ResultColumns.index("replicate")
        return Dictionary(grouping: rows, by: { $0[0] }).mapValues { group in
            group.sorted { (Int($0[replicate]) ?? 0) < (Int($1[replicate]) ?? 0) }
        }
    }

    /// The per-cell summary rows, one per cell of `plan` in canonical order (cells without rows omitted).
    public static func summaryRows(plan: SweepPlan, rows: [[String]]) -> [[String]] {
        let groups = group(rows)
        let keyColumns = ConfigField.all.map(\.key).filter { $0 != "replicate" }.map(ResultColumns.index)
        let statusColumns = ExperimentResult.statusNames.map(ResultColumns.index)
        let metricColumns = ExperimentResult.metricNames.map(ResultColumns.index)
        return plan.cells.compactMap { cell -> [String]? in
            guard let group = groups[cell.id], let first = group.first else { return nil }
            let failed = group.filter { row in statusColumns.contains { row[$0] == "diverged" || row[$0] == ResultColumns.errorStatus } }.count
            var fields = [cell.id] + keyColumns.map { first[$0] } + [String(group.count), String(failed)]
            for column in metricColumns {
                let stats = statistics(group.map { Double($0[column]) ?? .nan })
                fields += [CSV.number(stats.mean), CSV.number(stats.se), String(stats.n)]
            }
            return fields
        }
    }

    /// `heatmap_<metric>.csv` for a 2-D sweep: first axis = x (columns), second = y (rows). The corner
    /// field is `<y key>\<x key>`, the first row holds the x values, each next row a y value and the means.
    public static func heatmap(plan: SweepPlan, summary: [[String]], metric: String) -> String? {
        guard plan.spec.axes.count == 2 else { return nil }
        let x = plan.spec.axes[0], y = plan.spec.axes[1]
        guard let column = header.firstIndex(of: "\(metric)_mean") else { return nil }
        let byID = Dictionary(summary.map { ($0[0], $0[column]) }, uniquingKeysWith: { a, _ in a })
        var text = CSV.line(["\(y.name)\\\(x.name)"] + x.points.map { $0[0] })
        for j in y.points.indices {
            let values = x.points.indices.map { i in byID[plan.cells[i * y.points.count + j].id] ?? "" }
            text += CSV.line([y.points[j][0]] + values)
        }
        return text
    }

    /// Writes `results.csv` sorted in canonical order (cell, then replicate) and, with `summaries`,
    /// `summary.csv` and (2-D sweeps) the heatmaps, each atomically, into `directory`.
    public static func finalize(plan: SweepPlan, rows: [[String]], directory: URL, summaries: Bool = true) throws {
        let order = Dictionary(plan.cells.map { ($0.id, $0.index) }, uniquingKeysWith: { a, _ in a })
        let replicate = ResultColumns.index("replicate")
        let sorted = rows.sorted {
            (order[$0[0]] ?? .max, Int($0[replicate]) ?? 0) < (order[$1[0]] ?? .max, Int($1[replicate]) ?? 0)
        }
        try AtomicFile.write(([ResultColumns.header] + sorted).map(CSV.line).joined(), to: directory.appendingPathComponent("results.csv"))
        guard summaries else { return }
        let summary = summaryRows(plan: plan, rows: sorted)
        try AtomicFile.write(([header] + summary).map(CSV.line).joined(), to: directory.appendingPathComponent("summary.csv"))
        for metric in heatmapMetrics {
            if let text = heatmap(plan: plan, summary: summary, metric: metric) {
                try AtomicFile.write(text, to: directory.appendingPathComponent("heatmap_\(metric).csv"))
            }
        }
    }
}
