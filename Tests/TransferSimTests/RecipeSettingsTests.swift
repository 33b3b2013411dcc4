import Foundation
import Testing

@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimSweeps

/// A recipe's settings exist only under it (``Recipe``): given under another recipe they are refused whatever their
/// value; a `zip:` point leaves them out with `~`; resolved files of earlier versions still load.
@Suite struct RecipeSettingsTests {
    /// Writes `text` to a fresh temporary file and returns its path.
    static func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("transfersim-recipe-\(UUID()).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A small sweep over the six recipes (the shape of experiments/recipes.yaml), `zip` its recipe-settings lines.
    static func recipeSweep(_ zip: String, header: String = "") -> String {
        header + """
            d: 24
            m: 3
            n1: 16
            n2: 8
            steps1: 10
            steps2: 6
            alpha: 1
            zip:
              recipe: [finetune, l2sp, distill, linear-probe, lp-ft, lora]
            \(zip)
            replicates: 1

            """
    }

    @Test("every recipe setting is refused under every recipe it does not belong to, at its default value too")
    func settings_refusedWhateverTheirValue() throws {
        let settings = ConfigField.all.filter { $0.recipes != nil }
        #expect(settings.count == 10)
        for field in settings {
            for kind in RecipeKind.allCases where !(field.recipes ?? []).contains(kind) {
                let given = try #require(field.neutral)
                #expect(throws: ConfigError.self, "\(field.key)=\(given) under \(kind)") {
                    try Fixtures.config(.theory, ["recipe": kind.rawValue, field.key: given])
                }
                do {
                    _ = try Fixtures.config(.theory, ["recipe": kind.rawValue, field.key: given])
                } catch let error as ConfigError {
                    #expect(error.key == field.key)
                    #expect(error.message.contains("recipe is \(kind.rawValue)"))
                }
            }
            for kind in field.recipes ?? [] {
                let config = try Fixtures.config(.theory, ["recipe": kind.rawValue, field.key: try #require(field.neutral)])
                #expect(config == (try Fixtures.config(.theory, ["recipe": kind.rawValue])), "\(field.key)")
            }
        }
    }

    @Test("the recipe in force is the last one given in any layer, so a setting may come before its recipe")
    func recipe_isSetBeforeItsSettings() throws {
        let config = try ConfigLoader.resolve([
            [("distill_weight", "0.3"), ("teacher", "transfer")], [("recipe", "finetune")], [("recipe", "distill")],
        ])
        var expected = Recipe.DistillationSettings()
        expected.weight = 0.3
        expected.teacher = .transfer
        #expect(config.recipe == .distill(expected))
        #expect(throws: ConfigError.self) {
            try ConfigLoader.resolve([[("recipe", "distill"), ("distill_weight", "0.3")], [("recipe", "l2sp")]])
        }
    }

    @Test("a zip: point leaves a setting out with ~, and a point that gives another recipe's setting is refused")
    func zip_notGiven() throws {
        let plan = try SweepPlan.load(
            path: try Self.file(
                Self.recipeSweep(
                    """
                      l2sp_strength: [~, 0.01, ~, ~, ~, ~]
                      distill_weight: [~, null, 0.3, ~, ~, ~]
                      head_lr_scale: [~, ~, ~, 10, 1, ~]
                      lora_rank: [~, ~, ~, ~, ~, 2]
                    """)))
        var distill = Recipe.DistillationSettings()
        distill.weight = 0.3
        var head = Recipe.HeadTraining()
        head.stepScale = 10
        var lora = Recipe.LowRankSettings()
        lora.rank = 2
        #expect(
            plan.cells.map(\.config.recipe) == [
                .finetune, .l2sp(strength: 0.01), .distill(distill), .linearProbe(head),
                .lpFt(Recipe.HeadTraining(), probeSteps: Recipe.defaultProbeSteps), .lora(lora),
            ])
        // The resolved file keeps the ~ and loads to the same plan.
        let again = try SweepPlan.load(path: try Self.file(plan.resolvedYAML))
        #expect(again.cells.map(\.id) == plan.cells.map(\.id))
        #expect(SweepPlan.differingKeys(again.identity, plan.identity).isEmpty)
        #expect(plan.resolvedYAML.contains("  distill_weight: [~, ~, 0.3, ~, ~, ~]"))
        do {
            _ = try SweepPlan.load(path: try Self.file(Self.recipeSweep("  distill_weight: [0.5, ~, 0.3, ~, ~, ~]")))
            Issue.record("a finetune point giving distill_weight was accepted")
        } catch let error as ConfigError {
            #expect(error.key == "distill_weight")
            #expect(error.message.contains("in the cell recipe=finetune, distill_weight=0.5"))
        }
        #expect(throws: ConfigError.self) {
            try SweepPlan.load(path: try Self.file("d: 24\ngrid:\n  l2sp_strength: [~, 0.1]\n  recipe: [l2sp]\n"))
        }
    }

    @Test("a slice of a sweep whose zip axis leaves settings out (a plot with --where recipe=…) keeps them out")
    func slice_ofZipWithNotGiven() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("transfersim-recipe-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.recipeSweep("  l2sp_strength: [~, 0.01, ~, ~, ~, ~]\n").replacingOccurrences(
            of: "zip:", with: "grid:\n  u_norm: [0, 1]\nzip:")
        let plan = try SweepPlan.load(path: try Self.file(text))
        _ = try SweepRunner(plan: plan, directory: root.path, threads: 1).run()
        let table = try SweepTable(directory: root)
        for recipe in ["finetune", "l2sp"] {
            let slice = try table.slice(axes: [("--x", "u_norm")], fixed: ["recipe": recipe])
            #expect(slice.plan.cells.map(\.config.recipe.kind.rawValue) == [recipe, recipe])
            let ids = plan.cells.filter { $0.config.recipe.kind.rawValue == recipe }.map(\.id)
            #expect(slice.plan.cells.map(\.id) == ids)
            #expect(slice.plan.cells.allSatisfy { slice.value($0, "transfer_gain_mean").isFinite })
        }
    }

    @Test("a run's resolved file holds its own recipe's settings alone and loads to the same values, for every recipe")
    func resolvedRun_roundTrips() throws {
        for kind in RecipeKind.allCases {
            let config = try Fixtures.config(.theory, ["recipe": kind.rawValue])
            let reloaded = try ConfigLoader.resolve([ConfigLoader.readFlat(path: try Self.file(config.resolvedYAML))])
            // Resolved values: the file writes defaults such as κ = 1/m as numbers.
            #expect(reloaded.resolvedValues == config.resolvedValues, "\(kind)")
            #expect(reloaded.recipe.kind == kind)
            for field in ConfigField.all where field.recipes != nil {
                #expect(
                    config.resolvedYAML.contains("\n\(field.key): ") == field.recipes?.contains(kind),
                    "\(field.key) under \(kind)")
            }
        }
    }

    @Test("resolved files of earlier releases (every key, other recipes' settings at their defaults) still load")
    func legacyResolvedFiles_load() throws {
        // A run's file: a finetune run listed distill_weight and lora_scale at their defaults.
        let run = try Fixtures.config(.theory)
        let legacyRun = run.resolvedYAML + "distill_weight: 0.5\nlora_scale: default\nhead_lr_scale: 1\n"
        #expect(
            try ConfigLoader.resolve([ConfigLoader.readFlat(path: try Self.file(legacyRun))]).resolvedValues
                == run.resolvedValues)
        // Not a file TransferSim wrote: the same keys are refused.
        #expect(throws: ConfigError.self) {
            try ConfigLoader.resolve([ConfigLoader.readFlat(path: try Self.file("distill_weight: 0.5\n"))])
        }
        // A sweep's file: every setting at every point, with the fixed keys of other recipes.
        let current = try SweepPlan.load(
            path: try Self.file(
                Self.recipeSweep("  l2sp_strength: [~, 0.01, ~, ~, ~, ~]\n  probe_steps: [~, ~, ~, ~, 10, ~]\n")))
        let legacy = try SweepPlan.load(
            path: try Self.file(
                Self.recipeSweep(
                    "  l2sp_strength: [0, 0.01, 0.0, 0, 0, 0]\n  probe_steps: [25, 25, 25, 25, 10, 25]\n"
                        + "teacher: upstream\nlora_init: default\n",
                    header: "# TransferSim resolved sweep config: fixed keys, every grid value, replicates.\n")))
        #expect(legacy.cells.map(\.id) == current.cells.map(\.id))
        #expect(legacy.cells.map(\.config) == current.cells.map(\.config))
        #expect(SweepPlan.differingKeys(legacy.identity, current.identity).isEmpty)
    }
}
