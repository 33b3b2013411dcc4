import Foundation
import Testing

@testable import TransferSimCore
@testable import TransferSimExperiment

/// Recipes `linear-probe`, `lp-ft`, `lora` and `distill` with `teacher: transfer` (docs/model.md §11).
@Suite struct RecipeTests {
    /// Central differences of `objective` at `point` in 30 random coordinates equal `(point − next)/eta` there: `next`
    /// is one gradient-descent step of step `eta` on `objective` from `point`.
    static func expectStep(
        of objective: ([Double]) -> Double, from point: [Double], to next: [Double], eta: Double, seed: UInt64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var generator = Xoshiro256StarStar(seed: seed)
        for _ in 0..<30 {
            let k = Int(generator.next() % UInt64(point.count))
            var plus = point, minus = point
            plus[k] += 1e-6
            minus[k] -= 1e-6
            let numeric = (objective(plus) - objective(minus)) / 2e-6
            let step = (point[k] - next[k]) / eta
            #expect(
                abs(numeric - step) <= 1e-6 * max(abs(numeric), 1e-3), "coordinate \(k): \(numeric) vs \(step)",
                sourceLocation: sourceLocation)
        }
    }

    /// Filters, biases and head as one vector, and back.
    static func flatten(_ p: Parameters) -> [Double] { p.weights.storage + p.biases + (p.head ?? []) }
    static func unflatten(_ x: [Double], like p: Parameters) -> Parameters {
        let w = p.weights.storage.count, b = p.biases.count
        return Parameters(
            weights: Matrix(rows: p.weights.rows, cols: p.weights.cols, storage: Array(x[0..<w])),
            biases: Array(x[w..<(w + b)]), head: p.head == nil ? nil : Array(x[(w + b)...]))
    }

    static func transfer(
        _ config: ExperimentConfig, steps: Int, upstream: TransferExperiment.Upstream?
    ) throws -> TrainingResult {
        var c = config
        c.steps2 = steps
        return try #require(try TransferExperiment(config: c).run(upstream: upstream).transfer.training)
    }

    @Test(
        "linear-probe trains only the head, by the exact gradient (1/N) Σ ℓ' y j Σ_p σ(⟨w, x_p⟩ + b), with step h η; zero steps equal finetune's zero steps"
    )
    func linearProbe_headGradient() throws {
        for headInit in HeadInit.allCases {
            let config = try Fixtures.config(
                .kou2023Code,
                [
                    "alpha": "0.5", "recipe": "linear-probe", "head_init": headInit.rawValue, "head_lr_scale": "3",
                    "steps2": "4", "log_every": "1",
                ])
            let upstream = try TransferExperiment(config: config).trainUpstream()
            let one = try Self.transfer(config, steps: 1, upstream: upstream),
                two = try Self.transfer(config, steps: 2, upstream: upstream)
            #expect(
                one.initial.head
                    == [Double](repeating: headInit == .kappa ? config.resolvedOutputScale : 0, count: 2 * config.m))
            #expect(two.final.weights == one.initial.weights && two.final.biases == one.initial.biases)  // the backbone stays fixed
            #expect(two.final.head != one.final.head)
            let architecture = config.architecture,
                sample = try TransferExperiment(config: config).run(upstream: upstream).downstreamSample
            let start = one.final
            let objective = { (a: [Double]) -> Double in
                var p = start
                p.head = a
                return p.loss(architecture: architecture, sample: sample)
            }
            Self.expectStep(
                of: objective, from: try #require(one.final.head), to: try #require(two.final.head),
                eta: 3 * config.eta2, seed: 11)
        }
        let probe = try TransferExperiment(
            config: try Fixtures.config(.theory, ["alpha": "0.5", "recipe": "linear-probe", "steps2": "0"])
        ).run()
        let finetune = try TransferExperiment(config: try Fixtures.config(.theory, ["alpha": "0.5", "steps2": "0"]))
            .run()
        #expect(
            probe.transfer.test == finetune.transfer.test
                && probe.transfer.training?.trainLoss == finetune.transfer.training?.trainLoss)
        #expect(probe.transfer.training?.final.weights == finetune.transfer.training?.final.weights)
    }

    @Test(
        "lp-ft: probing leaves the filters, then filters (with a_{j,r} in place of κ), biases and head take one exact gradient step"
    )
    func lpFt_jointGradient() throws {
        let config = try Fixtures.config(
            .kou2023Code,
            [
                "alpha": "0.5", "recipe": "lp-ft", "probe_steps": "3", "head_lr_scale": "1", "steps2": "4",
                "log_every": "1",
            ])
        let upstream = try TransferExperiment(config: config).trainUpstream()
        let probeOnly = try Self.transfer(config, steps: 0, upstream: upstream)
        let one = try Self.transfer(config, steps: 1, upstream: upstream)
        #expect(probeOnly.steps == 3 && one.steps == 4)
        #expect(probeOnly.final.weights == probeOnly.initial.weights && probeOnly.final.head != probeOnly.initial.head)
        #expect(one.history.map(\.step) == [0, 1, 2, 3, 4])
        let sample = try TransferExperiment(config: config).run(upstream: upstream).downstreamSample,
            architecture = config.architecture
        let start = probeOnly.final
        Self.expectStep(
            of: { Self.unflatten($0, like: start).loss(architecture: architecture, sample: sample) },
            from: Self.flatten(start), to: Self.flatten(one.final), eta: config.eta2, seed: 12)
        #expect(one.final.biases != start.biases)
        // The analytic gradient (filters, biases, head) against central differences at a point with a non-uniform head.
        let gradient = Self.flatten(start.gradient(architecture: architecture, sample: sample))
        var generator = Xoshiro256StarStar(seed: 13)
        let x = Self.flatten(start)
        for _ in 0..<20 {
            let k = Int(generator.next() % UInt64(x.count))
            var plus = x, minus = x
            plus[k] += 1e-6
            minus[k] -= 1e-6
            let numeric =
                (Self.unflatten(plus, like: start).loss(architecture: architecture, sample: sample)
                    - Self.unflatten(minus, like: start).loss(architecture: architecture, sample: sample)) / 2e-6
            #expect(abs(numeric - gradient[k]) <= 1e-6 * max(abs(numeric), 1e-3))
        }
    }

    @Test(
        "lora: B = 0 with no steps is the start; each step moves A and B by (s/r) Bᵀ G and (s/r) G Aᵀ (central differences); biases stay"
    )
    func lora_adapterGradient() throws {
        let config = try Fixtures.config(
            .kou2023Code,
            [
                "alpha": "0.5", "recipe": "lora", "lora_rank": "2", "lora_scale": "3", "lora_init": "0.3",
                "steps2": "4", "log_every": "1",
            ])
        let upstream = try TransferExperiment(config: config).trainUpstream()
        let zero = try Self.transfer(config, steps: 0, upstream: upstream)
        #expect(zero.final == zero.initial)
        let start = try #require(zero.adapters?.final)
        #expect(start.b.storage.allSatisfy { $0 == 0 } && start.a.rows == 4 && start.a.cols == config.d)
        #expect(zero.adapters?.initial == start)
        let one = try Self.transfer(config, steps: 1, upstream: upstream),
            two = try Self.transfer(config, steps: 2, upstream: upstream)
        let a1 = try #require(one.adapters?.final), a2 = try #require(two.adapters?.final)
        #expect(a1.a == start.a && a1.b != start.b)  // ∇A = (s/r) Bᵀ G = 0 at B = 0
        #expect(two.final.biases == zero.initial.biases)
        let sample = try TransferExperiment(config: config).run(upstream: upstream).downstreamSample,
            architecture = config.architecture
        let base = zero.initial
        let objective = { (x: [Double]) -> Double in
            var adapter = a1
            adapter.a = Matrix(rows: a1.a.rows, cols: a1.a.cols, storage: Array(x[0..<a1.a.storage.count]))
            adapter.b = Matrix(rows: a1.b.rows, cols: a1.b.cols, storage: Array(x[a1.a.storage.count...]))
            var p = base
            p.weights = adapter.filters(base: base.weights)
            return p.loss(architecture: architecture, sample: sample)
        }
        Self.expectStep(
            of: objective, from: a1.a.storage + a1.b.storage, to: a2.a.storage + a2.b.storage, eta: config.eta2,
            seed: 14)
        #expect(Fixtures.maxDifference(a2.filters(base: base.weights).entries, two.final.weights.entries) == 0)
        // The decomposition is not defined: γ, ρ are NaN; alignments are recorded.
        #expect(two.decomposition.gamma.allSatisfy { $0.isNaN })
        #expect(
            two.history.last?.alignmentMean.allSatisfy { $0.isFinite } == true
                && two.history.last?.rhoBarMax.isNaN == true)
    }

    @Test(
        "distill with teacher: transfer learns from the finetune transfer model (its metrics are the teacher_* columns); engines agree"
    )
    func distill_transferTeacher() throws {
        let overrides = ["alpha": "0.5", "recipe": "distill", "teacher": "transfer", "steps2": "12", "log_every": "1"]
        let result = try TransferExperiment(config: try Fixtures.config(.theory, overrides)).run()
        let finetune = try TransferExperiment(
            config: try Fixtures.config(.theory, ["alpha": "0.5", "steps2": "12", "log_every": "1"])
        ).run()
        #expect(
            result.teacher.training?.final == finetune.transfer.training?.final
                && result.teacher.test == finetune.transfer.test)
        #expect(result.transfer.training?.initial == result.baseline.training?.initial)
        let metrics = Dictionary(uniqueKeysWithValues: result.metrics.map { ($0.key, $0.value) })
        #expect(metrics["teacher_test_accuracy"] == finetune.transfer.test?.accuracy)
        let plain = Dictionary(uniqueKeysWithValues: finetune.metrics.map { ($0.key, $0.value) })
        #expect(plain["teacher_test_accuracy"]?.isNaN == true)
        #expect(result.upstream.status == .ok)
        try EngineTests.compare(overrides, preset: .theory)
        try EngineTests.compare(overrides.merging(["alpha": "0"]) { _, b in b }, preset: .kou2023Code)
    }

    @Test("recipe keys are refused under other recipes, naming them; lora_rank is bounded by min(m, d)")
    func recipeKeys_refused() throws {
        let cases: [([String: String], String)] = [
            (["lora_rank": "2"], "lora_rank"), (["lora_scale": "2"], "lora_scale"), (["lora_init": "0.1"], "lora_init"),
            (["head_init": "zero"], "head_init"), (["head_lr_scale": "2"], "head_lr_scale"),
            (["probe_steps": "3"], "probe_steps"),
            (["teacher": "transfer"], "teacher"), (["recipe": "lora", "lora_rank": "4"], "lora_rank"),
            (["recipe": "linear-probe", "freeze_steps": "2"], "freeze_steps"),
            (["recipe": "lora", "inherited_lr_scale": "2"], "inherited_lr_scale"),
            (["recipe": "lp-ft", "lora_rank": "2"], "lora_rank"),
        ]
        for (overrides, key) in cases {
            #expect(throws: ConfigError.self, "\(overrides)") { try Fixtures.config(.theory, overrides) }
            do { _ = try Fixtures.config(.theory, overrides) } catch let error as ConfigError {
                #expect(error.key == key, "\(overrides)")
            }
        }
        // Defaults render as the neutral values, so configs without recipe keys keep their cell identities.
        let plain = try Fixtures.config(.theory)
        let keys = Set(plain.identifyingEntries.map(\.key))
        for key in [
            "recipe", "head_init", "head_lr_scale", "probe_steps", "lora_rank", "lora_scale", "lora_init", "teacher",
        ] { #expect(!keys.contains(key)) }
        let lora = try Fixtures.config(.theory, ["recipe": "lora"])
        #expect(lora.resolvedEntries.first { $0.key == "lora_init" }?.value == "\(1 / Double(24).squareRoot())")
    }

    @Test(
        "linear-probe and lp-ft: the span engine (head beside the coefficients) agrees with weight space, both presets")
    func headRecipes_enginesAgree() throws {
        for preset in [Preset.theory, .kou2023Code] {
            try EngineTests.compare(
                ["alpha": "0.5", "recipe": "linear-probe", "head_lr_scale": "5", "steps2": "12", "log_every": "1"],
                preset: preset)
            try EngineTests.compare(
                [
                    "alpha": "0.5", "recipe": "lp-ft", "probe_steps": "4", "head_init": "zero", "freeze_steps": "2",
                    "steps2": "10", "log_every": "1",
                ], preset: preset)
        }
    }

    @Test("α = 0: finetune and l2sp are the baseline; linear-probe, lp-ft and lora still train by their own rule")
    func alphaZero_recipes() throws {
        for recipe in ["linear-probe", "lp-ft", "lora"] {
            let result = try TransferExperiment(config: try Fixtures.config(.theory, ["alpha": "0", "recipe": recipe]))
                .run()
            #expect(result.upstream.status == .skipped)
            #expect(result.transfer.training?.final != result.baseline.training?.final, "\(recipe)")
        }
    }

    @Test(
        "<stage>_signal_noise_ratio is max γ over Σ_{y_i = j} ρ̄ of the filter attaining it, <stage>_rho_bar_max is max ρ̄, by hand; NaN for LoRA"
    )
    func signalNoiseRatio_byHand() throws {
        let result = try TransferExperiment(config: try Fixtures.config(.theory, ["steps2": "30"])).run()
        let training = try #require(result.baseline.training)
        let gamma = training.decomposition.gamma, rho = training.decomposition.rho,
            labels = result.downstreamSample.labels
        let best = gamma.indices.max { gamma[$0] < gamma[$1] }!
        let j: Double = best < result.config.m ? 1 : -1
        let memorised = labels.indices.filter { labels[$0] == j }.map { max(rho[best, $0], 0) }.reduce(0, +)
        #expect(memorised > 0 && gamma[best] > 0)
        let metrics = Dictionary(uniqueKeysWithValues: result.metrics.map { ($0.key, $0.value) })
        #expect(
            abs(try #require(metrics["baseline_signal_noise_ratio"]) - gamma[best] / memorised) <= 1e-12 * gamma[best]
                / memorised)
        // max ρ̄ by hand, and as the history's last row records it.
        let barMax = (0..<gamma.count).flatMap { row in
            labels.indices.filter { labels[$0] == (row < result.config.m ? 1 : -1) }.map { rho[row, $0] }
        }.max()!
        #expect(metrics["baseline_rho_bar_max"] == max(barMax, 0) && training.history.last?.rhoBarMax == max(barMax, 0))
        let lora = try TransferExperiment(config: try Fixtures.config(.theory, ["recipe": "lora"])).run()
        #expect(lora.transfer.training?.signalNoiseRatio.isNaN == true)
    }
}
