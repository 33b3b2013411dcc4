import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimSweeps

/// `transfersim plot DIR --x KEY [--y KEY] [--series KEY] [--where KEY=VALUE]… [--metric COLUMN]`: any slice of a
/// sweep of any dimension (``SweepTable/slice(axes:fixed:)``).
///
/// With `--x` and `--y`, a heatmap of the metric's mean; its colour range comes from the data (symmetric about 0
/// for a gain or a difference, with the zero contour), and cells whose 95% interval contains 0 are marked with a
/// dot (for the gain, each replicate's value is already the paired transfer − baseline difference, so this is the
/// paired interval). With `--x` alone, one line per `--series` value with its 95% interval band (mean ± t·se,
/// t of `n − 1` degrees of freedom). Titles state the fixed settings; ticks are round numbers.
public struct SlicePlot: Sendable {
    /// `summary.csv` metric (without `_mean`), e.g. `transfer_gain`.
    public var metric: String
    /// The x axis (its first key).
    public var x: String
    /// The y axis for a heatmap.
    public var y: String?
    /// One line per value of this axis (line plots).
    public var series: String?
    /// Values fixing the other axes.
    public var fixed: [String: String]
    /// One panel per value of this axis, side by side (heatmaps share one colour range).
    public var facet: String?

    /// A slice plot; see the properties.
    public init(metric: String, x: String, y: String? = nil, series: String? = nil, facet: String? = nil, fixed: [String: String] = [:]) {
        self.metric = metric
        self.x = x
        self.y = y
        self.series = series
        self.facet = facet
        self.fixed = fixed
    }

    /// Whether the metric is a signed difference (drawn on a diverging map about 0).
    var signed: Bool { metric.contains("gain") }

    /// The file name for the sweep directory `name`: `<name>_<metric>_<x>[_<y>|_by_<series>][_<key>-<value>…].svg`.
    public func fileName(sweep name: String) -> String {
        var parts = [name, metric, x]
        if let y { parts.append(y) }
        if let series { parts += ["by", series] }
        if let facet { parts += ["facet", facet] }
        parts += fixed.keys.sorted().map { "\($0)-\(fixed[$0]!)" }
        return parts.joined(separator: "_") + ".svg"
    }

    /// The SVG of the slice of `table`.
    ///
    /// - Throws: ``PlotError`` for a metric `summary.csv` lacks, ``SweepError`` for axes (see the slice).
    public func render(_ table: SweepTable) throws -> String {
        guard table.has("\(metric)_mean") else {
            throw PlotError(key: "--metric", "summary.csv has no column \(metric)_mean (metrics: the columns of results.csv, e.g. transfer_gain, transfer_test_accuracy)")
        }
        if y != nil, series != nil { throw PlotError(key: "--series", "draws lines; a heatmap (--x and --y) has no series") }
        guard let facet else { return try panel(table, range: nil).text }
        guard let axis = table.plan.spec.axes.first(where: { $0.isNamed(facet) }), ![x, y, series].contains(facet) else {
            throw SweepError(key: "--facet", "'\(facet)' is not an axis of this sweep other than the plotted ones (axes: \(table.plan.spec.axes.map(\.name).joined(separator: ", ")))")
        }
        let panels = axis.values(of: facet).map { value in
            SlicePlot(metric: metric, x: x, y: y, series: series, fixed: fixed.merging([facet: value]) { _, new in new })
        }
        // Heatmap facets share one colour range, so equal colours mean equal values across panels.
        let range = try y == nil ? nil : panels.flatMap { try $0.heatmapValues(table) }
        return SVGDocument.sideBySide(try panels.map { try $0.panel(table, range: range) }).text
    }

    /// The finite means of the heatmap slice.
    private func heatmapValues(_ table: SweepTable) throws -> [Double] {
        guard let y else { return [] }
        let slice = try table.slice(axes: [("--x", x), ("--y", y)], fixed: fixed)
        return slice.plan.cells.map { slice.value($0, "\(metric)_mean") }.filter(\.isFinite)
    }

    /// One panel: the heatmap (colour range from `range`, else from its own values) or the lines.
    private func panel(_ table: SweepTable, range: [Double]?) throws -> SVGDocument {
        guard let y else { return try lines(table) }
        let slice = try table.slice(axes: [("--x", x), ("--y", y)], fixed: fixed)
        let values = try range ?? heatmapValues(table)
        let largest = values.map(abs).max() ?? 0
        let map: ColorMap = signed ? .diverging(limit: largest > 0 ? Ticks.round(largest * 1.0000001) : 1)
            : .sequential(low: values.min() ?? 0, high: values.max() ?? 1)
        var plot = HeatmapPlot(title: title(slice), column: "\(metric)_mean", colorMap: map, contour: signed ? 0 : nil, legend: metric)
        plot.markUncertain = true
        return plot.document(slice)
    }

    private func title(_ slice: SweepTable) -> String {
        metric.replacingOccurrences(of: "_", with: " ") + (slice.fixedSettings.isEmpty ? "" : " — " + slice.fixedSettings.joined(separator: ", "))
    }

