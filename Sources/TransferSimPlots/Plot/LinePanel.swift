import Foundation
import TransferSimAnalysis
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// One line-plot panel: curves of means with their 95% bands over the points of a sweep axis (``SlicePlot`` from
/// `summary.csv`, ``ContrastPlot`` from paired differences). A numeric axis spanning a factor of 20 or more is drawn
/// on a log scale; ticks are round numbers; a signed quantity gets its zero line.
struct LinePanel {
    /// One point: the axis point's index, the mean and the band's ends.
    struct Point {
        let index: Int
        let mean: Double, low: Double, high: Double
    }

    /// One curve and its legend label.
    struct Curve {
        let label: String
        let points: [Point]
    }

    let curves: [Curve]
    /// The x axis (its points label the ticks).
    let axis: SweepSpec.Axis
    let yLabel: String, heading: String
    /// Whether to draw the zero line darker (a gain or a difference).
    let zeroLine: Bool
    /// Values the y-range must cover besides the curves' (facets sharing one range; 0 for a contrast).
    var range: [Double]?

    private static let colors = [
        "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
    ]

    /// The panel as SVG.
    func document() -> SVGDocument {
        let xs = axis.points.map { Double($0[0]) ?? .nan }
        let numeric = xs.allSatisfy(\.isFinite)
        let logarithmic = numeric && xs.allSatisfy { $0 > 0 } && (xs.max() ?? 1) / (xs.min() ?? 1) >= 20
        let position = { (i: Int) -> Double in
            guard numeric else { return Double(i) }
            return logarithmic ? log10(xs[i]) : xs[i]
        }
        let all = curves.flatMap { $0.points.flatMap { [$0.low, $0.high] } } + (range ?? [])
        let ticks = Ticks.nice(all.min() ?? 0, all.max() ?? 1)
        let xLow = (0..<xs.count).map(position).min() ?? 0, xHigh = (0..<xs.count).map(position).max() ?? 1
        let left = 80.0, top = 44.0, width = 520.0, height = 360.0
        var svg = SVGDocument(width: left + width + 40, height: top + height + 80 + 16 * Double(curves.count))
        let px = { (v: Double) in left + (xHigh > xLow ? (v - xLow) / (xHigh - xLow) : 0.5) * width }
        let py = { (v: Double) in top + height - (v - ticks.low) / (ticks.high - ticks.low) * height }
        svg.rect(x: left, y: top, width: width, height: height, fill: "none", stroke: "#333333")
        for v in ticks.values {
            svg.line(left, py(v), left + width, py(v), stroke: v == 0 && zeroLine ? "#888888" : "#e5e5e5")
            svg.text(Ticks.label(v), x: left - 8, y: py(v) + 4, size: 11, anchor: "end")
        }
        for i in HeatmapPlot.tickIndices(xs.count) {
            svg.line(px(position(i)), top + height, px(position(i)), top + height + 5, stroke: "#333333")
            svg.text(axis.points[i][0], x: px(position(i)), y: top + height + 19, size: 11, anchor: "middle")
        }
        for (k, curve) in curves.enumerated() {
            let color = Self.colors[k % Self.colors.count]
            let band = curve.points.map { (x: position($0.index), mean: $0.mean, low: $0.low, high: $0.high) }
            svg.polygon(
                band.map { (px($0.x), py($0.high)) } + band.reversed().map { (px($0.x), py($0.low)) }, fill: color,
                opacity: 0.18, cssClass: "band")
            svg.polyline(band.map { (px($0.x), py($0.mean)) }, stroke: color, width: 2, cssClass: "series")
            for point in band { svg.circle(x: px(point.x), y: py(point.mean), radius: 3, fill: color) }
            let legendY = top + height + 62 + Double(k) * 16
            svg.line(left, legendY - 4, left + 24, legendY - 4, stroke: color, width: 2)
            svg.text(curve.label, x: left + 30, y: legendY, size: 12)
        }
        svg.text(
            HeatmapPlot.axisLabel(axis) + (logarithmic ? " (log scale)" : ""), x: left + width / 2,
            y: top + height + 40, size: 13, anchor: "middle")
        svg.text(yLabel, x: 22, y: top + height / 2, size: 13, anchor: "middle", rotate: -90)
        svg.text(heading, x: left + width / 2, y: 26, size: 15, anchor: "middle", weight: "bold")
        return svg
    }
}
