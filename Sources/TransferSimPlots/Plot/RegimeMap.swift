import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimSweeps

/// The regime map of a condition/conclusion claim on a 2-D sweep (`claims/<id>.svg` of `verify --claims`): each
/// cell coloured by where the claim speaks and what it found — outside the condition (grey), inside and the
/// conclusion holds (blue), inside and it fails (red) — read from the claim's `claims/<id>.csv`.
public enum RegimeMap {
    /// The SVG, or nil when the sweep is not 2-D.
    ///
    /// - Throws: ``PlotError`` for a claim file whose rows do not match the sweep's cells.
    public static func render(claim file: URL, sweep directory: URL, title: String) throws -> String? {
        let plan = try SweepPlan.load(path: directory.appendingPathComponent("config.resolved.yaml").path)
        guard plan.spec.axes.count == 2 else { return nil }
        let records = CSV.parse(try String(contentsOf: file, encoding: .utf8)).dropFirst()
        guard records.count == plan.cells.count, let width = records.first?.count, width >= 2 else {
            throw PlotError(key: file.path, "has \(records.count) rows for \(plan.cells.count) cells of \(directory.path)")
        }
        let xAxis = plan.spec.axes[0], yAxis = plan.spec.axes[1]
        let nx = xAxis.points.count, ny = yAxis.points.count
        let left = 80.0, top = 44.0, plotWidth = 480.0, plotHeight = 400.0
        var svg = SVGDocument(width: left + plotWidth + 40, height: top + plotHeight + 110)
        let cellWidth = plotWidth / Double(nx), cellHeight = plotHeight / Double(ny)
        let colors = ["outside the condition": "#d9d9d9", "conclusion holds": "#2166ac", "conclusion fails": "#b2182b"]
        for (index, record) in records.enumerated() {
            let cell = plan.cells[index]
            let (i, j) = (cell.coordinates[0], cell.coordinates[1])
            let state = record[width - 2] != "true" ? "outside the condition" : (record[width - 1] == "true" ? "conclusion holds" : "conclusion fails")
            svg.rect(x: left + Double(i) * cellWidth, y: top + plotHeight - Double(j + 1) * cellHeight, width: cellWidth + 0.3,
                     height: cellHeight + 0.3, fill: colors[state]!, cssClass: "cell",
                     title: "\(xAxis.name)=\(xAxis.points[i][0]), \(yAxis.name)=\(yAxis.points[j][0]): \(state)")
        }
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#333333")
        for i in HeatmapPlot.tickIndices(nx) {
            svg.text(xAxis.points[i][0], x: left + (Double(i) + 0.5) * cellWidth, y: top + plotHeight + 16, size: 11, anchor: "middle")
        }
        for j in HeatmapPlot.tickIndices(ny) {
            svg.text(yAxis.points[j][0], x: left - 6, y: top + plotHeight - (Double(j) + 0.5) * cellHeight + 4, size: 11, anchor: "end")
        }
        svg.text(HeatmapPlot.axisLabel(xAxis), x: left + plotWidth / 2, y: top + plotHeight + 36, size: 13, anchor: "middle")
        svg.text(HeatmapPlot.axisLabel(yAxis), x: 22, y: top + plotHeight / 2, size: 13, anchor: "middle", rotate: -90)
        svg.text(title.count > 72 ? String(title.prefix(71)) + "…" : title, x: left + plotWidth / 2, y: 26, size: 13, anchor: "middle", weight: "bold")
        for (k, state) in ["outside the condition", "conclusion holds", "conclusion fails"].enumerated() {
            let x = left + Double(k) * 170
            svg.rect(x: x, y: top + plotHeight + 56, width: 14, height: 14, fill: colors[state]!)
            svg.text(state, x: x + 20, y: top + plotHeight + 67, size: 11)
        }
        return svg.text
    }
}
