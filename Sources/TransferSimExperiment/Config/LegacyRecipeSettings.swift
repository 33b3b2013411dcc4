import Yams

/// Reading `config.resolved.yaml` files written before recipes carried their own settings (earlier releases).
///
/// Those files list every key, so a `finetune` run's file holds `distill_weight: 0.5`, and a sweep's `zip:` axis over
/// `recipe` gives every recipe's settings at every point, at their defaults where they do not apply. A key of another
/// recipe is now refused whatever its value (``ConfigField/recipes``), so in a file TransferSim wrote (its first line
/// starts with ``header``) such a key at its default (``ConfigField/neutral``) is read as not given: a fixed key is
/// dropped and a zip value becomes ``SweepSpec/notGiven``. Nothing else changes, so old run and sweep directories
/// load, resume and merge with the identities they had.
enum LegacyRecipeSettings {
    /// The first characters of every resolved file TransferSim writes.
    static let header = "# TransferSim resolved"

    /// `mapping` (a resolved file's top level) with the settings of other recipes at their defaults left out.
    static func normalized(_ mapping: [(key: String, node: Node)]) -> [(key: String, node: Node)] {
        let fixedRecipe = mapping.first { $0.key == "recipe" }?.node.scalar.flatMap { RecipeKind(rawValue: $0.string) }
        let zip = mapping.first { $0.key == "zip" }?.node.mapping
        let zipRecipes = zip?.first { $0.key.string == "recipe" }?.value.sequence?.map {
            $0.scalar.flatMap { RecipeKind(rawValue: $0.string) }
        }
        return mapping.compactMap { entry in
            if entry.key == "zip", let zip, let zipRecipes {
                return (entry.key, normalizedZip(zip, recipes: zipRecipes))
            }
            guard let field = ConfigField.named(entry.key), let owners = field.recipes,
                let text = entry.node.scalar?.string, isNeutral(text, of: field)
            else { return entry }
            // A swept recipe: a default is the same setting given or not, for every point.
            guard let fixedRecipe else { return nil }
            return owners.contains(fixedRecipe) ? entry : nil
        }
    }

    /// A zip axis over `recipe` with each point's settings of other recipes at their defaults made ``SweepSpec/notGiven``.
    private static func normalizedZip(_ zip: Node.Mapping, recipes: [RecipeKind?]) -> Node {
        Node(
            zip.map { keyNode, valueNode -> (Node, Node) in
                guard let field = ConfigField.named(keyNode.string ?? ""), let owners = field.recipes,
                    let items = valueNode.sequence, items.count == recipes.count
                else { return (keyNode, valueNode) }
                let values = Swift.zip(items, recipes).map { item, recipe -> Node in
                    guard let recipe, !owners.contains(recipe), let text = item.scalar?.string,
                        isNeutral(text, of: field)
                    else { return item }
                    return Node(SweepSpec.notGiven)
                }
                return (keyNode, Node(values))
            })
    }

    /// Whether `text` is `field`'s default, numbers compared as numbers (`1` is `1.0`).
    private static func isNeutral(_ text: String, of field: ConfigField) -> Bool {
        guard let neutral = field.neutral else { return false }
        if let value = ConfigField.parseFinite(text), let reference = ConfigField.parseFinite(neutral) {
            return value == reference
        }
        return text.trimmingCharacters(in: .whitespaces) == neutral
    }
}
