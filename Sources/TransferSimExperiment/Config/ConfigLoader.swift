import Foundation
import TransferSimCore
import Yams

/// Reads flat YAML or JSON configs and `--set key=value` overrides into an ``ExperimentConfig``.
///
/// Resolution order: the `preset` (the last one given anywhere, default `theory`) supplies every
/// default; then the file's keys; then the `--set` overrides, in order. Within one layer a task may be
/// given by `v{k}_norm` or `mu{k}_norm`, not both; a later layer's choice replaces an earlier one's.
/// Unknown keys, wrong types and out-of-range values are ``ConfigError``s naming the key.
public enum ConfigLoader {
    /// One `key: value` pair as written, the value as its scalar text.
    public typealias Entry = (key: String, value: String)

    /// The largest config (or claims) file read: 1 MiB, far above any real sweep (the longest committed one is 2 KiB;
    /// an explicit list of 10⁵ values fits), so a runaway file is refused before it is parsed.
    public static let maxFileBytes = 1 << 20

    /// The text of the config file at `path`: a regular file (after symbolic links) of at most ``maxFileBytes``, in
    /// UTF-8. A FIFO, device or directory is refused before it is opened (opening a FIFO would wait for a writer).
    ///
    /// - Throws: ``ConfigError`` naming the path and what is wrong, in one line.
    public static func readText(path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigError(key: path, "cannot read config file (\(String(cString: strerror(errno))))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR:
            throw ConfigError(
                key: path, "is a directory, not a config file (a sweep's config is DIR/config.resolved.yaml)")
        default:
            throw ConfigError(key: path, "is not a regular file (a FIFO, socket or device); give a YAML or JSON file")
        }
        guard info.st_size <= maxFileBytes else {
            throw ConfigError(
                key: path, "is \(info.st_size) bytes; a config file may have at most \(maxFileBytes) (1 MiB)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigError(key: path, "cannot read config file (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw ConfigError(key: path, "cannot read config file (\(error.localizedDescription))")
        }
        guard data.count <= maxFileBytes else {
            throw ConfigError(key: path, "grew past \(maxFileBytes) bytes while being read")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(key: path, "is not UTF-8 text") }
        return text
    }

    /// The top-level mapping of a YAML/JSON document at `path`, keys with their nodes, in file order.
    ///
    /// - Throws: ``ConfigError`` if the file cannot be read or is not a mapping.
    package static func readMapping(path: String) throws -> [(key: String, node: Node)] {
        let text = try readText(path: path)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            let summary = "\(error)".split(separator: "\n").first.map(String.init) ?? "parse error"
            throw ConfigError(key: path, "not valid YAML or JSON: \(summary)")
        }
        guard let root else { return [] }
        guard let mapping = root.mapping else {
            throw ConfigError(key: path, "must be a mapping of key: value pairs")
        }
        var entries: [(key: String, node: Node)] = []
        var seen = Set<String>()
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.scalar?.string else { throw ConfigError(key: path, "keys must be plain names") }
            guard seen.insert(key).inserted else { throw ConfigError(key: key, "given twice in \(path)") }
            entries.append((key, valueNode))
        }
        return text.hasPrefix(LegacyRecipeSettings.header) ? LegacyRecipeSettings.normalized(entries) : entries
    }

    /// The scalar entries of a flat experiment config file.
    ///
    /// - Throws: ``ConfigError`` for a non-scalar value (e.g. a sweep's `grid:` given to `run`).
    public static func readFlat(path: String) throws -> [Entry] {
        try readMapping(path: path).map { key, node in
            guard let scalar = node.scalar else {
                throw ConfigError(key: key, "must be a single value (lists and mappings belong to sweep configs)")
            }
            return (key, scalar.string)
        }
    }

    /// The scalar entries of a config file read for one run: a flat experiment config, or a sweep config
    /// (`grid:`, `zip:`, `replicates:`, e.g. a sweep directory's `config.resolved.yaml`) whose swept keys are all
    /// in `given` (the run's `--set` keys, which fix one cell of it).
    ///
    /// - Throws: ``ConfigError`` naming the swept keys not given, or for a malformed file.
    public static func readRunLayer(path: String, given: Set<String>) throws -> [Entry] {
        let mapping = try readMapping(path: path)
        let sections = SweepSpec.sections
        guard mapping.contains(where: { sections.contains($0.key) }) else { return try readFlat(path: path) }
        let node = { (name: String) in mapping.first { $0.key == name }?.node }
        let spec = try SweepSpec.parse(grid: node("grid"), zip: node("zip"), replicates: node("replicates"))
        let missing = spec.sweptKeys.filter { !given.contains($0) }
        guard missing.isEmpty else {
            throw ConfigError(
                key: missing.joined(separator: ", "),
                "swept by the sweep config \(path); give the cell's values with --set \(missing.map { "\($0)=…" }.joined(separator: " --set ")) (they are columns of results.csv), or use run --from DIR --cell ID"
            )
        }
        return try mapping.filter { !sections.contains($0.key) }.map { key, node in
            guard let scalar = node.scalar else { throw ConfigError(key: key, "must be a single value") }
            return (key, scalar.string)
        }
    }

