import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim plot DIR --x KEY --contrast KEY=A,B [--series KEY] [--facet KEY] [--where KEY=VALUE]…`: the paired
/// difference `metric(A) − metric(B)` of the cells that differ only in the contrast key, along `--x`, with its paired
/// 95% band (the Student-t interval of ``PairedComparison``, exactly `contrast`'s) and the zero line.
///
/// With common random numbers the paired band is what the evidence is: two unpaired per-cell bands may overlap where
/// the paired difference is far from 0. Facets share one y-range; every other axis must be fixed by `--where`.
package struct ContrastPlot: Sendable {
    /// `results.csv` metric compared.
    package var metric: String
    /// The contrast key and its two values.
    package var key: String, a: String, b: String
    /// The x axis, and optionally one curve per value of `series` and one panel per value of `facet`.
    package var x: String, series: String?, facet: String?
    /// Values fixing the other axes.
    package var fixed: [String: String]

    /// A contrast plot; see the properties.
    package init(
        metric: String, key: String, a: String, b: String, x: String, series: String? = nil, facet: String? = nil,
        fixed: [String: String] = [:]
    ) {
        (self.metric, self.key, self.a, self.b, self.x, self.series, self.facet, self.fixed) = (
            metric, key, a, b, x, series, facet, fixed
        )
    }

    /// `<name>_contrast_<key>_<A>_<B>_<metric>_<x>[_by_<series>][_facet_<facet>][_<key>-<value>…].svg`.
    package func fileName(sweep name: String) -> String {
        var parts = [name, "contrast", key, a, b, metric, x]
        if let series { parts += ["by", series] }
        if let facet { parts += ["facet", facet] }
        parts += fixed.keys.sorted().map { "\($0)-\(fixed[$0]!)" }
        return parts.joined(separator: "_") + ".svg"
    }

    /// The curves of one panel (`pins`: axis index → point), and the x axis.
    ///
    /// - Throws: ``SweepError`` naming the option for an unknown axis or value, axes named twice, or an axis left loose.
    func curves(_ sweep: SweepRows, fixed: [String: String]) throws -> (curves: [LinePanel.Curve], axis: SweepSpec.Axis)
    {
        try SweepRows.checkMetric(metric)
        let axes = sweep.plan.spec.axes
        let (contrastAxis, pointA, pointB) = try sweep.contrastPoints(key, a, b, option: "--contrast")
        let xAxis = try sweep.axis(of: x, option: "--x")
        let seriesAxis = try series.map { try sweep.axis(of: $0, option: "--series") }
        let pins = try sweep.pins(fixed)
        try sweep.requireEveryAxis(
            named: [contrastAxis, xAxis] + (seriesAxis.map { [$0] } ?? []) + Array(pins.keys), option: "--contrast",
            alternative: "plot them with --series/--facet")
        let seriesPoints = seriesAxis.map { Array(axes[$0].points.indices) } ?? [0]
        let curves = seriesPoints.map { seriesPoint in
            LinePanel.Curve(
                label: seriesAxis.map { "\(series ?? "") = \(axes[$0].values(of: series ?? "")[seriesPoint])" }
                    ?? "\(a) − \(b)",
                points: axes[xAxis].points.indices.compactMap { xPoint in
                    var coordinates = [Int](repeating: 0, count: axes.count)
                    for (axis, point) in pins { coordinates[axis] = point }
                    if let seriesAxis { coordinates[seriesAxis] = seriesPoint }
                    coordinates[xAxis] = xPoint
                    var cellA = coordinates, cellB = coordinates
                    cellA[contrastAxis] = pointA
                    cellB[contrastAxis] = pointB
                    // PairedComparison(x, y) is y − x: the B cell first gives A − B.
                    let c = sweep.paired(metric, a: sweep.cellIndex(cellB), b: sweep.cellIndex(cellA))
                    guard c.mean.isFinite else { return nil }
                    let (low, high) = c.interval.low.isFinite ? c.interval : (c.mean, c.mean)
                    return LinePanel.Point(index: xPoint, mean: c.mean, low: low, high: high)
                })
        }
        return (curves, axes[xAxis])
    }

    /// The SVG: one panel, or one per `facet` value side by side with a shared y-range (which always holds 0).
    ///
    /// - Throws: ``SweepError`` as ``curves(_:fixed:)``.
    package func render(_ sweep: SweepRows) throws -> String {
        let label = metric.replacingOccurrences(of: "_", with: " ")
        let settings = fixed.keys.sorted().map { "\($0) = \(fixed[$0]!)" }
        var panels: [(fixed: [String: String], heading: String)] = [
            (
                fixed,
                "\(label): \(key) = \(a) − \(b)" + (settings.isEmpty ? "" : " — " + settings.joined(separator: ", "))
            )
        ]
        if let facet {
            let axis = try sweep.axis(of: facet, option: "--facet")
            panels = sweep.plan.spec.axes[axis].values(of: facet).map { value in
                (
                    fixed.merging([facet: value]) { _, new in new },
                    "\(label): \(key) = \(a) − \(b) — \(([("\(facet) = \(value)")] + settings).joined(separator: ", "))"
                )
            }
        }
        let drawn = try panels.map { (try curves(sweep, fixed: $0.fixed), $0.heading) }
        let range = [0.0] + drawn.flatMap { $0.0.curves.flatMap { $0.points.flatMap { [$0.low, $0.high] } } }
        return SVGDocument.sideBySide(
            drawn.map { drawn, heading in
                LinePanel(
                    curves: drawn.curves, axis: drawn.axis,
                    yLabel: "\(label), paired \(key) = \(a) − \(b) (95% interval)", heading: heading,
                    zeroLine: true, range: range
                ).document()
            }
        ).text
    }
}
