import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// `summary.csv` and `heatmap_<metric>.csv` of a sweep, computed from the rows of `results.csv`.
///
/// Computed from the rows' text, with replicates in ascending order, so a fresh, a resumed and a merged
/// sweep write byte-identical files.
package enum SweepSummary {
    /// Metrics drawn as heatmaps for 2-D sweeps.
    package static let heatmapMetrics = [
        "transfer_test_accuracy", "baseline_test_accuracy", "transfer_gain",
        "transfer_test_error", "baseline_test_error",
        "transfer_clean_test_error", "baseline_clean_test_error",
    ]

    /// Header of `summary.csv`: `cell_id`, every config key but `replicate`, `rows_n` (replicates present),
    /// `failed_n` (replicates with a stage `diverged` or `error`), then `x_mean`, `x_se`, `x_n` for each metric.
    package static let header =
        ["cell_id"] + ConfigField.all.map(\.key).filter { $0 != "replicate" } + ["rows_n", "failed_n"]
        + ExperimentResult.metricNames.flatMap { ["\($0)_mean", "\($0)_se", "\($0)_n"] }

    /// Mean, standard error (sample sd / √n; NaN for n < 2) and count of the finite values.
    package static func statistics(_ values: [Double]) -> (mean: Double, se: Double, n: Int) {
        let finite = values.filter(\.isFinite)
        let n = finite.count
        guard n > 0 else { return (.nan, .nan, 0) }
        let mean = finite.reduce(0, +) / Double(n)
        guard n > 1 else { return (mean, .nan, 1) }
        let variance = finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        return (mean, (variance / Double(n)).squareRoot(), n)
    }

    /// `results.csv` columns of the config keys but `replicate`, of the metrics and of the stage statuses.
    private static let keyColumns = ConfigField.all.map(\.key).filter { $0 != "replicate" }.map(ResultColumns.index)
    private static let metricColumns = ExperimentResult.metricNames.map(ResultColumns.index)
    private static let statusColumns = ExperimentResult.statusNames.map(ResultColumns.index)
    private static let replicateColumn = ResultColumns.index("replicate")
    private static let messageColumn = ResultColumns.index("message")
    /// Where each heatmap metric's mean lies in a summary row.
    private static let heatmapMeanColumns = heatmapMetrics.map { metric in header.firstIndex(of: "\(metric)_mean")! }

    /// The summary row of `cell` from its rows (replicates ascending).
    private static func summaryRow(_ cell: SweepPlan.Cell, _ rows: [RowFields]) -> [String] {
        let failed = rows.filter(isFailure).count
        var fields = [cell.id] + keyColumns.map { rows[0].text($0) } + [String(rows.count), String(failed)]
        for column in metricColumns {
            let stats = statistics(rows.map { Double($0.text(column)) ?? .nan })
            fields += [CSV.number(stats.mean), CSV.number(stats.se), String(stats.n)]
        }
        return fields
    }

    /// Whether a row has a stage `diverged` or `error`.
    private static func isFailure(_ row: RowFields) -> Bool {
        statusColumns.contains { row.text($0) == "diverged" || row.text($0) == ResultColumns.errorStatus }
    }

    /// `heatmap_<metric>.csv` for a 2-D sweep from the cells' means: first axis = x (columns), second = y
    /// (rows). The corner field is `<y key>\<x key>`, the first row holds the x values, each next row a y
    /// value and the means.
    package static func heatmap(plan: SweepPlan, means: [Int: [String: String]], metric: String) -> String? {
        guard plan.spec.axes.count == 2 else { return nil }
        let x = plan.spec.axes[0], y = plan.spec.axes[1]
        var text = CSV.line(["\(y.name)\\\(x.name)"] + x.points.map { $0[0] })
        for j in y.points.indices {
            let values = x.points.indices.map { i in means[plan.cellIndex(x: i, y: j)]?[metric] ?? "" }
            text += CSV.line([y.points[j][0]] + values)
        }
        return text
    }

    /// What ``finalize(plan:index:directory:summaries:)`` writes of one cell besides its rows: a line for each row with a
    /// stage `diverged` or `error`, and the summary row (when summarising).
    private struct Digest: Sendable {
        let failures: [String]
        let summary: [String]?
    }

    /// One `results.csv` line whose fields are decoded when asked for: a summary reads about half of a row's 103
    /// fields, and decoding every one was most of finishing a large sweep.
    private struct RowFields {
        let bytes: [UInt8]
        /// Field `f` is `bytes[bounds[f]..<bounds[f + 1] - 1]`, quotes included.
        let bounds: [Int]

        /// The fields of `line` (a comma inside quotes belongs to its field; a doubled quote toggles twice).
        init(_ line: String) {
            bytes = Array(line.utf8)
            var bounds = [0], quoted = false
            for (index, byte) in bytes.enumerated() {
                if byte == UInt8(ascii: "\"") {
                    quoted.toggle()
                } else if byte == UInt8(ascii: ","), !quoted {
                    bounds.append(index + 1)
                }
            }
            bounds.append(bytes.count + 1)
            self.bounds = bounds
        }

        /// Field `f` as ``CSV/parse(_:keep:)`` reads it ("" beyond the last field).
        func text(_ f: Int) -> String {
            guard f + 1 < bounds.count else { return "" }
            let field = bytes[bounds[f]..<(bounds[f + 1] - 1)]
            guard field.contains(UInt8(ascii: "\"")) else { return String(decoding: field, as: UTF8.self) }
            return CSV.parse(String(decoding: field, as: UTF8.self) + "\n").first?.first ?? ""
        }
    }

    /// The digest of `cell` from its rows' `lines` (replicates ascending); nil when it has none.
    private static func digest(_ cell: SweepPlan.Cell, lines: [String], summarise: Bool) -> Digest? {
        guard !lines.isEmpty else { return nil }
        let rows = lines.map(RowFields.init)
        let failures = rows.filter(isFailure).map { row in
            let statuses = statusColumns.map { row.text($0) }.joined(separator: "/")
            let message = row.text(messageColumn)
            return
                "cell \(cell.id) replicate \(row.text(replicateColumn)): \(statuses)\(message.isEmpty ? "" : " (\(message))")"
        }
        return Digest(failures: failures, summary: summarise ? summaryRow(cell, rows) : nil)
    }

    /// Writes `results.csv` in canonical order (cell, then replicate) and, with `summaries`, `summary.csv`
    /// and (2-D sweeps) the heatmaps into `directory`, each atomically, streaming one cell at a time from
    /// `index`: the plan's (cell, replicate) pairs only (``ResultsIndex/outside(_:)`` are left out). Returns a line for
    /// every row with a stage `diverged` or `error`.
    ///
    /// - Throws: ``FileError`` on an I/O failure.
    @discardableResult
    package static func finalize(
        plan: SweepPlan, index: ResultsIndex, directory: URL, summaries: Bool = true
    ) throws -> [String] {
        let results = try StreamingFile(directory.appendingPathComponent("results.csv"))
        let summary = summaries ? try StreamingFile(directory.appendingPathComponent("summary.csv")) : nil
        try results.write(CSV.line(ResultColumns.header))
        try summary?.write(CSV.line(header))
        var means: [Int: [String: String]] = [:]
        var failures: [String] = []
        // Blocks of cells: their rows read, parsed and summarised on every core, written in order (the same bytes as one
        // by one; memory holds one block's rows).
        let blockSize = 256
        for start in stride(from: 0, to: plan.cells.count, by: blockSize) {
            let cells = Array(plan.cells[start..<min(start + blockSize, plan.cells.count)])
            let read = try parallelMap(cells.count) { k in
                Result {
                    let lines = try index.lines(of: cells[k].id, replicates: plan.spec.replicates)
                    return (lines: lines, digest: digest(cells[k], lines: lines, summarise: summaries))
                }
            }.map { try $0.get() }
            let (lines, digests) = (read.map(\.lines), read.map(\.digest))
            for (k, cell) in cells.enumerated() where !lines[k].isEmpty {
                for line in lines[k] {
                    try results.write(line)
                    try results.write("\n")
                }
                guard let digest = digests[k] else { continue }
                failures += digest.failures
                guard let summary, let row = digest.summary else { continue }
                try summary.write(CSV.line(row))
                if plan.spec.axes.count == 2 {
                    means[cell.index] = Dictionary(
                        zip(heatmapMetrics, heatmapMeanColumns.map { row[$0] }), uniquingKeysWith: { a, _ in a })
                }
            }
        }
        FaultInjection.point("finalize-before-results")
        try results.commit()
        FaultInjection.point("finalize-after-results")
        try summary?.commit()
        FaultInjection.point("finalize-after-summary")
        if summaries {
            for metric in heatmapMetrics {
                if let text = heatmap(plan: plan, means: means, metric: metric) {
                    try AtomicFile.write(text, to: directory.appendingPathComponent("heatmap_\(metric).csv"))
                    FaultInjection.point("finalize-after-heatmap")
                }
            }
        }
        return failures
    }
}
