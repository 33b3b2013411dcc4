import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct ConfigTests {
    /// A fresh empty temporary directory.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("transfersim-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static let small = ["d=20", "m=2", "n1=8", "n2=6", "steps1=5", "steps2=5", "population_draws=200"]

    @Test(
        "bad input is rejected with a one-line message naming the key, and leaves nothing behind",
        arguments: [
            (["colour=red"], "colour"), (["m=abc"], "m"), (["m=-1"], "m"), (["n1=0"], "n1"), (["d=2.5"], "d"),
            (["sigma_p1=-1"], "sigma_p1"), (["sigma_p2=0"], "sigma_p2"), (["sigma0=-0.1"], "sigma0"),
            (["alpha=1.5"], "alpha"), (["alpha=-0.1"], "alpha"), (["flip1=0.5"], "flip1"), (["flip2=-0.1"], "flip2"),
            (["u_norm=3", "mu2_norm=2.5"], "mu2_norm"), (["d=2"], "d"), (["v2_norm=1", "mu2_norm=2"], "mu2_norm"),
            (["freeze_steps=6"], "freeze_steps"), (["noise=gaussian"], "noise"), (["bias=maybe"], "bias"),
            (["eta1=nan"], "eta1"), (["seed=-3"], "seed"), (["cos_v1_v2=1.2"], "cos_v1_v2"), (["u_norm=-1"], "u_norm"),
            (["inherit_unit=entry", "freeze_steps=2"], "inherit_unit"), (["preset=kou"], "preset"),
            (["novalue"], "novalue"),
        ])
    func badInput_rejected(overrides: [String], key: String) throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let output = root.appendingPathComponent("out").path
        let job = RunJob(configPath: nil, overrides: Self.small + overrides, output: output)
        let error = try #require(throws: ConfigError.self) { try job.execute() }
        #expect(error.key == key)
        #expect(!error.description.contains("\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    @Test("an unwritable output directory is rejected and nothing is left behind")
    func unwritableOutput_rejected() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: file)
        let job = RunJob(configPath: nil, overrides: Self.small, output: file.appendingPathComponent("sub/out").path)
        let error = try #require(throws: FileError.self) { try job.execute() }
        #expect(error.key == "--out")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["plain-file"])
    }

    @Test("run writes its files atomically, refuses to overwrite without --force, and replaces with it")
    func run_writesAndProtectsOutput() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let output = root.appendingPathComponent("nested/out").path
        _ = try RunJob(configPath: nil, overrides: Self.small, output: output).execute()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: output))
        #expect(files == ["config.resolved.yaml", "summary.json", "history.csv", "results_version", "blas"])
        let again = RunJob(configPath: nil, overrides: Self.small + ["seed=4"], output: output)
        #expect(throws: FileError.self) { try again.execute() }
        var forced = again
        forced.force = true
        _ = try forced.execute()
        let summary = try String(contentsOfFile: output + "/summary.json", encoding: .utf8)
        #expect(summary.contains("\"seed\": 4"))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("nested").path) == ["out"])
    }

    @Test(
        "config.resolved.yaml loads back to the same config, for both presets and both signal parametrisations",
        arguments: [
            ["preset=theory", "mu2_norm=2.2", "v1_norm=1"],
            ["preset=kou2023-code", "v2_norm=1.5", "mu1_norm=3", "alpha=0.4"],
        ])
    func resolvedYAML_roundTrip(overrides: [String]) throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try RunJob(configPath: nil, overrides: overrides, output: "unused").resolveConfig()
        let path = root.appendingPathComponent("config.yaml").path
        try config.resolvedYAML.write(toFile: path, atomically: true, encoding: .utf8)
        let reloaded = try RunJob(configPath: path, output: "unused").resolveConfig()
        #expect(reloaded.resolvedEntries.map(\.value) == config.resolvedEntries.map(\.value))
        #expect(reloaded.resolvedYAML == config.resolvedYAML)
    }

    @Test("JSON configs work; the preset supplies defaults and explicit keys override it")
    func json_presetAndOverrides() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("c.json").path
        try #"{"preset": "kou2023-code", "eta2": 0.05, "m": 4}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try RunJob(configPath: path, overrides: ["m=6"], seed: 9, output: "unused").resolveConfig()
        #expect(config.preset == .kou2023Code)
        #expect(config.eta2 == 0.05 && config.eta1 == 0.1)
        #expect(config.m == 6 && config.seed == 9)
        #expect(
            config.resolvedOutputScale == 0.5 && config.bias && config.noise == .isotropic
                && config.initKind == .pytorchUniform)
        #expect(try RunJob(configPath: nil, output: "unused").resolveConfig().resolvedOutputScale == 0.1)
    }

    @Test("a sweep-style list value is refused by run with the key named")
    func nonScalar_rejected() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("c.yaml").path
        try "alpha: [0, 0.5]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: ConfigError.self) {
            try RunJob(configPath: path, output: "unused").resolveConfig()
        }
        #expect(error.key == "alpha")
    }

    @Test("an unknown key names the nearest key within two edits, and only then")
    func unknownKey_suggestsNearest() throws {
        #expect(
            ConfigField.editDistance("kitten", "sitting") == 3 && ConfigField.editDistance("", "ab") == 2
                && ConfigField.editDistance("ab", "ab") == 0)
        let near = try #require(throws: ConfigError.self) { try ConfigLoader.resolve([[("alhpa", "1")]]) }
        #expect(near.key == "alhpa" && near.message.hasPrefix("unknown key (did you mean alpha?)"))
        let far = try #require(throws: ConfigError.self) { try ConfigLoader.resolve([[("zzzzzz", "1")]]) }
        #expect(far.message.hasPrefix("unknown key; allowed keys: preset"))
    }

    @Test(
        "values are numbers: -0 is 0 (one cell id, one grid value), 100 and 1e2 are one d; a value listed twice is refused"
    )
    func negativeZero_isZero() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = try SweepPlan.load(path: config, overrides: ["target_loss2=0"])
        let signed = try SweepPlan.load(path: config, overrides: ["target_loss2=-0"])
        #expect(signed.cells.map(\.id) == plain.cells.map(\.id) && signed.resolvedYAML == plain.resolvedYAML)
        #expect(!signed.resolvedYAML.contains("-0.0"))
        for (key, values) in [("alpha", "[0, 0.5, -0]"), ("d", "[100, 1e2]"), ("u_norm", "[1, 1.0]")] {
            let path = root.appendingPathComponent("\(key).yaml").path
            try (SweepTests.base + "grid:\n  \(key): \(values)\n").write(
                toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: ConfigError.self) { try SweepPlan.load(path: path) }
            #expect(error.key == "grid.\(key)" && error.message.contains("twice"), "\(key): \(error)")
        }
    }
}

