import TransferSimCore
import Yams

/// The cells of a sweep in canonical order, each with its resolved config and stable id.
///
/// Canonical order: the Cartesian product of ``SweepSpec/axes`` with the first axis outermost. A cell's
/// config is the file's fixed keys, then the `--set` overrides, then the cell's axis values.
public struct SweepPlan: Sendable {
    /// One grid point.
    public struct Cell: Sendable {
        /// Position in canonical order.
        public let index: Int
        /// Point index along each axis.
        public let coordinates: [Int]
        /// Resolved, validated config (replicate 0).
        public let config: ExperimentConfig
        /// Stable id: FNV-1a 64 (hex) of every resolved `key=value` except `seed` and `replicate`.
        public let id: String
        /// The resolved values (``ExperimentConfig/resolvedValues``) that differ from the base config's, with their
        /// index in ``ConfigField/all``: rendered once, when the plan is built (see ``SweepPlan/resolvedValues(of:replicate:)``).
        let changedValues: [(index: Int, value: String)]

        /// The config of replicate `r`.
        public func config(replicate r: Int) -> ExperimentConfig {
            var copy = config
            copy.replicate = r
            return copy
        }
    }

    /// Fixed keys (file, then `--set`), as layers.
    public let baseLayers: [[ConfigLoader.Entry]]
    /// Axes and replicates.
    package let spec: SweepSpec
    /// The base config (not validated: the cells are).
    public let base: ExperimentConfig
    /// Every cell in canonical order.
    public let cells: [Cell]
    /// The base config's resolved values, against which each cell keeps only its ``Cell/changedValues``.
    private let baseValues: [String]

    /// Builds the plan.
    ///
    /// - Throws: ``ConfigError`` for a bad fixed key, a `--set` of a swept key, or a cell whose values are
    ///   invalid (the message names the cell's swept values).
    package init(baseLayers: [[ConfigLoader.Entry]], spec: SweepSpec) throws {
        for entry in baseLayers.dropFirst().joined() where spec.sweptKeys.contains(entry.key) {
            throw ConfigError(key: entry.key, "is swept by the grid; --set cannot fix it (edit the grid instead)")
        }
        self.baseLayers = baseLayers
        self.spec = spec
        base = try ConfigLoader.resolve(baseLayers, validate: false, recipeGiven: !spec.sweptKeys.contains("recipe"))
        let baseValues = base.resolvedValues
        self.baseValues = baseValues
        // Each cell resolved on its own (on every core: 10⁴ cells of the Kou grid took half a second on one), the
        // first invalid cell in canonical order reported.
        let built = parallelMap(spec.cellCount) { [base] index in
            Result { try Self.cell(index, spec: spec, baseLayers: baseLayers, base: base, baseValues: baseValues) }
        }
        self.cells = try built.map { try $0.get() }
    }

    /// The cell at canonical `index`: the base config with the cell's axis values applied (every layer resolved again
    /// when the cell sets `preset` or `recipe`, which come before the other keys), validated, with its id and the
    /// values that differ from `baseValues`.
    ///
    /// - Throws: ``ConfigError`` naming the cell's swept values when they are invalid.
    private static func cell(
        _ index: Int, spec: SweepSpec, baseLayers: [[ConfigLoader.Entry]], base: ExperimentConfig, baseValues: [String]
    ) throws -> Cell {
        var coordinates = [Int](repeating: 0, count: spec.axes.count)
        var remainder = index
        for axis in spec.axes.indices.reversed() {
            coordinates[axis] = remainder % spec.axes[axis].points.count
            remainder /= spec.axes[axis].points.count
        }
        var assignments: [ConfigLoader.Entry] = []
        for (axis, point) in zip(spec.axes, coordinates) {
            assignments += axis.entries(at: point)
        }
        let config: ExperimentConfig
        do {
            if assignments.contains(where: { $0.key == "preset" || $0.key == "recipe" }) {
                config = try ConfigLoader.resolve(baseLayers + [assignments])
            } else {
                var resolved = base
                try ConfigLoader.apply(assignments, to: &resolved)
                try resolved.validate()
                config = resolved
            }
        } catch let error as ConfigError {
            let cell = assignments.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            throw ConfigError(key: error.key, "\(error.message) (in the cell \(cell))")
        }
        let values = config.resolvedValues
        let changed = values.indices.filter { values[$0] != baseValues[$0] }.map { (index: $0, value: values[$0]) }
        return Cell(
            index: index, coordinates: coordinates, config: config, id: cellID(values: values), changedValues: changed)
    }

    /// Canonical index of the cell at point `x` of the first axis and `y` of the second (2-D sweeps).
    public func cellIndex(x: Int, y: Int) -> Int {
        precondition(spec.axes.count == 2, "cellIndex(x:y:) needs a 2-D sweep, this one has \(spec.axes.count) axes")
        return x * spec.axes[1].points.count + y
    }

    /// Every key's resolved value for replicate `r` of `cell`, in ``ConfigField/all`` order: the values of
    /// `cell.config(replicate: r).resolvedEntries`, without rendering every key again (a results row's columns).
    public func resolvedValues(of cell: Cell, replicate r: Int) -> [String] {
        var values = baseValues
        for change in cell.changedValues { values[change.index] = change.value }
        values[Self.replicateColumn] = ConfigField.all[Self.replicateColumn].render(cell.config(replicate: r))
        return values
    }

    /// Index of `replicate` in ``ConfigField/all``.
    private static let replicateColumn: Int = {
        guard let index = ConfigField.all.firstIndex(where: { $0.key == "replicate" }) else {
            preconditionFailure("no config key replicate")
        }
        return index
    }()

