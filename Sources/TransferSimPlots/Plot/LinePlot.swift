import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// Mean ± 1 standard error against the sweep's single axis, several series side by side (Fig. 1).
package struct LinePlot: Sendable {
    /// One curve: a metric prefix of `summary.csv` (`<metric>_mean`, `<metric>_se`).
    package struct Series: Sendable {
        /// Legend text.
        package var label: String
        /// Metric name, e.g. `transfer_test_accuracy`.
        package var metric: String
        /// Stroke colour.
        package var color: String

        /// A series; see the properties.
        package init(label: String, metric: String, color: String) {
            self.label = label
            self.metric = metric
            self.color = color
        }
    }

    /// Title above the plot.
    package var title: String
    /// Y-axis caption.
    package var yLabel: String
    /// The curves.
    package var series: [Series]

    /// A plot; see the properties.
    package init(title: String, yLabel: String, series: [Series]) {
        self.title = title
        self.yLabel = yLabel
        self.series = series
    }

    /// The plot as SVG: each series a `<polyline class="series">` through its means with `<line
    /// class="errorbar">` ±1 SE bars; series are offset sideways by a few pixels so bars do not overlap.
    /// The x axis is logarithmic when all values are positive and span a factor ≥ 20.
    package func render(_ table: SweepTable) -> String {
        let plan = table.plan
        precondition(plan.spec.axes.count == 1, "LinePlot needs a 1-D sweep")
        let axis = plan.spec.axes[0]
        let xs = axis.points.map { Double($0[0]) ?? .nan }
        let logarithmic = xs.allSatisfy { $0 > 0 } && (xs.max() ?? 1) / (xs.min() ?? 1) >= 20
        let tx = { (v: Double) in logarithmic ? log10(v) : v }
        let left = 80.0, top = 44.0, width = 520.0, height = 360.0
        var svg = SVGDocument(width: left + width + 40, height: top + height + 100)
        var low = Double.infinity, high = -Double.infinity
        for s in series {
            for cell in plan.cells {
                let m = table.value(cell, "\(s.metric)_mean"), e = table.value(cell, "\(s.metric)_se")
                guard m.isFinite else { continue }
                let spread = e.isFinite ? e : 0
                low = min(low, m - spread)
                high = max(high, m + spread)
            }
        }
        if !low.isFinite { low = 0; high = 1 }
        let ticks = Ticks.nice(low, high)
        low = ticks.low
        high = ticks.high
        let xMin = tx(xs.min() ?? 0), xMax = tx(xs.max() ?? 1)
        let px = { (v: Double) in left + (xMax > xMin ? (tx(v) - xMin) / (xMax - xMin) : 0.5) * width }
        let py = { (v: Double) in top + height - (v - low) / (high - low) * height }
        svg.rect(x: left, y: top, width: width, height: height, fill: "none", stroke: "#333333")
        for v in ticks.values {
            svg.line(left, py(v), left + width, py(v), stroke: "#e5e5e5")
            svg.text(Ticks.label(v), x: left - 8, y: py(v) + 4, size: 11, anchor: "end")
        }
        for (i, point) in axis.points.enumerated() where HeatmapPlot.tickIndices(xs.count).contains(i) {
            svg.line(px(xs[i]), top + height, px(xs[i]), top + height + 5, stroke: "#333333")
            svg.text(point[0], x: px(xs[i]), y: top + height + 19, size: 11, anchor: "middle")
        }
        for (k, s) in series.enumerated() {
            let offset = (Double(k) - Double(series.count - 1) / 2) * 4
            var points: [(Double, Double)] = []
            for (i, cell) in plan.cells.enumerated() {
                let m = table.value(cell, "\(s.metric)_mean"), e = table.value(cell, "\(s.metric)_se")
                guard m.isFinite else { continue }
                let x = px(xs[i]) + offset
                points.append((x, py(m)))
                if e.isFinite {
                    svg.line(x, py(m - e), x, py(m + e), stroke: s.color, width: 1.5, cssClass: "errorbar")
                    svg.line(x - 3, py(m - e), x + 3, py(m - e), stroke: s.color, width: 1.5)
                    svg.line(x - 3, py(m + e), x + 3, py(m + e), stroke: s.color, width: 1.5)
                }
                svg.circle(x: x, y: py(m), radius: 3, fill: s.color)
            }
            svg.polyline(points, stroke: s.color, cssClass: "series")
            let legendY = top + height + 62 + Double(k) * 16
            svg.line(left, legendY - 4, left + 24, legendY - 4, stroke: s.color, width: 2)
            svg.text(s.label, x: left + 30, y: legendY, size: 12)
        }
        svg.text(
            HeatmapPlot.axisLabel(axis) + (logarithmic ? " (log scale)" : ""), x: left + width / 2,
            y: top + height + 40, size: 13, anchor: "middle")
        svg.text(yLabel, x: 22, y: top + height / 2, size: 13, anchor: "middle", rotate: -90)
        svg.text(title, x: left + width / 2, y: 26, size: 15, anchor: "middle", weight: "bold")
        return svg.text
    }
}