    /// Splits a `--set key=value` argument.
    ///
    /// - Throws: ``ConfigError`` if there is no `=` or the key is empty.
    public static func parseAssignment(_ text: String) throws -> Entry {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw ConfigError(key: text, "--set needs key=value")
        }
        return (
            String(text[..<equals]).trimmingCharacters(in: .whitespaces), String(text[text.index(after: equals)...])
        )
    }

    /// The command-line layer: `--set key=value` overrides in order, then `--seed`.
    ///
    /// - Throws: ``ConfigError`` for a malformed assignment.
    public static func commandLineLayer(overrides: [String], seed: UInt64?) throws -> [Entry] {
        var layer = try overrides.map(parseAssignment)
        if let seed { layer.append(("seed", String(seed))) }
        return layer
    }

    /// Resolves layers of entries (file first, then overrides) into a config, validated unless
    /// `validate` is false (a sweep's base, whose cells are validated one by one).
    ///
    /// `preset` and then `recipe` are set first, each from the last layer that gives it, so every other key is read
    /// under the recipe in force: a key of another recipe (``ConfigField/recipes``) is refused whatever its value.
    /// With `recipeGiven` false (a sweep whose axes give `recipe`), the recipe is the first of those that every given
    /// recipe setting belongs to instead, so that the base holds the fixed settings; its cells are resolved in full.
    ///
    /// - Throws: ``ConfigError`` naming the first offending key.
    public static func resolve(
        _ layers: [[Entry]], validate: Bool = true, recipeGiven: Bool = true
    ) throws -> ExperimentConfig {
        var config = ExperimentConfig()
        let all = Array(layers.joined())
        if let presetText = all.last(where: { $0.key == "preset" })?.value {
            try field("preset").set(presetText, in: &config)
            config = ExperimentConfig(preset: config.preset)
        }
        if let recipeText = all.last(where: { $0.key == "recipe" })?.value {
            try field("recipe").set(recipeText, in: &config)
        }
        if !recipeGiven {
            let settings = Set(all.map(\.key)).compactMap { ConfigField.named($0)?.recipes }
            if let kind = RecipeKind.allCases.first(where: { kind in settings.allSatisfy { $0.contains(kind) } }) {
                config.recipe = Recipe(kind)
            }
        }
        for layer in layers { try apply(layer, to: &config, skipping: ["preset", "recipe"]) }
        if validate { try config.validate() }
        return config
    }

    /// Sets the keys of one layer but `preset` on `config`: `recipe` first (the layer's last), then the others in
    /// order (one step of ``resolve(_:validate:recipeGiven:)``: resolving `layers + [layer]` is resolving `layers`
    /// then applying `layer`, when `layer` gives neither `preset` nor `recipe`).
    ///
    /// - Throws: ``ConfigError`` for an unknown key, a bad value, a key of another recipe, or both `v{k}_norm` and
    ///   `mu{k}_norm`.
    public static func apply(_ layer: [Entry], to config: inout ExperimentConfig) throws {
        if let recipeText = layer.last(where: { $0.key == "recipe" })?.value {
            try field("recipe").set(recipeText, in: &config)
        }
        try apply(layer, to: &config, skipping: ["preset", "recipe"])
    }

    /// Sets the keys of `layer` but `skipped` on `config`, in order.
    private static func apply(_ layer: [Entry], to config: inout ExperimentConfig, skipping skipped: Set<String>) throws
    {
        for k in 1...2
        where layer.contains(where: { $0.key == "v\(k)_norm" }) && layer.contains(where: { $0.key == "mu\(k)_norm" }) {
            throw ConfigError(key: "mu\(k)_norm", "give v\(k)_norm or mu\(k)_norm, not both")
        }
        for entry in layer where !skipped.contains(entry.key) {
            guard let field = ConfigField.named(entry.key) else {
                throw ConfigError(key: entry.key, ConfigField.unknown(entry.key, allowed: ConfigField.all.map(\.key)))
            }
            try field.set(entry.value, in: &config)
        }
    }

    /// The field of a key the table is known to hold.
    private static func field(_ key: String) -> ConfigField {
        guard let field = ConfigField.named(key) else { preconditionFailure("no config key \(key)") }
        return field
    }
}