    /// FNV-1a 64 of the cell's resolved `key=value` pairs except `seed` and `replicate`, as 16 hex digits.
    public static func cellID(_ config: ExperimentConfig) -> String {
        cellID(values: config.resolvedValues)
    }

    /// ``cellID(_:)`` of a config whose ``ExperimentConfig/resolvedValues`` are `values`.
    private static func cellID(values: [String]) -> String {
        let text = ExperimentConfig.identifyingEntries(values).filter { $0.key != "seed" && $0.key != "replicate" }
            .map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        let hash = StreamSeed.fnv1a64(text)
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // MARK: - Identity and resolved file

    /// The sweep's identity, compared on resume: every fixed key's resolved value, each axis's values and
    /// the replicate count.
    public var identity: [(key: String, value: String)] {
        let swept = Set(spec.sweptKeys)
        var entries = base.identifyingEntries.filter { !swept.contains($0.key) && $0.key != "replicate" }
        for axis in spec.axes {
            let section = axis.zipped ? "zip" : "grid"
            for (k, key) in axis.keys.enumerated() {
                entries.append(("\(section).\(key)", "[" + axis.points.map { $0[k] }.joined(separator: ", ") + "]"))
            }
        }
        entries.append(("replicates", String(spec.replicates)))
        return entries
    }

    /// `config.resolved.yaml` of a sweep: the fixed keys (as ``ExperimentConfig/resolvedYAML``, swept keys
    /// left out), `grid:` / `zip:` with every value listed, and `replicates:`. Loadable as a sweep config.
    public var resolvedYAML: String {
        let swept = Set(spec.sweptKeys)
        var lines = ["# TransferSim resolved sweep config: fixed keys, every grid value, replicates."]
        lines += base.resolvedYAML.split(separator: "\n").dropFirst().map(String.init).filter { line in
            let key =
                line.hasPrefix("# ")
                ? String(line.dropFirst(2).prefix { $0 != ":" }) : String(line.prefix { $0 != ":" })
            return !swept.contains(key) && key != "replicate"
        }
        for section in ["grid", "zip"] {
            let axes = spec.axes.filter { $0.zipped == (section == "zip") }
            guard !axes.isEmpty else { continue }
            lines.append("\(section):")
            for axis in axes {
                for (k, key) in axis.keys.enumerated() {
                    lines.append("  \(key): [" + axis.points.map { $0[k] }.joined(separator: ", ") + "]")
                }
            }
        }
        lines.append("replicates: \(spec.replicates)")
        if spec.keepHistory { lines.append("keep_history: true") }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension SweepPlan {
    /// Loads a sweep config file (flat keys plus `grid:`, `zip:`, `replicates:`) and `--set` overrides.
    ///
    /// - Throws: ``ConfigError`` naming the offending key.
    /// `grids` are `--grid` axes (``SweepSpec/gridArgument(_:)``): each replaces the file's `grid:` axis of its key, or
    /// is added after the file's axes (a key the file fixes becomes swept).
    /// `replicates` (`--replicates N`) replaces the file's `replicates:`. A sweep sets `replicate` per row, so
    /// `--set replicate=…` is refused (as is the file's `replicate:`, a key of one run).
    public static func load(
        path: String, overrides: [String] = [], seed: UInt64? = nil, grids: [String] = [],
        replicates: Int? = nil
    ) throws -> SweepPlan {
        for override in overrides {
            let key = override.prefix { $0 != "=" }.trimmingCharacters(in: .whitespaces)
            if key == "replicate" || key == "replicates" {
                throw ConfigError(
                    key: "--set",
                    "\(key) is not a key of a sweep's cells: a sweep runs replicates 0..<replicates of every cell; give --replicates N"
                )
            }
        }
        let mapping = try ConfigLoader.readMapping(path: path)
        let sections = SweepSpec.sections
        let node = { (name: String) in mapping.first { $0.key == name }?.node }
        var gridPairs = node("grid")?.mapping.map { Array($0).map { ($0.key, $0.value) } } ?? []
        var gridKeys = Set<String>()
        for argument in grids {
            let (key, values) = try SweepSpec.gridArgument(argument)
            guard gridKeys.insert(key).inserted else { throw ConfigError(key: "--grid", "gives \(key) twice") }
            if node("zip")?.mapping?.keys.contains(where: { $0.string == key }) == true {
                throw ConfigError(key: "--grid", "\(key) is a zip: axis of \(path); edit the file to change it")
            }
            if let index = gridPairs.firstIndex(where: { $0.0.string == key }) {
                gridPairs[index].1 = values
            } else {
                gridPairs.append((Node(key), values))
            }
        }
        var fixed: [ConfigLoader.Entry] = []
        for (key, node) in mapping where !sections.contains(key) && !gridKeys.contains(key) {
            guard let scalar = node.scalar else {
                throw ConfigError(key: key, "must be a single value (sweep values belong under grid: or zip:)")
            }
            fixed.append((key, scalar.string))
        }
        let gridNode = gridPairs.isEmpty && node("grid") == nil ? nil : Node(gridPairs)
        guard gridNode != nil || node("zip") != nil else {
            throw ConfigError(
                key: "grid",
                "\(path) has no grid: or zip: axis, so it is not a sweep (a run's config or output?); add an axis, or use --grid KEY=…"
            )
        }
        var spec = try SweepSpec.parse(
            grid: gridNode, zip: node("zip"), replicates: replicates.map { Node(String($0)) } ?? node("replicates"))
        spec.keepHistory = try SweepSpec.parseKeepHistory(node("keep_history"))
        return try SweepPlan(
            baseLayers: [fixed, ConfigLoader.commandLineLayer(overrides: overrides, seed: seed)], spec: spec)
    }
}
