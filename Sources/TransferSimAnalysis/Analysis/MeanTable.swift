import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim table DIR --rows KEY[,KEY] --cols KEY`: a metric over two or three axes of a sweep as the table a paper
/// prints — per cell its mean ± standard error and n over replicates (``SweepSummary/statistics(_:)``, so the numbers
/// are `summary.csv`'s), or with `--vary KEY=A,B` the paired difference `A − B` (``PairedComparison``: mean, 95% t
/// interval, two-sided p-value, n) of the cells that differ only in `KEY`.
///
/// Every axis that is not a row, column or `--vary` axis must have one value or be fixed by `where`; axes are named by
/// any of their keys (``SweepSpec/axisIndex(named:)``), so a zip axis counts as one.
package struct MeanTable: Sendable {
    /// What one table cell holds.
    package enum Entry: Sendable {
        /// Mean, standard error and count of the metric over replicates.
        case mean(Double, se: Double, n: Int)
        /// The paired difference A − B.
        case difference(PairedComparison)
    }

    /// Output formats.
    package enum Format: String, Sendable, CaseIterable {
        /// A GitHub/pandoc Markdown pipe table.
        case md
        /// Long CSV: one line per table cell with every number at full precision.
        case csv
        /// A LaTeX `tabular` (booktabs rules).
        case tex
    }

    /// The row keys and, per table row, their values.
    package let rowKeys: [String]
    package let rowLabels: [[String]]
    /// The column key and its values.
    package let columnKey: String
    package let columnLabels: [String]
    /// `entries[row][column]`.
    package let entries: [[Entry]]
    /// The metric, the fixed settings (`key = value`) and, with `--vary`, `KEY=A,B`.
    package let metric: String, fixed: [String], vary: String?

    /// Builds the table.
    ///
    /// - Throws: ``SweepError`` naming the option for an unknown axis or value, an axis named twice, or an axis left
    ///   with several values and not fixed.
    package init(
        _ sweep: SweepRows, rows rowNames: [String], column: String, metric: String,
        where fixed: [String: String] = [:],
        vary: (key: String, a: String, b: String)? = nil
    ) throws {
        try SweepRows.checkMetric(metric)
        guard !rowNames.isEmpty else { throw SweepError(key: "--rows", "needs at least one axis") }
        let axes = sweep.plan.spec.axes
        let rowAxes = try rowNames.map { try sweep.axis(of: $0, option: "--rows") }
        let columnAxis = try sweep.axis(of: column, option: "--cols")
        let pinned = try sweep.pins(fixed)
        var fixedText = fixed.keys.sorted().map { "\($0) = \(fixed[$0] ?? "")" }
        let varied = try vary.map { try sweep.contrastPoints($0.key, $0.a, $0.b, option: "--vary") }
        let named = rowAxes + [columnAxis] + Array(pinned.keys) + (varied.map { [$0.axis] } ?? [])
        try sweep.requireEveryAxis(named: named, option: "--rows", alternative: "name them in --rows")
        for axis in axes.indices where !named.contains(axis) && axes[axis].points.count == 1 {
            fixedText.append("\(axes[axis].name) = \(axes[axis].points[0][0])")
        }
        // Table rows: the row axes' points, the first axis outermost.
        var combinations: [[Int]] = [[]]
        for axis in rowAxes {
            combinations = combinations.flatMap { prefix in axes[axis].points.indices.map { prefix + [$0] } }
        }
        rowKeys = rowNames
        rowLabels = combinations.map { points in
            zip(rowAxes, points).enumerated().map { k, pair in axes[pair.0].values(of: rowNames[k])[pair.1] }
        }
        columnKey = column
        columnLabels = axes[columnAxis].values(of: column)
        entries = combinations.map { points in
            axes[columnAxis].points.indices.map { columnPoint in
                var coordinates = [Int](repeating: 0, count: axes.count)
                for (axis, point) in pinned { coordinates[axis] = point }
                for (axis, point) in zip(rowAxes, points) { coordinates[axis] = point }
                coordinates[columnAxis] = columnPoint
                guard let varied else {
                    let statistics = sweep.statistics(metric, cell: sweep.cellIndex(coordinates))
                    return .mean(statistics.mean, se: statistics.se, n: statistics.n)
                }
                var a = coordinates, b = coordinates
                a[varied.axis] = varied.a
                b[varied.axis] = varied.b
                // PairedComparison(x, y) is y − x: the B cell first gives A − B.
                return .difference(sweep.paired(metric, a: sweep.cellIndex(b), b: sweep.cellIndex(a)))
            }
        }
        self.metric = metric
        self.fixed = fixedText
        self.vary = vary.map { "\($0.key)=\($0.a),\($0.b)" }
    }

    /// `***`, `**`, `*` for p below 0.001, 0.01, 0.05; empty otherwise.
    package static func stars(_ p: Double) -> String {
        p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : ""
    }

    /// An entry as printed in `md` and `tex`: `mean ± se (n)` (4 significant digits), or `difference [low, high]`
    /// with its stars.
    static func text(_ entry: Entry, tex: Bool) -> String {
        let pm = tex ? " $\\pm$ " : " ± "
        func g(_ value: Double) -> String { value.isFinite ? String(format: "%.4g", value) : "—" }
        switch entry {
        case let .mean(mean, se, n): return "\(g(mean))\(se.isFinite ? pm + g(se) : "") (\(n))"
        case let .difference(c):
            let stars = stars(c.pValue)
            return "\(g(c.mean)) [\(g(c.interval.low)), \(g(c.interval.high))]"
                + (stars.isEmpty ? "" : tex ? "$^{\(stars)}$" : stars)
        }
    }

    /// The table in `format`; `md` and `tex` end with a line naming the metric, the fixed settings and the stars.
    package func render(_ format: Format) -> String {
        switch format {
        case .csv:
            let numbers =
                vary == nil
                ? ["mean", "se", "n"] : ["difference_mean", "difference_se", "ci_low", "ci_high", "p_value", "n"]
            var text = CSV.line(rowKeys + [columnKey, "metric"] + numbers)
            for (r, labels) in rowLabels.enumerated() {
                for (c, column) in columnLabels.enumerated() {
                    let values: [String]
                    switch entries[r][c] {
                    case let .mean(mean, se, n): values = [CSV.number(mean), CSV.number(se), String(n)]
                    case let .difference(p):
                        values =
                            [p.mean, p.standardError, p.interval.low, p.interval.high, p.pValue].map(CSV.number) + [
                                String(p.count)
                            ]
                    }
                    text += CSV.line(labels + [column, metric] + values)
                }
            }
            return text
        case .md:
            let header =
                "| " + (rowKeys + columnLabels.map { "\(columnKey) = \($0)" }).joined(separator: " | ") + " |\n"
            let rule = "|" + String(repeating: "---|", count: rowKeys.count + columnLabels.count) + "\n"
            let body = zip(rowLabels, entries).map { labels, row in
                "| " + (labels + row.map { Self.text($0, tex: false) }).joined(separator: " | ") + " |\n"
            }.joined()
            return header + rule + body + "\n" + caption + "\n"
        case .tex:
            func escape(_ text: String) -> String { text.replacingOccurrences(of: "_", with: "\\_") }
            var text =
                "\\begin{tabular}{" + String(repeating: "l", count: rowKeys.count)
                + String(repeating: "r", count: columnLabels.count) + "}\n\\toprule\n"
            text +=
                (rowKeys.map(escape) + columnLabels.map { "\(escape(columnKey)) = \($0)" }).joined(separator: " & ")
                + " \\\\\n\\midrule\n"
            for (labels, row) in zip(rowLabels, entries) {
                text += (labels + row.map { Self.text($0, tex: true) }).joined(separator: " & ") + " \\\\\n"
            }
            return text + "\\bottomrule\n\\end{tabular}\n% " + caption + "\n"
        }
    }

    /// What the table shows, in one line.
    package var caption: String {
        let what =
            vary.map {
                "paired difference \($0.replacingOccurrences(of: ",", with: " − ")) of \(metric), 95% interval; * p < 0.05, ** p < 0.01, *** p < 0.001"
            }
            ?? "\(metric): mean ± standard error (n replicates)"
        return what + (fixed.isEmpty ? "" : "; " + fixed.joined(separator: ", "))
    }
}