    private func lines(_ table: SweepTable) throws -> SVGDocument {
        var curves: [(label: String, slice: SweepTable)] = []
        if let series {
            guard let axis = table.plan.spec.axes.first(where: { $0.isNamed(series) }), series != x else {
                throw SweepError(key: "--series", "'\(series)' is not an axis of this sweep other than --x (axes: \(table.plan.spec.axes.map(\.name).joined(separator: ", ")))")
            }
            for point in axis.values(of: series) {
                curves.append(("\(series) = \(point)", try table.slice(axes: [("--x", x)], fixed: fixed.merging([series: point]) { _, new in new })))
            }
        } else {
            curves.append((metric.replacingOccurrences(of: "_", with: " "), try table.slice(axes: [("--x", x)], fixed: fixed)))
        }
        let colors = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
        let axis = curves[0].slice.plan.spec.axes[0]
        let xs = axis.points.map { Double($0[0]) ?? .nan }
        let numeric = xs.allSatisfy(\.isFinite)
        let logarithmic = numeric && xs.allSatisfy { $0 > 0 } && (xs.max() ?? 1) / (xs.min() ?? 1) >= 20
        let position = { (i: Int) -> Double in
            guard numeric else { return Double(i) }
            return logarithmic ? log10(xs[i]) : xs[i]
        }
        // Mean ± t·se per point and curve.
        var bands: [[(x: Double, mean: Double, low: Double, high: Double)]] = []
        for curve in curves {
            bands.append(curve.slice.plan.cells.enumerated().compactMap { i, cell in
                let mean = curve.slice.value(cell, "\(metric)_mean"), se = curve.slice.value(cell, "\(metric)_se")
                let n = curve.slice.value(cell, "\(metric)_n")
                guard mean.isFinite else { return nil }
                let half = se.isFinite && n >= 2 ? PairedComparison.studentQuantile(0.975, degrees: n - 1) * se : 0
                return (position(i), mean, mean - half, mean + half)
            })
        }
        let all = bands.flatMap { $0.flatMap { [$0.low, $0.high] } }
        let ticks = Ticks.nice(all.min() ?? 0, all.max() ?? 1)
        let xLow = (0..<xs.count).map(position).min() ?? 0, xHigh = (0..<xs.count).map(position).max() ?? 1
        let left = 80.0, top = 44.0, width = 520.0, height = 360.0
        var svg = SVGDocument(width: left + width + 40, height: top + height + 80 + 16 * Double(curves.count))
        let px = { (v: Double) in left + (xHigh > xLow ? (v - xLow) / (xHigh - xLow) : 0.5) * width }
        let py = { (v: Double) in top + height - (v - ticks.low) / (ticks.high - ticks.low) * height }
        svg.rect(x: left, y: top, width: width, height: height, fill: "none", stroke: "#333333")
        for v in ticks.values {
            svg.line(left, py(v), left + width, py(v), stroke: v == 0 && signed ? "#888888" : "#e5e5e5")
            svg.text(Ticks.label(v), x: left - 8, y: py(v) + 4, size: 11, anchor: "end")
        }
        for i in HeatmapPlot.tickIndices(xs.count) {
            svg.line(px(position(i)), top + height, px(position(i)), top + height + 5, stroke: "#333333")
            svg.text(axis.points[i][0], x: px(position(i)), y: top + height + 19, size: 11, anchor: "middle")
        }
        for (k, band) in bands.enumerated() {
            let color = colors[k % colors.count]
            svg.polygon(band.map { (px($0.x), py($0.high)) } + band.reversed().map { (px($0.x), py($0.low)) }, fill: color, opacity: 0.18, cssClass: "band")
            svg.polyline(band.map { (px($0.x), py($0.mean)) }, stroke: color, width: 2, cssClass: "series")
            for point in band { svg.circle(x: px(point.x), y: py(point.mean), radius: 3, fill: color) }
            let legendY = top + height + 62 + Double(k) * 16
            svg.line(left, legendY - 4, left + 24, legendY - 4, stroke: color, width: 2)
            svg.text(curves[k].label, x: left + 30, y: legendY, size: 12)
        }
        svg.text(HeatmapPlot.axisLabel(axis) + (logarithmic ? " (log scale)" : ""), x: left + width / 2, y: top + height + 40, size: 13, anchor: "middle")
        svg.text("\(metric.replacingOccurrences(of: "_", with: " ")) (mean, 95% interval)", x: 22, y: top + height / 2, size: 13, anchor: "middle", rotate: -90)
        let settings = curves[0].slice.fixedSettings.filter { setting in series.map { !setting.hasPrefix("\($0) = ") } ?? true }
        let heading = metric.replacingOccurrences(of: "_", with: " ") + (settings.isEmpty ? "" : " — " + settings.joined(separator: ", "))
        svg.text(heading, x: left + width / 2, y: 26, size: 15, anchor: "middle", weight: "bold")
        return svg
    }
}
