import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The regime map of a condition/conclusion claim on a 2-D sweep (`claims/<id>.svg` of `verify --claims`): each
/// cell coloured by where the claim speaks and what it found — outside the condition (grey), inside and the
/// conclusion holds (blue), inside and it fails (red) — read from the claim's `claims/<id>.csv`.
package enum RegimeMap {
    /// The SVG, or nil when the claim has no 2-D map: a condition claim's on a 2-D sweep, or a trend claim's over
    /// two regime axes (each regime coloured by its verdict — supported blue, contradicted red, inconclusive grey —
    /// and outlined where the theorem's condition holds).
    ///
    /// - Throws: ``PlotError`` for a claim file whose rows do not match the sweep's cells.
    package static func render(claim file: URL, sweep directory: URL, title: String) throws -> String? {
        let plan = try SweepPlan.load(path: directory.appendingPathComponent("config.resolved.yaml").path)
        let parsed = CSV.parse(try String(contentsOf: file, encoding: .utf8))
        guard let header = parsed.first else { throw PlotError(key: file.path, "is empty") }
        let records = Array(parsed.dropFirst())
        if let verdictColumn = header.firstIndex(of: "verdict") {
            // A trend claim: rows are regimes, the leading columns their axes.
            let axes = header.prefix { $0 != "pairs" }.compactMap { name in plan.spec.axes.first { $0.name == name } }
            guard axes.count == 2, records.count == axes[0].points.count * axes[1].points.count else { return nil }
            let theoryColumn = header.firstIndex(of: "theory_condition")
            let states = records.map { $0[verdictColumn] }
            let outlined = records.map { record in theoryColumn.map { record[$0] == "true" } ?? false }
            // Rows are in the plan's order with the trend axis removed: the first regime axis outermost.
            let coordinates = (0..<records.count).map { ($0 / axes[1].points.count, $0 % axes[1].points.count) }
            return draw(
                axes: (axes[0], axes[1]), cells: Array(zip(coordinates, zip(states, outlined))), title: title,
                colors: ["supported": "#2166ac", "contradicted": "#b2182b", "inconclusive": "#d9d9d9"],
                legend: ["supported", "contradicted", "inconclusive"]
                    + (outlined.contains(true) ? ["theorem's condition holds (outlined)"] : []))
        }
        guard plan.spec.axes.count == 2 else { return nil }
        guard records.count == plan.cells.count, let width = records.first?.count, width >= 2 else {
            throw PlotError(
                key: file.path, "has \(records.count) rows for \(plan.cells.count) cells of \(directory.path)")
        }
        let cells = zip(plan.cells, records).map { cell, record in
            (
                (cell.coordinates[0], cell.coordinates[1]),
                (
                    record[width - 2] != "true"
                        ? "outside the condition"
                        : (record[width - 1] == "true" ? "conclusion holds" : "conclusion fails"), false
                )
            )
        }
        return draw(
            axes: (plan.spec.axes[0], plan.spec.axes[1]), cells: cells, title: title,
            colors: ["outside the condition": "#d9d9d9", "conclusion holds": "#2166ac", "conclusion fails": "#b2182b"],
            legend: ["outside the condition", "conclusion holds", "conclusion fails"])
    }

    /// The map: one rectangle per cell `(i, j)` filled by its state's colour, outlined when flagged, with axes and legend.
    private static func draw(
        axes: (SweepSpec.Axis, SweepSpec.Axis), cells: [((Int, Int), (String, Bool))], title: String,
        colors: [String: String], legend: [String]
    ) -> String {
        let (xAxis, yAxis) = axes
        let nx = xAxis.points.count, ny = yAxis.points.count
        let left = 80.0, top = 44.0, plotWidth = 480.0, plotHeight = 400.0
        var svg = SVGDocument(width: left + plotWidth + 40, height: top + plotHeight + 110)
        let cellWidth = plotWidth / Double(nx), cellHeight = plotHeight / Double(ny)
        for ((i, j), (state, outlined)) in cells {
            let x = left + Double(i) * cellWidth, y = top + plotHeight - Double(j + 1) * cellHeight
            svg.rect(
                x: x, y: y, width: cellWidth + 0.3, height: cellHeight + 0.3, fill: colors[state] ?? "#ffffff",
                cssClass: "cell",
                title: "\(xAxis.name)=\(xAxis.points[i][0]), \(yAxis.name)=\(yAxis.points[j][0]): \(state)")
            if outlined {
                svg.rect(
                    x: x + 2, y: y + 2, width: cellWidth - 4, height: cellHeight - 4, fill: "none", stroke: "#000000")
            }
        }
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#333333")
        for i in HeatmapPlot.tickIndices(nx) {
            svg.text(
                xAxis.points[i][0], x: left + (Double(i) + 0.5) * cellWidth, y: top + plotHeight + 16, size: 11,
                anchor: "middle")
        }
        for j in HeatmapPlot.tickIndices(ny) {
            svg.text(
                yAxis.points[j][0], x: left - 6, y: top + plotHeight - (Double(j) + 0.5) * cellHeight + 4, size: 11,
                anchor: "end")
        }
        svg.text(
            HeatmapPlot.axisLabel(xAxis), x: left + plotWidth / 2, y: top + plotHeight + 36, size: 13, anchor: "middle")
        svg.text(HeatmapPlot.axisLabel(yAxis), x: 22, y: top + plotHeight / 2, size: 13, anchor: "middle", rotate: -90)
        svg.text(
            title.count > 72 ? String(title.prefix(71)) + "…" : title, x: left + plotWidth / 2, y: 26, size: 13,
            anchor: "middle", weight: "bold")
        for (k, state) in legend.enumerated() {
            let x = left + Double(k % 3) * 170, y = top + plotHeight + 56 + Double(k / 3) * 20
            if let color = colors[state] {
                svg.rect(x: x, y: y, width: 14, height: 14, fill: color)
            } else {
                svg.rect(x: x, y: y, width: 14, height: 14, fill: "none", stroke: "#000000")
            }
            svg.text(state, x: x + 20, y: y + 11, size: 11)
        }
        return svg.text
    }
}
