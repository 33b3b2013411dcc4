import Foundation
import TransferSimCore

/// One config key: its name (also its CSV column), meaning, allowed range, parser and renderer.
///
/// The table ``all`` is the single list of keys (`docs/config.md`): parsing, validation
/// messages, `config.resolved.yaml`, CSV columns and docs/config.md's table all come from it.
package struct ConfigField: Sendable {
    /// Key name, e.g. `sigma_p1`.
    package let key: String
    /// Meaning, with the docs/model.md symbol.
    package let meaning: String
    /// Allowed values, as shown in error messages.
    package let range: String
    /// Parses a scalar and stores it.
    private(set) var assign: @Sendable (inout ExperimentConfig, String) throws -> Void
    /// The resolved value, as written to YAML and CSV.
    package let render: @Sendable (ExperimentConfig) -> String
    /// What the key determines (declared in the table by ``affecting(_:layoutName:)``).
    package internal(set) var affects: Set<Influence> = []
    /// The key's name inside stream layouts (the key itself unless declared otherwise).
    package internal(set) var layoutName = ""
    /// For a key added after results were first written: its value that changes nothing (`0.0` for an unset target
    /// loss). At that value the key is left out of cell ids and sweep identities (``ExperimentConfig/identifyingEntries``), so cells
    /// and sweep directories written before the key existed keep their ids and resume.
    package internal(set) var neutral: String?
    /// The values of a key that takes one of a fixed set (``choice(_:_:_:)``), else nil: such a column is text with
    /// these levels (a category in the Python reader).
    package internal(set) var choices: [String]?
    /// The recipes a recipe's setting belongs to (``only(_:)``), nil for every other key. Given under any other recipe
    /// the key is refused, whatever its value: the config loader sets `recipe` before every other key, so the message
    /// names the recipe in force (docs/model.md §11).
    package private(set) var recipes: [RecipeKind]?

    /// This field with a ``neutral`` value.
    func neutral(_ value: String) -> ConfigField {
        var copy = self
        copy.neutral = value
        return copy
    }

    /// This field as a setting of `recipes` alone (``recipes``).
    func only(_ recipes: [RecipeKind]) -> ConfigField {
        var copy = self
        copy.recipes = recipes
        let (key, assign) = (key, assign)
        let owners = recipes.map(\.rawValue).joined(separator: " or ")
        copy.assign = { config, text in
            guard recipes.contains(config.recipe.kind) else {
                throw ConfigError(
                    key: key,
                    "applies to recipe: \(owners) only (recipe is \(config.recipe.kind.rawValue)); remove it, or set recipe: \(recipes[0].rawValue) (in a zip: axis, ~ leaves it out of a point)"
                )
            }
            try assign(&config, text)
        }
        return copy
    }

    /// Parses `text` as this key's value and stores it in `config`.
    ///
    /// - Throws: ``ConfigError`` naming the key and its range.
    package func set(_ text: String, in config: inout ExperimentConfig) throws {
        try assign(&config, text)
    }

    // MARK: - Builders

    private static func invalid(_ key: String, _ range: String, _ text: String) -> ConfigError {
        ConfigError(key: key, "must be \(range), got '\(text)'")
    }

    /// Largest magnitude a real-valued key may take. Squares and fourth powers of the inputs (the theory
    /// statistics, `‖μ‖⁴`, `σ_p⁴`) must stay finite in double precision, so no key may come near the
    /// overflow threshold; no meaningful setting reaches 10⁵⁰.
    package static let magnitudeBound = 1e50

    /// Parses a finite real of magnitude at most ``magnitudeBound``; `-0` is read as `0` (``parseFinite(_:)``).
    static func parseReal(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = parseFinite(trimmed), abs(value) <= magnitudeBound, !underflows(trimmed, to: value) else {
            return nil
        }
        return value
    }

    /// Parses a finite real, with `-0` read as `0` (`x + 0` is `+0` for `x = −0` and `x` otherwise): a value is a
    /// number, so `-0` and `0` give one config, one cell id and one grid value.
    package static func parseFinite(_ text: String) -> Double? {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        return value + 0.0
    }

    /// Whether `text` names a nonzero number that double precision rounds to 0 (e.g. `1e-400`): refused, never read
    /// as 0.
    static func underflows(_ text: String, to value: Double) -> Bool {
        guard value == 0 else { return false }
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        return mantissa.contains { ("1"..."9").contains($0) }
    }

    /// `unknown key` with the nearest key of ``all`` when one is within two edits (Levenshtein distance, e.g.
    /// `sigma_p` → `sigma_p1`), then every key allowed among `allowed`: the one message for an unknown key.
    package static func unknown(_ key: String, allowed: [String]) -> String {
        let near = allowed.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= 2 && $0.1 < key.count }.min {
            $0.1 < $1.1
        }
        return "unknown key" + (near.map { " (did you mean \($0.0)?)" } ?? "") + "; allowed keys: "
            + allowed.joined(separator: ", ")
    }

    /// The Levenshtein distance between `a` and `b` (insertions, deletions, substitutions of characters).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }

    /// Formats a double the way every output file does (shortest round-trip form).
    package static func format(_ value: Double) -> String { NumberText.shortest(value) }

    /// A real-valued key; `bounded` keys (the default) must lie within ``magnitudeBound``. Step sizes are only
    /// required to be finite: a huge step is a run that diverges (``Forward/divergenceBound``), not bad input.
    static func real(
        _ key: String, _ meaning: String, _ range: String, _ path: WritableKeyPath<ExperimentConfig, Double> & Sendable,
        bounded: Bool = true, valid: @escaping @Sendable (Double) -> Bool
    ) -> ConfigField {
        ConfigField(
            key: key, meaning: meaning, range: range,
            assign: { config, text in
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if let zero = Double(trimmed), underflows(trimmed, to: zero) {
                    throw ConfigError(
                        key: key,
                        "'\(trimmed)' is too small for double precision (it would be read as 0); give 0, or a magnitude of at least 1e-308"
                    )
                }
                let parsed = bounded ? parseReal(text) : parseFinite(text)
                guard let value = parsed, valid(value) else { throw invalid(key, range, text) }
                config[keyPath: path] = value
            }, render: { format($0[keyPath: path]) })
    }

    /// A LoRA key (`lora_scale`, `lora_init`) whose default depends on other keys: written `default` (or left out)
    /// for that default, rendered as the value in force under recipe `lora` and as `default` under any other recipe
    /// (where the key does not apply), so configs without LoRA keep their identities.
    static func optionalReal(
        _ key: String, _ meaning: String, _ path: WritableKeyPath<ExperimentConfig, Double?> & Sendable,
        resolved: KeyPath<ExperimentConfig, Double> & Sendable
    ) -> ConfigField {
        let range = "a number in (0, 1e50], or default"
        return ConfigField(
            key: key, meaning: meaning, range: range,
            assign: { config, text in
                if text.trimmingCharacters(in: .whitespaces) == "default" {
                    config[keyPath: path] = nil
                    return
                }
                guard let value = parseReal(text), value > 0 else { throw invalid(key, range, text) }
                config[keyPath: path] = value
            },
            render: { config in
                config.recipe.kind == .lora ? format(config[keyPath: resolved]) : "default"
            })
    }

    static func integer(
        _ key: String, _ meaning: String, _ range: String, _ path: WritableKeyPath<ExperimentConfig, Int> & Sendable,
        valid: @escaping @Sendable (Int) -> Bool
    ) -> ConfigField {
        ConfigField(
            key: key, meaning: meaning, range: range,
            assign: { config, text in
                guard let value = parseInteger(text), valid(value) else { throw invalid(key, range, text) }
                config[keyPath: path] = value
            }, render: { String($0[keyPath: path]) })
    }

    static func choice<E: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ meaning: String, _ path: WritableKeyPath<ExperimentConfig, E> & Sendable
    ) -> ConfigField where E.RawValue == String {
        let range = "one of " + E.allCases.map(\.rawValue).joined(separator: ", ")
        var field = ConfigField(
            key: key, meaning: meaning, range: range,
            assign: { config, text in
                guard let value = E(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
                    throw invalid(key, range, text)
                }
                config[keyPath: path] = value
            }, render: { $0[keyPath: path].rawValue })
        field.choices = E.allCases.map(\.rawValue)
        return field
    }

    static func signal(
        _ k: Int, mu: Bool, _ path: WritableKeyPath<ExperimentConfig, SignalNorm> & Sendable
    ) -> ConfigField {
        let key = mu ? "mu\(k)_norm" : "v\(k)_norm"
        let meaning =
            mu
            ? "‖μ_\(k)‖ = ‖u + v_\(k)‖, alternative to v\(k)_norm (give one of the two)"
            : "‖v_\(k)‖, task-\(k) specific signal strength"
        let range = mu ? "a number in [u_norm, 1e50]" : "a number in [0, 1e50]"
        return ConfigField(
            key: key, meaning: meaning, range: range,
            assign: { config, text in
                guard let value = parseReal(text), value >= 0 else { throw invalid(key, range, text) }
                config[keyPath: path] = mu ? .mu(value) : .v(value)
            },
            render: { config in
                format(
                    mu
                        ? config[keyPath: path].muNorm(uNorm: config.uNorm)
                        : config[keyPath: path].vNorm(uNorm: config.uNorm))
            })
    }

    /// Parses an integer written as `12`, `1e3` or `12.0` (an exactly integral number).
    static func parseInteger(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let value = Int(trimmed) { return value }
        guard let real = Double(trimmed), real.isFinite, real.rounded() == real, abs(real) < 9.0e15 else { return nil }
        return Int(real)
    }
}
