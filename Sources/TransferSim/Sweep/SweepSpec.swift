import Foundation
import Yams

/// A sweep config: an experiment config plus `grid:`, `zip:` and `replicates:`.
///
///     grid:                         # Cartesian product, first key outermost (slowest)
///       alpha: [0, 0.5, 1]          # a list of values
///       u_norm: {from: 0, to: 2.4, steps: 13}   # 13 evenly spaced values, both ends included
///       d: {from: 100, to: 1000, step: 100}     # from, from + step, ... up to `to` (inclusive)
///     zip:                          # keys varied together: one more axis, lists of equal length
///       n1: [30, 100, 300]
///       steps1: [300, 1000, 3000]
///     replicates: 4                 # seeds per cell (replicate = 0..3)
///
/// Any key of ``ConfigField/all`` but `preset`, `seed` and `replicate` may be swept.
public struct SweepSpec: Sendable, Equatable {
    /// One axis of the grid: the keys it sets and, per point, their values (as text).
    public struct Axis: Sendable, Equatable {
        /// Keys set together (one for a grid axis, all zip keys for the zip axis).
        public let keys: [String]
        /// `points[i][k]` is the value of `keys[k]` at point `i`.
        public let points: [[String]]
        /// Whether this is the `zip:` axis.
        public let zipped: Bool

        /// The axis label (its first key).
        public var name: String { keys[0] }
    }

    /// Grid axes in file order, then the zip axis (if any).
    public let axes: [Axis]
    /// Seeds per cell.
    public let replicates: Int

    /// Keys the sweep varies.
    public var sweptKeys: [String] { axes.flatMap(\.keys) }

    /// Number of cells (product of the axis lengths).
    public var cellCount: Int { axes.reduce(1) { $0 * $1.points.count } }

    /// A spec from its parts.
    public init(axes: [Axis], replicates: Int) {
        self.axes = axes
        self.replicates = replicates
    }

    /// Keys that cannot be swept.
    static let fixedOnly: Set<String> = ["preset", "seed", "replicate"]

    /// Parses `grid`, `zip` and `replicates` nodes of a sweep file.
    ///
    /// - Throws: ``ConfigError`` naming `grid.<key>`, `zip.<key>` or `replicates` and what is allowed.
    public static func parse(grid: Node?, zip: Node?, replicates: Node?) throws -> SweepSpec {
        var axes: [Axis] = []
        var seen = Set<String>()
        func checkKey(_ section: String, _ key: String) throws {
            guard ConfigField.named(key) != nil else {
                throw ConfigError(key: "\(section).\(key)", "unknown key; allowed keys: \(ConfigField.all.map(\.key).filter { !fixedOnly.contains($0) }.joined(separator: ", "))")
            }
            guard !fixedOnly.contains(key) else { throw ConfigError(key: "\(section).\(key)", "cannot be swept (use replicates for seeds)") }
            guard seen.insert(key).inserted else { throw ConfigError(key: "\(section).\(key)", "is swept twice") }
        }
        if let grid {
            guard let mapping = grid.mapping else { throw ConfigError(key: "grid", "must be a mapping of key: values") }
            for (keyNode, valueNode) in mapping {
                let key = keyNode.scalar?.string ?? ""
                try checkKey("grid", key)
                axes.append(Axis(keys: [key], points: try values(of: valueNode, name: "grid.\(key)").map { [$0] }, zipped: false))
            }
        }
        if let zip {
            guard let mapping = zip.mapping, !mapping.isEmpty else { throw ConfigError(key: "zip", "must be a mapping of key: values") }
            var keys: [String] = []
            var columns: [[String]] = []
            for (keyNode, valueNode) in mapping {
                let key = keyNode.scalar?.string ?? ""
                try checkKey("zip", key)
                keys.append(key)
                columns.append(try values(of: valueNode, name: "zip.\(key)"))
            }
            guard Set(columns.map(\.count)).count == 1 else {
                throw ConfigError(key: "zip", "lists must have equal lengths, got \(Swift.zip(keys, columns).map { "\($0)=\($1.count)" }.joined(separator: ", "))")
            }
            axes.append(Axis(keys: keys, points: (0..<columns[0].count).map { i in columns.map { $0[i] } }, zipped: true))
        }
        guard !axes.isEmpty else { throw ConfigError(key: "grid", "a sweep needs at least one axis (grid: or zip:)") }
        var count = 1
        if let replicates {
            guard let text = replicates.scalar?.string, let value = Int(text), value >= 1 else {
                throw ConfigError(key: "replicates", "must be an integer ≥ 1, got '\(replicates.scalar?.string ?? "a collection")'")
            }
            count = value
        }
        return SweepSpec(axes: axes, replicates: count)
    }

    /// The values of one axis: a list, or `{from, to, steps}` / `{from, to, step}`.
    static func values(of node: Node, name: String) throws -> [String] {
        if let sequence = node.sequence {
            let values = try sequence.map { item -> String in
                guard let scalar = item.scalar else { throw ConfigError(key: name, "list items must be single values") }
                return scalar.string
            }
            guard !values.isEmpty else { throw ConfigError(key: name, "empty list: give at least one value") }
            return values
        }
        if let scalar = node.scalar { return [scalar.string] }
        guard let mapping = node.mapping else { throw ConfigError(key: name, "must be a list or {from, to, steps|step}") }
        var fields: [String: Double] = [:]
        for (keyNode, valueNode) in mapping {
            let field = keyNode.scalar?.string ?? ""
            guard ["from", "to", "steps", "step"].contains(field) else {
                throw ConfigError(key: name, "unknown range field '\(field)'; allowed: from, to, steps, step")
            }
            guard let value = valueNode.scalar.flatMap({ Double($0.string) }), value.isFinite else {
                throw ConfigError(key: "\(name).\(field)", "must be a number")
            }
            fields[field] = value
        }
        guard let from = fields["from"], let to = fields["to"] else { throw ConfigError(key: name, "a range needs from and to") }
        switch (fields["steps"], fields["step"]) {
        case (let steps?, nil):
            guard steps >= 1, steps.rounded() == steps, steps <= 1e6 else {
                throw ConfigError(key: "\(name).steps", "must be an integer in [1, 1000000], got \(steps)")
            }
            let n = Int(steps)
            guard n > 1 || from == to else { throw ConfigError(key: "\(name).steps", "must be ≥ 2 when from ≠ to") }
            return (0..<n).map { i in format(n == 1 ? from : from + (to - from) * Double(i) / Double(n - 1)) }
        case (nil, let step?):
            guard step != 0, (to - from) / step >= 0 else {
                throw ConfigError(key: "\(name).step", "must be nonzero and lead from \(format(from)) to \(format(to)), got \(format(step))")
            }
            let n = Int(((to - from) / step + 1e-9).rounded(.down)) + 1
            guard n <= 1_000_000 else { throw ConfigError(key: "\(name).step", "gives \(n) values; at most 1000000") }
            return (0..<n).map { i in format(from + step * Double(i)) }
        default:
            throw ConfigError(key: name, "a range needs exactly one of steps and step")
        }
    }

    /// A range value rounded to 12 significant digits (so 0.1 · 3 prints as 0.3), integral ones without a point.
    static func format(_ value: Double) -> String {
        let rounded = Double(String(format: "%.12g", value)) ?? value
        if rounded.rounded() == rounded && abs(rounded) < 1e15 { return String(Int(rounded)) }
        return "\(rounded)"
    }
}
