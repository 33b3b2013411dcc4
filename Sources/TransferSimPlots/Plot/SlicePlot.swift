import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim plot DIR --x KEY [--y KEY] [--series KEY] [--where KEY=VALUE]… [--metric COLUMN]`: any slice of a
/// sweep of any dimension (``SweepTable/slice(axes:fixed:)``).
///
/// With `--x` and `--y`, a heatmap of the metric's mean; its colour range comes from the data (symmetric about 0
/// for a gain or a difference, with the zero contour), and cells whose 95% interval contains 0 are marked with a
/// dot (for the gain, each replicate's value is already the paired transfer − baseline difference, so this is the
/// paired interval). With `--x` alone, one line per `--series` value with its 95% interval band (mean ± t·se,
/// t of `n − 1` degrees of freedom). Facets share one colour range or one y-range. Titles state the fixed settings;
/// ticks are round numbers.
package struct SlicePlot: Sendable {
    /// `summary.csv` metric (without `_mean`), e.g. `transfer_gain`.
    package var metric: String
    /// The x axis (its first key).
    package var x: String
    /// The y axis for a heatmap.
    package var y: String?
    /// One line per value of this axis (line plots).
    package var series: String?
    /// Values fixing the other axes.
    package var fixed: [String: String]
    /// One panel per value of this axis, side by side (heatmaps share one colour range).
    package var facet: String?

    /// A slice plot; see the properties.
    package init(
        metric: String, x: String, y: String? = nil, series: String? = nil, facet: String? = nil,
        fixed: [String: String] = [:]
    ) {
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
    package func fileName(sweep name: String) -> String {
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
    package func render(_ table: SweepTable) throws -> String {
        guard table.has("\(metric)_mean") else {
            throw PlotError(
                key: "--metric",
                "summary.csv has no column \(metric)_mean (metrics: the columns of results.csv, e.g. transfer_gain, transfer_test_accuracy)"
            )
        }
        if y != nil, series != nil {
            throw PlotError(key: "--series", "draws lines; a heatmap (--x and --y) has no series")
        }
        guard let facet else { return try panel(table, range: nil).text }
        guard let axis = table.plan.spec.axes.first(where: { $0.isNamed(facet) }), ![x, y, series].contains(facet)
        else {
            throw SweepError(
                key: "--facet",
                "'\(facet)' is not an axis of this sweep other than the plotted ones (axes: \(table.plan.spec.axes.map(\.name).joined(separator: ", ")))"
            )
        }
        let panels = axis.values(of: facet).map { value in
            SlicePlot(
                metric: metric, x: x, y: y, series: series, fixed: fixed.merging([facet: value]) { _, new in new })
        }
        // Facets share one colour range (heatmaps) or one y-range (lines), so equal colours or heights mean equal
        // values across panels.
        let range =
            try y == nil
            ? panels.flatMap { try $0.curves(table).curves.flatMap { $0.points.flatMap { [$0.low, $0.high] } } }
            : panels.flatMap { try $0.heatmapValues(table) }
        return SVGDocument.sideBySide(try panels.map { try $0.panel(table, range: range) }).text
    }

    /// The finite means of the heatmap slice.
    private func heatmapValues(_ table: SweepTable) throws -> [Double] {
        guard let y else { return [] }
        let slice = try table.slice(axes: [("--x", x), ("--y", y)], fixed: fixed)
        return slice.plan.cells.map { slice.value($0, "\(metric)_mean") }.filter(\.isFinite)
    }

    /// One panel: the heatmap (colour range from `range`, else from its own values) or the lines (y-range covering
    /// `range` too).
    private func panel(_ table: SweepTable, range: [Double]?) throws -> SVGDocument {
        guard let y else { return try lines(table, range: range) }
        let slice = try table.slice(axes: [("--x", x), ("--y", y)], fixed: fixed)
        let values = try range ?? heatmapValues(table)
        let largest = values.map(abs).max() ?? 0
        let map: ColorMap =
            signed
            ? .diverging(limit: largest > 0 ? Ticks.round(largest * 1.0000001) : 1)
            : .sequential(low: values.min() ?? 0, high: values.max() ?? 1)
        var plot = HeatmapPlot(
            title: title(slice), column: "\(metric)_mean", colorMap: map, contour: signed ? 0 : nil, legend: metric)
        plot.markUncertain = true
        return plot.document(slice)
    }

    private func title(_ slice: SweepTable) -> String {
        metric.replacingOccurrences(of: "_", with: " ")
            + (slice.fixedSettings.isEmpty ? "" : " — " + slice.fixedSettings.joined(separator: ", "))
    }

    /// The curves of the line plot: one per `--series` value (or one), each point's mean ± t·se (t of `n − 1` degrees
    /// of freedom) from `summary.csv`, and the x axis.
    func curves(
        _ table: SweepTable
    ) throws -> (curves: [LinePanel.Curve], axis: SweepSpec.Axis, fixedSettings: [String]) {
        var slices: [(label: String, slice: SweepTable)] = []
        if let series {
            guard let axis = table.plan.spec.axes.first(where: { $0.isNamed(series) }), series != x else {
                throw SweepError(
                    key: "--series",
                    "'\(series)' is not an axis of this sweep other than --x (axes: \(table.plan.spec.axes.map(\.name).joined(separator: ", ")))"
                )
            }
            for point in axis.values(of: series) {
                slices.append(
                    (
                        "\(series) = \(point)",
                        try table.slice(axes: [("--x", x)], fixed: fixed.merging([series: point]) { _, new in new })
                    ))
            }
        } else {
            slices.append(
                (metric.replacingOccurrences(of: "_", with: " "), try table.slice(axes: [("--x", x)], fixed: fixed)))
        }
        let curves = slices.map { label, slice in
            LinePanel.Curve(
                label: label,
                points: slice.plan.cells.enumerated().compactMap { i, cell in
                    let mean = slice.value(cell, "\(metric)_mean"), se = slice.value(cell, "\(metric)_se")
                    let n = slice.value(cell, "\(metric)_n")
                    guard mean.isFinite else { return nil }
                    let half = se.isFinite && n >= 2 ? PairedComparison.studentQuantile(0.975, degrees: n - 1) * se : 0
                    return LinePanel.Point(index: i, mean: mean, low: mean - half, high: mean + half)
                })
        }
        let settings = slices[0].slice.fixedSettings.filter { setting in
            series.map { !setting.hasPrefix("\($0) = ") } ?? true
        }
        return (curves, slices[0].slice.plan.spec.axes[0], settings)
    }

    private func lines(_ table: SweepTable, range: [Double]?) throws -> SVGDocument {
        let (curves, axis, settings) = try curves(table)
        let heading =
            metric.replacingOccurrences(of: "_", with: " ")
            + (settings.isEmpty ? "" : " — " + settings.joined(separator: ", "))
        return LinePanel(
            curves: curves, axis: axis,
            yLabel: "\(metric.replacingOccurrences(of: "_", with: " ")) (mean, 95% interval)",
            heading: heading, zeroLine: signed, range: range
        ).document()
    }
}