@Suite struct DocumentationTests {
    @Test("docs/config.md's key table is exactly `transfersim keys`")
    func configDoc_keyTableInSync() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("docs/config.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- keys:begin -->\n"))
        let end = try #require(readme.range(of: "\n<!-- keys:end -->"))
        #expect(String(readme[begin.upperBound..<end.lowerBound]) == ConfigField.markdownTable)
        for key in ["preset", "seed", "d", "m", "u_norm", "v1_norm", "mu2_norm", "freeze_steps", "log_every"] {
            #expect(ConfigField.named(key) != nil)
        }
    }

    @Test(
        "docs/outputs.md's results.csv table is exactly `transfersim keys --columns`, and it names every column of the header"
    )
    func outputsDoc_columnTableInSync() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/outputs.md"), encoding: .utf8)
        let begin = try #require(doc.range(of: "<!-- columns:begin -->\n"))
        let end = try #require(doc.range(of: "\n<!-- columns:end -->"))
        let table = String(doc[begin.upperBound..<end.lowerBound])
        #expect(table == ResultColumns.markdownTable)
        let configKeys = Set(ConfigField.all.map(\.key))
        for column in ResultColumns.header where !configKeys.contains(column) {
            let stage = Stage.allCases.first {
                column.hasPrefix("\($0.rawValue)_") && ExperimentResult.columns.first { $0.name == column }?.stage == $0
            }
            let documented = stage.map { "`<stage>_\(column.dropFirst($0.rawValue.count + 1))`" } ?? "`\(column)`"
            #expect(table.contains("| \(documented) |"), "\(column)")
        }
        // The Python reader types its tables from the same table.
        let kinds = try String(
            contentsOf: root.appendingPathComponent("python/transfersim/columns.json"), encoding: .utf8)
        #expect(
            kinds == ResultColumns.kindsJSON,
            "python/transfersim/columns.json: rewrite it with `transfersim keys --columns --json`")
        // The table's values and names agree: every metric of a result is reported under its column's name.
        #expect(
            ExperimentResult.metricNames.count == ExperimentResult.metricColumns.count
                && Set(ExperimentResult.metricNames).count == ExperimentResult.metricNames.count)
    }
}

