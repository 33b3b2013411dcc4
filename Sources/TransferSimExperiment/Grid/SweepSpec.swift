import Foundation
import TransferSimCore
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
package struct SweepSpec: Sendable, Equatable {
    /// One axis of the grid: the keys it sets and, per point, their values (as text).
    package struct Axis: Sendable, Equatable {
        /// Keys set together (one for a grid axis, all zip keys for the zip axis).
        package let keys: [String]
        /// `points[i][k]` is the value of `keys[k]` at point `i`.
        package let points: [[String]]
        /// Whether this is the `zip:` axis.
        package let zipped: Bool

        /// An axis from its parts (`points[i]` holds one value per key).
        package init(keys: [String], points: [[String]], zipped: Bool) {
            self.keys = keys
            self.points = points
            self.zipped = zipped
        }

        /// The axis label (its first key).
        package var name: String { keys[0] }

        /// The `key = value` entries point `point` gives a cell's config: every key but those ``SweepSpec/notGiven``
        /// there.
        package func entries(at point: Int) -> [ConfigLoader.Entry] {
            zip(keys, points[point]).filter { $0.1 != SweepSpec.notGiven }.map { (key: $0, value: $1) }
        }

        /// Whether `key` names this axis: any of its keys, or (a zip axis) its keys joined by `+` (`eta2+steps2`).
        package func isNamed(_ key: String) -> Bool {
            keys.contains(key) || keys.joined(separator: "+") == key
        }

        /// The position in ``keys`` of the key that `name` (``isNamed(_:)``) gives values of: the key itself, or the
        /// first key for the joined name.
        package func position(of name: String) -> Int { keys.firstIndex(of: name) ?? 0 }

        /// The values of the key `name` stands for (``position(of:)``), point by point.
        package func values(of name: String) -> [String] { points.map { $0[position(of: name)] } }

        /// The index of the point where the key `name` stands for (its first key by default) has `value`, numbers
        /// compared as numbers (`1`, `1.0`, `1e0`; `-0` and `0`).
        package func pointIndex(of value: String, key name: String? = nil) -> Int? {
            let target = ConfigField.parseFinite(value)
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            return values(of: name ?? keys[0]).firstIndex { text in
                target.map { ConfigField.parseFinite(text) == $0 } ?? (text == trimmed)
            }
        }
    }

    /// The index of the axis that `key` names (``Axis/isNamed(_:)``): every analysis finds its axes by this rule, so
    /// a zip axis is named by any of its keys.
    package func axisIndex(named key: String) -> Int? { axes.firstIndex { $0.isNamed(key) } }

    /// Grid axes in file order, then the zip axis (if any).
    package let axes: [Axis]
    /// Seeds per cell.
    package let replicates: Int
    /// `keep_history: true`: the sweep writes every row's training history (transfer and baseline, with test
    /// errors) to `histories/<cell_id>-r<replicate>.csv`. Not part of the sweep's identity: it changes no row.
    package var keepHistory = false

    /// The top-level keys of a sweep file that are not experiment keys.
    package static let sections: Set<String> = ["grid", "zip", "replicates", "keep_history"]

    /// Parses `keep_history` (`true` or `false`).
    ///
    /// - Throws: ``ConfigError`` for anything else.
    package static func parseKeepHistory(_ node: Node?) throws -> Bool {
        guard let node else { return false }
        switch node.scalar?.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            throw ConfigError(
                key: "keep_history", "must be true or false, got '\(node.scalar?.string ?? "a collection")'")
        }
    }

    /// Keys the sweep varies.
    package var sweptKeys: [String] { axes.flatMap(\.keys) }

    /// Number of cells (product of the axis lengths; ``parse(grid:zip:replicates:)`` caps it at ``maxCells``).
    package var cellCount: Int { axes.reduce(1) { $0 * $1.points.count } }

    /// Most cells a sweep may have (each cell's config is held in memory while it runs).
    package static let maxCells = 1_000_000
    /// Most rows (cells × replicates) a sweep may have.
    package static let maxRows = 10_000_000
    /// Most values one axis may have.
    package static let maxAxisValues = 1_000_000

    /// A spec from its parts.
    package init(axes: [Axis], replicates: Int) {
        self.axes = axes
        self.replicates = replicates
    }

    /// A `zip:` value that leaves its key out of that point (YAML `~` or `null`): the point's cells are resolved as if
    /// the key were not given. It lets one zip axis set each recipe's own settings (docs/model.md §11): a key of another
    /// recipe is refused whatever its value, so the other points leave it out.
    package static let notGiven = "~"

    /// Keys that cannot be swept.
    static let fixedOnly: Set<String> = ["preset", "seed", "replicate"]

    /// Parses `grid`, `zip` and `replicates` nodes of a sweep file.
    ///
    /// - Throws: ``ConfigError`` naming `grid.<key>`, `zip.<key>` or `replicates` and what is allowed.
    package static func parse(grid: Node?, zip: Node?, replicates: Node?) throws -> SweepSpec {
        var axes: [Axis] = []
        var seen = Set<String>()
        // Each axis is checked against the room the axes before it leave (at most `maxCells` in all) before its values
        // are made: two axes of 10⁶ values are refused at once, not after materialising them.
        var room = maxCells
        func allow(_ count: Int, _ name: String) throws {
            guard count <= room else {
                throw ConfigError(
                    key: name,
                    "has \(count) values, and with the axes before it the grid would have more than \(maxCells) cells; at most \(maxCells)"
                )
            }
        }
        func checkKey(_ section: String, _ key: String) throws {
            guard ConfigField.named(key) != nil else {
                throw ConfigError(
                    key: "\(section).\(key)",
                    ConfigField.unknown(key, allowed: ConfigField.all.map(\.key).filter { !fixedOnly.contains($0) }))
            }
            guard !fixedOnly.contains(key) else {
                throw ConfigError(key: "\(section).\(key)", "cannot be swept (use replicates for seeds)")
            }
            guard seen.insert(key).inserted else { throw ConfigError(key: "\(section).\(key)", "is swept twice") }
        }
        if let grid {
            guard let mapping = grid.mapping else { throw ConfigError(key: "grid", "must be a mapping of key: values") }
            for (keyNode, valueNode) in mapping {
                let key = keyNode.scalar?.string ?? ""
                try checkKey("grid", key)
                try allow(try count(of: valueNode, name: "grid.\(key)"), "grid.\(key)")
                let points = try values(of: valueNode, name: "grid.\(key)")
                guard !points.contains(notGiven) else {
                    throw ConfigError(
                        key: "grid.\(key)", "has an empty value (~); leaving a key out of a point belongs in a zip: axis")
                }
                room /= points.count
                axes.append(Axis(keys: [key], points: points.map { [$0] }, zipped: false))
            }
        }
        if let zip {
            guard let mapping = zip.mapping, !mapping.isEmpty else {
                throw ConfigError(key: "zip", "must be a mapping of key: values")
            }
            var keys: [String] = []
            var columns: [[String]] = []
            for (keyNode, valueNode) in mapping {
                let key = keyNode.scalar?.string ?? ""
                try checkKey("zip", key)
                try allow(try count(of: valueNode, name: "zip.\(key)"), "zip.\(key)")
                keys.append(key)
                columns.append(try values(of: valueNode, name: "zip.\(key)"))
            }
            guard Set(columns.map(\.count)).count == 1 else {
                throw ConfigError(
                    key: "zip",
                    "lists must have equal lengths, got \(Swift.zip(keys, columns).map { "\($0)=\($1.count)" }.joined(separator: ", "))"
                )
            }
            axes.append(
                Axis(keys: keys, points: (0..<columns[0].count).map { i in columns.map { $0[i] } }, zipped: true))
        }
        guard !axes.isEmpty else { throw ConfigError(key: "grid", "a sweep needs at least one axis (grid: or zip:)") }
        for axis in axes { try checkDistinct(axis) }
        var count = 1
        if let replicates {
            guard let text = replicates.scalar?.string, let value = Int(text.trimmingCharacters(in: .whitespaces)),
                (1...maxRows).contains(value)
            else {
                throw ConfigError(
                    key: "replicates",
                    "must be an integer in [1, \(maxRows)], got '\(replicates.scalar?.string ?? "a collection")'")
            }
            count = value
        }
        // Checked arithmetic: a product of axis lengths can overflow Int long before it is refused.
        let cells = axes.reduce(1.0) { $0 * Double($1.points.count) }
        let shape = axes.map { String($0.points.count) }.joined(separator: " × ")
        guard cells <= Double(maxCells) else {
            throw ConfigError(key: "grid", "has \(shape) = \(SweepSpec.format(cells)) cells; at most \(maxCells)")
        }
        guard cells * Double(count) <= Double(maxRows) else {
            throw ConfigError(
                key: "replicates",
                "\(SweepSpec.format(cells)) cells × \(count) replicates = \(SweepSpec.format(cells * Double(count))) rows; at most \(maxRows)"
            )
        }
        return SweepSpec(axes: axes, replicates: count)
    }

    /// Refuses an axis that gives one value twice (numbers compared as numbers: `100`, `1e2` and `100.0` are one
    /// `d`, `-0` and `0` one `alpha`), which would make two identical cells.
    static func checkDistinct(_ axis: Axis) throws {
        var seen: [[String]: Int] = [:]
        for (i, point) in axis.points.enumerated() {
            let canonical = point.map { text -> String in
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                return ConfigField.parseFinite(trimmed).map { "\($0)" } ?? trimmed
            }
            if let first = seen[canonical] {
                let section = axis.zipped ? "zip" : "grid"
                let values = point.joined(separator: ", ")
                throw ConfigError(
                    key: "\(section).\(axis.name)",
                    "gives the value \(values) twice (positions \(first + 1) and \(i + 1)); each value makes one cell, so list it once"
                )
            }
            seen[canonical] = i
        }
    }

    /// A `--grid` argument as the key and the YAML node of its values: `KEY=V1,V2,…` (a list),
    /// `KEY=FROM:TO:STEP` (`{from, to, step}`) or `KEY=FROM:TO:nSTEPS` (`{from, to, steps}`), the same values as
    /// the YAML forms.
    ///
    /// - Throws: ``ConfigError`` (key `--grid`) for any other form.
    package static func gridArgument(_ text: String) throws -> (key: String, values: Node) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex,
            text.index(after: equals) != text.endIndex
        else {
            throw ConfigError(
                key: "--grid", "must be KEY=V1,V2,…, KEY=FROM:TO:STEP or KEY=FROM:TO:nSTEPS, got '\(text)'")
        }
        let key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: equals)...])
        guard value.contains(":") else {
            return (
                key,
                Node(
                    value.split(separator: ",", omittingEmptySubsequences: false).map {
                        Node($0.trimmingCharacters(in: .whitespaces))
                    })
            )
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard parts.count == 3 else {
            throw ConfigError(key: "--grid", "a range is FROM:TO:STEP or FROM:TO:nSTEPS, got '\(value)' for \(key)")
        }
        let counted = parts[2].hasPrefix("n")
        return (
            key,
            Node([
                (Node("from"), Node(parts[0])), (Node("to"), Node(parts[1])),
                (Node(counted ? "steps" : "step"), Node(counted ? String(parts[2].dropFirst()) : parts[2])),
            ])
        )
    }

    /// How many values ``values(of:name:)`` makes of `node`, without making them (a range's count from its fields).
    ///
    /// - Throws: ``ConfigError`` for a malformed axis (as ``values(of:name:)``).
    static func count(of node: Node, name: String) throws -> Int {
        if let sequence = node.sequence { return sequence.count }
        if node.scalar != nil { return 1 }
        return try range(node, name: name).count
    }

    /// The values of one axis: a list, or `{from, to, steps}` / `{from, to, step}`.
    static func values(of node: Node, name: String) throws -> [String] {
        if let sequence = node.sequence {
            let values = try sequence.map { item -> String in
                guard let scalar = item.scalar else { throw ConfigError(key: name, "list items must be single values") }
                let isNull = scalar.style != .singleQuoted && scalar.style != .doubleQuoted && ["~", "null", "Null", "NULL", ""].contains(scalar.string)
                return isNull ? notGiven : scalar.string
            }
            guard !values.isEmpty else { throw ConfigError(key: name, "empty list: give at least one value") }
            return values
        }
        if let scalar = node.scalar { return [scalar.string] }
        let (count, value) = try range(node, name: name)
        return (0..<count).map { format(value($0)) }
    }

    /// A range `{from, to, steps}` / `{from, to, step}`: its number of values and its `i`-th value.
    private static func range(_ node: Node, name: String) throws -> (count: Int, value: (Int) -> Double) {
        guard let mapping = node.mapping else {
            throw ConfigError(key: name, "must be a list or {from, to, steps|step}")
        }
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
        guard let from = fields["from"], let to = fields["to"] else {
            throw ConfigError(key: name, "a range needs from and to")
        }
        switch (fields["steps"], fields["step"]) {
        case (let steps?, nil):
            guard steps >= 1, steps.rounded() == steps, steps <= Double(maxAxisValues) else {
                throw ConfigError(
                    key: "\(name).steps", "must be an integer in [1, \(maxAxisValues)], got \(format(steps))")
            }
            let n = Int(steps)
            guard n > 1 || from == to else { throw ConfigError(key: "\(name).steps", "must be ≥ 2 when from ≠ to") }
            return (n, { i in n == 1 ? from : from + (to - from) * Double(i) / Double(n - 1) })
        case (nil, let step?):
            // In floating point, before any conversion to Int: (to − from)/step may be huge or infinite.
            let intervals = (to - from) / step
            guard step != 0, !(intervals < 0) else {
                throw ConfigError(
                    key: "\(name).step",
                    "must be nonzero and lead from \(format(from)) to \(format(to)), got \(format(step))")
            }
            guard intervals < Double(maxAxisValues) else {
                throw ConfigError(
                    key: "\(name).step",
                    "gives \(intervals.isFinite ? format((intervals + 1).rounded(.down)) : "infinitely many") values; at most \(maxAxisValues)"
                )
            }
            let n = Int((intervals + 1e-9).rounded(.down)) + 1
            let last = from + step * Double(n - 1)
            // A range must end on `to` (up to rounding): a silently shortened axis is a surprise in a figure.
            guard abs(last - to) <= 1e-9 * max(abs(step), abs(to)) else {
                throw ConfigError(
                    key: "\(name).step",
                    "\(format(step)) does not lead from \(format(from)) to \(format(to)) (the last value would be \(format(last))); make to − from a multiple of step, or use steps"
                )
            }
            return (n, { i in from + step * Double(i) })
        default:
            throw ConfigError(key: name, "a range needs exactly one of steps and step")
        }
    }

    /// A range value rounded to 12 significant digits (so 0.1 · 3 prints as 0.3), integral ones without a point.
    package static func format(_ value: Double) -> String {
        let rounded = Double(String(format: "%.12g", value)) ?? value
        if rounded.rounded() == rounded && abs(rounded) < 1e15 { return String(Int(rounded)) }
        return "\(rounded)"
    }
}
