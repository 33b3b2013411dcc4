import TransferSimCore

extension ExperimentConfig {
    /// The entries that identify a cell or a sweep: ``resolvedEntries`` without the keys at their neutral value
    /// (``ConfigField/neutral``).
    public var identifyingEntries: [(key: String, value: String)] {
        Self.identifyingEntries(resolvedValues)
    }

    /// ``identifyingEntries`` of a config whose ``resolvedValues`` are `values`.
    public static func identifyingEntries(_ values: [String]) -> [(key: String, value: String)] {
        zip(ConfigField.all, values).filter { field, value in field.neutral != value }.map { ($0.key, $1) }
    }

    /// The config's keys with their resolved values (every key of ``ConfigField/all``), the CSV columns.
    public var resolvedEntries: [(key: String, value: String)] {
        zip(ConfigField.all, resolvedValues).map { ($0.key, $1) }
    }

    /// The resolved values of ``resolvedEntries`` alone, in ``ConfigField/all`` order.
    public var resolvedValues: [String] {
        ConfigField.all.map { $0.render(self) }
    }

    /// `config.resolved.yaml`: every value, preset expanded, loadable again to reproduce the run.
    ///
    /// Of `v{k}_norm` / `mu{k}_norm` only the one the config was given by is a key; the other is written
    /// as a comment with its derived value (a file with both would be refused). The settings of other recipes
    /// (``ConfigField/recipes``) are left out: they do not apply, and given they would be refused.
    public var resolvedYAML: String {
        var lines = ["# TransferSim resolved experiment config: every key with the value used."]
        for (field, value) in zip(ConfigField.all, resolvedValues)
        where field.recipes?.contains(recipe.kind) ?? true {
            let key = field.key
            let derived: Bool
            switch key {
            case "v1_norm": if case .mu = v1 { derived = true } else { derived = false }
            case "v2_norm": if case .mu = v2 { derived = true } else { derived = false }
            case "mu1_norm": if case .v = v1 { derived = true } else { derived = false }
            case "mu2_norm": if case .v = v2 { derived = true } else { derived = false }
            default: derived = false
            }
            lines.append(derived ? "# \(key): \(value)  (derived)" : "\(key): \(value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
