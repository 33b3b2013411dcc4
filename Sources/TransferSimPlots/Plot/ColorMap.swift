import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// Colour maps for heatmaps: a perceptually uniform sequential map, a diverging map centred on zero,
/// and a two-colour map for binarised panels.
package enum ColorMap: Sendable, Equatable {
    /// Viridis (matplotlib's), linear between 9 anchors; `low` → dark blue, `high` → yellow.
    case sequential(low: Double, high: Double)
    /// Red (negative) – white (0) – blue (positive), symmetric: ±`limit` are the saturated ends.
    case diverging(limit: Double)
    /// Dark for values ≥ `threshold` (or ≤ it when `below`), light otherwise.
    case binary(threshold: Double, below: Bool)

    private static let viridis: [(Double, Double, Double)] = [
        (0.267, 0.005, 0.329), (0.279, 0.175, 0.483), (0.230, 0.322, 0.546), (0.173, 0.449, 0.558),
        (0.128, 0.567, 0.551), (0.153, 0.683, 0.502), (0.361, 0.786, 0.388), (0.667, 0.862, 0.196),
        (0.993, 0.906, 0.144),
    ]

    /// Whether `value` lies beyond the map's range by more than 5% of its span, so that its colour (the end's)
    /// would misstate it (a binary map has none). The slack keeps estimates at a natural end — a test error a
    /// hair below the Bayes error `p` on a map starting at `p` — from being flagged.
    package func clips(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        switch self {
        case .sequential(let low, let high):
            let slack = 0.05 * (high - low)
            return value < low - slack || value > high + slack
        case .diverging(let limit): return abs(value) > 1.05 * limit
        case .binary: return false
        }
    }

    /// The `#rrggbb` colour of `value`; NaN is grey.
    package func color(_ value: Double) -> String {
        guard value.isFinite else { return "#bbbbbb" }
        switch self {
        case .sequential(let low, let high):
            let t = high > low ? min(max((value - low) / (high - low), 0), 1) : 0.5
            let position = t * Double(Self.viridis.count - 1)
            let k = min(Int(position), Self.viridis.count - 2)
            let f = position - Double(k)
            let a = Self.viridis[k], b = Self.viridis[k + 1]
            return Self.hex(a.0 + f * (b.0 - a.0), a.1 + f * (b.1 - a.1), a.2 + f * (b.2 - a.2))
        case .diverging(let limit):
            let t = limit > 0 ? min(max(value / limit, -1), 1) : 0
            // White at 0, towards #b2182b (negative) or #2166ac (positive).
            let end = t < 0 ? (0.698, 0.094, 0.169) : (0.129, 0.400, 0.675)
            let s = abs(t)
            return Self.hex(1 + s * (end.0 - 1), 1 + s * (end.1 - 1), 1 + s * (end.2 - 1))
        case .binary(let threshold, let below):
            return (below ? value <= threshold : value >= threshold) ? "#2c3e7a" : "#f2e6b8"
        }
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let byte = { (x: Double) in Int((min(max(x, 0), 1) * 255).rounded()) }
        return String(format: "#%02x%02x%02x", byte(r), byte(g), byte(b))
    }
}
