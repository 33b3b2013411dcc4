import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// One heatmap panel of a 2-D sweep: the first axis on x, the second on y (increasing upwards).
package struct HeatmapPlot: Sendable {
    /// Title above the plot.
    package var title: String
    /// `summary.csv` column drawn (e.g. `transfer_test_accuracy_mean`).
    package var column: String
    /// Colours.
    package var colorMap: ColorMap
    /// Draw the boundary between cells on either side of this value (the empirical threshold contour).
    package var contour: Double?
    /// Colour-bar caption.
    package var legend: String
    /// Phase boundaries fitted on the sweep and drawn as curves `statistic = C` (``BoundarySpec``).
    package var boundaries: [BoundarySpec]
    /// Mark with a dot (`<circle class="uncertain">`) the cells whose 95% interval of the mean (`mean ± t·se`,
    /// from the column's `_se` and `_n`) contains 0.
    package var markUncertain = false

    /// A panel; see the properties.
    package init(
        title: String, column: String, colorMap: ColorMap, contour: Double? = nil, legend: String,
        boundaries: [BoundarySpec] = []
    ) {
        self.title = title
        self.column = column
        self.colorMap = colorMap
        self.contour = contour
        self.legend = legend
        self.boundaries = boundaries
    }

    private static let boundaryColors = ["#000000", "#ff00ff", "#00c0ff"]

    /// The panel as an SVG document. Cells are `<rect class="cell">` (one per grid cell, NaN grey) with
    /// a `<title>` tooltip; the contour is a `<path class="contour">` along cell edges.
    package func render(_ table: SweepTable) -> String {
        document(table).text
    }

    /// The panel as a document (``render(_:)``), for composing facets.
    package func document(_ table: SweepTable) -> SVGDocument {
        let plan = table.plan
        precondition(plan.spec.axes.count == 2, "HeatmapPlot needs a 2-D sweep")
        let xAxis = plan.spec.axes[0], yAxis = plan.spec.axes[1]
        let nx = xAxis.points.count, ny = yAxis.points.count
        let left = 80.0, top = 44.0, plotWidth = 480.0, plotHeight = 400.0
        var svg = SVGDocument(
            width: left + plotWidth + 130, height: top + plotHeight + 70 + 18 * Double(boundaries.count))
        let cellWidth = plotWidth / Double(nx), cellHeight = plotHeight / Double(ny)
        func value(_ i: Int, _ j: Int) -> Double { table.value(plan.cells[plan.cellIndex(x: i, y: j)], column) }
        func x(_ i: Double) -> Double { left + i * cellWidth }
        func y(_ j: Double) -> Double { top + plotHeight - j * cellHeight }
        for i in 0..<nx {
            for j in 0..<ny {
                let v = value(i, j)
                svg.rect(
                    x: x(Double(i)), y: y(Double(j + 1)), width: cellWidth + 0.3, height: cellHeight + 0.3,
                    fill: colorMap.color(v), cssClass: "cell",
                    title:
                        "\(xAxis.name)=\(xAxis.points[i][0]), \(yAxis.name)=\(yAxis.points[j][0]): \(v.isFinite ? String(format: "%.4f", v) : "n/a")"
                )
            }
        }
        // Cells beyond the colour scale carry a small white-edged triangle, so a clipped value is never read as the end value.
        var clipped = false
        for i in 0..<nx {
            for j in 0..<ny where colorMap.clips(value(i, j)) {
                clipped = true
                let cx = x(Double(i) + 0.5), cy = y(Double(j) + 0.5), r = min(min(cellWidth, cellHeight) * 0.12 + 2, 5)
                svg.path(
                    "M\(SVGDocument.n(cx)) \(SVGDocument.n(cy - r))L\(SVGDocument.n(cx + r)) \(SVGDocument.n(cy + r))L\(SVGDocument.n(cx - r)) \(SVGDocument.n(cy + r))Z",
                    stroke: "#ffffff", width: 1.2, cssClass: "clipped")
            }
        }
        if clipped {
            svg.text("△ beyond the colour scale", x: left + plotWidth - 150, y: top + plotHeight + 64, size: 11)
        }
        if markUncertain, column.hasSuffix("_mean") {
            let metric = String(column.dropLast(5))
            for i in 0..<nx {
                for j in 0..<ny {
                    let cell = plan.cells[plan.cellIndex(x: i, y: j)]
                    let mean = table.value(cell, column), se = table.value(cell, "\(metric)_se"),
                        n = table.value(cell, "\(metric)_n")
                    guard mean.isFinite, se.isFinite, n >= 2 else { continue }
                    if abs(mean) <= PairedComparison.studentQuantile(0.975, degrees: n - 1) * se {
                        svg.circle(
                            x: x(Double(i) + 0.5), y: y(Double(j) + 0.5),
                            radius: min(min(cellWidth, cellHeight) * 0.08 + 1.5, 4), fill: "#333333",
                            cssClass: "uncertain")
                    }
                }
            }
        }
        if let contour {
            var path = ""
            let above = { (v: Double) in v >= contour }
            for i in 0..<nx {
                for j in 0..<ny {
                    let v = value(i, j)
                    guard v.isFinite else { continue }
                    if i + 1 < nx, value(i + 1, j).isFinite, above(v) != above(value(i + 1, j)) {
                        path +=
                            "M\(SVGDocument.n(x(Double(i + 1)))) \(SVGDocument.n(y(Double(j))))V\(SVGDocument.n(y(Double(j + 1))))"
                    }
                    if j + 1 < ny, value(i, j + 1).isFinite, above(v) != above(value(i, j + 1)) {
                        path +=
                            "M\(SVGDocument.n(x(Double(i)))) \(SVGDocument.n(y(Double(j + 1))))H\(SVGDocument.n(x(Double(i + 1))))"
                    }
                }
            }
            svg.path(path, stroke: "#e8112d", width: 2.5, cssClass: "contour")
        }
        for (k, spec) in boundaries.enumerated() {
            let color = Self.boundaryColors[k % Self.boundaryColors.count]
            let legendY = top + plotHeight + 66 + 18 * Double(k)
            svg.line(left, legendY - 4, left + 28, legendY - 4, stroke: color, width: 2.5)
            guard let statistic = TheoryStatistic.all.first(where: { $0.name == spec.statistic }),
                let fit = try? spec.fit(table)
            else {
                svg.text(
                    "\(spec.label): no fit (the cells do not show both regimes)", x: left + 34, y: legendY, size: 11)
                continue
            }
            let data = BoundaryCurve.path(plan: plan, statistic: statistic, threshold: fit.threshold) { axis, t in
                axis == 0 ? x(t + 0.5) : y(t + 0.5)
            }
            svg.path(data, stroke: color, width: 2.5, cssClass: "boundary")
            svg.text(
                "\(spec.label) fitted: "
                    + String(
                        format: "C = %.3g, 95%% CI [%.3g, %.3g], %.0f%% of %d cells classified correctly",
                        fit.threshold, fit.interval.low, fit.interval.high, 100 * fit.accuracy, fit.count)
                    + (fit.converged ? "" : " (fit not converged)"),
                x: left + 34, y: legendY, size: 11)
        }
        if markUncertain {
            svg.circle(x: left + 4, y: top + plotHeight + 60, radius: 3, fill: "#333333")
            svg.text("95% interval of the mean contains 0", x: left + 12, y: top + plotHeight + 64, size: 11)
        }
        svg.rect(x: left, y: top, width: plotWidth, height: plotHeight, fill: "none", stroke: "#333333")
        for i in Self.tickIndices(nx) {
            let cx = x(Double(i) + 0.5)
            svg.line(cx, top + plotHeight, cx, top + plotHeight + 5, stroke: "#333333")
            svg.text(xAxis.points[i][0], x: cx, y: top + plotHeight + 19, size: 11, anchor: "middle")
        }
        for j in Self.tickIndices(ny) {
            let cy = y(Double(j) + 0.5)
            svg.line(left - 5, cy, left, cy, stroke: "#333333")
            svg.text(yAxis.points[j][0], x: left - 8, y: cy + 4, size: 11, anchor: "end")
        }
        svg.text(Self.axisLabel(xAxis), x: left + plotWidth / 2, y: top + plotHeight + 44, size: 13, anchor: "middle")
        svg.text(Self.axisLabel(yAxis), x: 22, y: top + plotHeight / 2, size: 13, anchor: "middle", rotate: -90)
        svg.text(title, x: left + plotWidth / 2, y: 26, size: 15, anchor: "middle", weight: "bold")
        drawColorBar(&svg, x: left + plotWidth + 24, top: top, height: plotHeight)
        return svg
    }

    private func drawColorBar(_ svg: inout SVGDocument, x: Double, top: Double, height: Double) {
        let steps = 50
        let (low, high): (Double, Double)
        switch colorMap {
        case .sequential(let l, let h): (low, high) = (l, h)
        case .diverging(let limit): (low, high) = (-limit, limit)
        case .binary(let threshold, let below):
            let labels = below ? ("≤ \(threshold)", "> \(threshold)") : ("≥ \(threshold)", "< \(threshold)")
            svg.rect(
                x: x, y: top, width: 18, height: 18, fill: colorMap.color(below ? threshold - 1 : threshold + 1),
                stroke: "#333333")
            svg.text(labels.0, x: x + 24, y: top + 14, size: 11)
            svg.rect(
                x: x, y: top + 26, width: 18, height: 18, fill: colorMap.color(below ? threshold + 1 : threshold - 1),
                stroke: "#333333")
            svg.text(labels.1, x: x + 24, y: top + 40, size: 11)
            svg.text(legend, x: x, y: top + 64, size: 11)
            return
        }
        for k in 0..<steps {
            let v = high - (high - low) * (Double(k) + 0.5) / Double(steps)
            svg.rect(
                x: x, y: top + height * Double(k) / Double(steps), width: 18, height: height / Double(steps) + 0.3,
                fill: colorMap.color(v))
        }
        svg.rect(x: x, y: top, width: 18, height: height, fill: "none", stroke: "#333333")
        for k in 0...4 {
            let v = high - (high - low) * Double(k) / 4
            let cy = top + height * Double(k) / 4
            svg.line(x + 18, cy, x + 22, cy, stroke: "#333333")
            svg.text(String(format: "%.3g", v), x: x + 25, y: cy + 4, size: 11)
        }
        svg.text(legend, x: x + 9, y: top + height + 22, size: 11, anchor: "middle")
    }

    /// At most ~8 evenly spaced tick positions, always including the first.
    static func tickIndices(_ count: Int) -> [Int] {
        let step = max(1, Int((Double(count) / 8).rounded(.up)))
        return Array(stride(from: 0, to: count, by: step))
    }

    /// An axis caption: its keys (a zip axis lists them all).
    static func axisLabel(_ axis: SweepSpec.Axis) -> String {
        axis.keys.joined(separator: " / ")
    }
}