/// The key table as the single source of "what determines what" (``Influence``).
@Suite struct InfluenceTests {
    @Test("every key but preset declares what it determines")
    func everyKey_declaresInfluence() {
        for field in ConfigField.all where field.key != "preset" {
            #expect(!field.affects.isEmpty, "\(field.key) declares no influence")
        }
    }

    @Test(
        "stream layouts derived from the table are the historical strings (so every seed, and every result, is unchanged)"
    )
    func streamLayouts_unchanged() {
        let config = ExperimentConfig()
        #expect(config.streamLayout(.upstreamData) == "d=400" && config.streamLayout(.downstreamData) == "d=400")
        #expect(config.streamLayout(.upstreamInit) == "d=400,m=10,init=gaussian")
        #expect(config.streamLayout(.downstreamInit) == "d=400,m=10,init=gaussian")
        #expect(config.streamLayout(.inheritance) == "d=400,m=10,unit=filter,selection=random")
        #expect(config.streamLayout(.test) == "d=400,m=10,evaluation=population")
        #expect(config.streamLayout(.upstreamTest) == "d=400,m=10,evaluation=population")
    }

    /// A valid value other than the fixture's for each key (the fixture: theory preset, d = 24, m = 3, …).
    static let alternatives: [String: String] = [
        "seed": "5", "replicate": "1", "d": "26", "m": "2", "u_norm": "0.7", "v1_norm": "1.5", "v2_norm": "0.9",
        "mu1_norm": "2.6",
        "mu2_norm": "2.2", "cos_v1_v2": "0.4", "n1": "14", "n2": "6", "sigma_p1": "0.8", "sigma_p2": "1.3",
        "flip1": "0.2",
        "flip2": "0.05", "noise": "isotropic", "init": "pytorch-uniform", "sigma0": "0.3", "bias": "true",
        "output_scale": "0.2",
        "eta1": "0.4", "eta2": "0.3", "steps1": "25", "steps2": "15", "alpha": "0.5", "inherit_unit": "entry",
        "inherit_selection": "first", "freeze_steps": "3", "inherited_lr_scale": "0.5", "evaluation": "sample",
        "n_test": "300",
        "population_draws": "1500", "log_every": "4", "engine": "weight", "target_loss1": "0.3", "target_loss2": "0.3",
        "recipe": "l2sp", "l2sp_strength": "0.1", "distill_weight": "0.3", "distill_temperature": "2",
        "head_init": "zero", "head_lr_scale": "2", "probe_steps": "3", "lora_rank": "2", "lora_scale": "2",
        "lora_init": "0.1", "teacher": "transfer",
    ]

    /// Keys another key needs to be valid (a recipe's own keys need that recipe).
    static let companions: [String: [String: String]] = [
        "l2sp_strength": ["recipe": "l2sp"], "distill_weight": ["recipe": "distill"],
        "distill_temperature": ["recipe": "distill"],
        "head_init": ["recipe": "linear-probe"], "head_lr_scale": ["recipe": "linear-probe"],
        "probe_steps": ["recipe": "lp-ft"], "lora_rank": ["recipe": "lora"], "lora_scale": ["recipe": "lora"],
        "lora_init": ["recipe": "lora"], "teacher": ["recipe": "distill"],
    ]

    @Test(
        "a key that does not declare the upstream stage leaves the trained upstream model bit-identical; one that does changes its key"
    )
    func upstreamDeclarations_hold() throws {
        let base = try Fixtures.config(.theory)
        let reference = try TransferExperiment(config: base).trainUpstream()
        for field in ConfigField.all where field.key != "preset" {
            let value = try #require(Self.alternatives[field.key], "no alternative value for \(field.key)")
            let changed = try Fixtures.config(
                .theory, [field.key: value].merging(Self.companions[field.key] ?? [:]) { a, _ in a })
            if field.affects.isDisjoint(with: [.upstream, .streams]) {
                #expect(changed.upstreamKey == base.upstreamKey, "\(field.key)")
                let upstream = try TransferExperiment(config: changed).trainUpstream()
                #expect(
                    upstream.outcome.training?.final == reference.outcome.training?.final,
                    "\(field.key) moved the upstream model")
                #expect(upstream.outcome.test == reference.outcome.test, "\(field.key) moved the upstream test error")
            } else {
                #expect(changed.upstreamKey != base.upstreamKey, "\(field.key)")
            }
        }
    }
}
