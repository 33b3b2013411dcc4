import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The curve `statistic(x, y) = C` across a heatmap, for drawing a fitted boundary.
///
/// The statistic is evaluated on a 160 × 160 lattice spanning the axis values (cell centres to cell
/// centres, linear between grid values; integer keys rounded), each point a copy of the sweep's base config
/// with the two axis keys set; the zero level of `log statistic − log C` is traced by marching squares
/// with linear interpolation on the edges. Axes of a `zip:` or with non-numeric values give no curve.
package enum BoundaryCurve {
    /// SVG path data of the curve in plot coordinates, where `position(axis, t)` maps a fractional cell-centre
    /// index `t` of axis 0 (x) or 1 (y) to pixels.
    package static func path(
        plan: SweepPlan, statistic: TheoryStatistic, threshold: Double,
        position: (Int, Double) -> Double
    ) -> String {
        let axes = plan.spec.axes
        let fields = axes.compactMap { $0.keys.count == 1 ? ConfigField.named($0.keys[0]) : nil }
        guard axes.count == 2, fields.count == 2 else { return "" }
        let numbers = axes.map { $0.points.map { Double($0[0]) ?? .nan } }
        guard numbers.allSatisfy({ $0.allSatisfy(\.isFinite) }), threshold > 0 else { return "" }
        let samples = 160
        func fractional(_ axis: Int, _ k: Int) -> Double {
            Double(k) / Double(samples - 1) * Double(numbers[axis].count - 1)
        }
        func value(_ axis: Int, _ t: Double) -> Double {
            let points = numbers[axis]
            guard points.count > 1 else { return points[0] }
            let k = min(Int(t), points.count - 2)
            return points[k] + (t - Double(k)) * (points[k + 1] - points[k])
        }
        func set(_ field: ConfigField, _ v: Double, _ config: inout ExperimentConfig) -> Bool {
            if (try? field.set(String(v), in: &config)) != nil { return true }
            return (try? field.set(String(Int(v.rounded())), in: &config)) != nil
        }
        var level = [[Double]](repeating: [Double](repeating: .nan, count: samples), count: samples)
        for i in 0..<samples {
            for j in 0..<samples {
                var config = plan.base
                guard set(fields[0], value(0, fractional(0, i)), &config),
                    set(fields[1], value(1, fractional(1, j)), &config)
                else { continue }
                let s = statistic.value(config)
                level[i][j] = s > 0 && s.isFinite ? log(s) - log(threshold) : .nan
            }
        }
        var data = ""
        func point(_ i: Double, _ j: Double) -> String {
            let x = position(0, i / Double(samples - 1) * Double(numbers[0].count - 1))
            let y = position(1, j / Double(samples - 1) * Double(numbers[1].count - 1))
            return "\(SVGDocument.n(x)) \(SVGDocument.n(y))"
        }
        for i in 0..<(samples - 1) {
            for j in 0..<(samples - 1) {
                // Corners counter-clockwise: (i,j) (i+1,j) (i+1,j+1) (i,j+1); crossings on the four edges.
                let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
                let values = corners.map { level[$0.0][$0.1] }
                guard values.allSatisfy(\.isFinite) else { continue }
                var crossings: [String] = []
                for e in 0..<4 {
                    let (a, b) = (values[e], values[(e + 1) % 4])
                    guard (a < 0) != (b < 0) else { continue }
                    let f = a / (a - b)
                    let (p, q) = (corners[e], corners[(e + 1) % 4])
                    crossings.append(point(Double(p.0) + f * Double(q.0 - p.0), Double(p.1) + f * Double(q.1 - p.1)))
                }
                for k in stride(from: 0, to: crossings.count - 1, by: 2) {
                    data += "M\(crossings[k])L\(crossings[k + 1])"
                }
            }
        }
        return data
    }
}
