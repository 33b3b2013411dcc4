import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct EngineTests {
    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(a.map(abs).max() ?? 0, b.map(abs).max() ?? 0, 1e-300)
        return Fixtures.maxDifference(a, b) / scale
    }

    static func compare(_ overrides: [String: String], preset: Preset) throws {
        let weight = try TransferExperiment(
            config: try Fixtures.config(preset, overrides.merging(["engine": "weight"]) { a, _ in a })
        ).run()
        let span = try TransferExperiment(
            config: try Fixtures.config(preset, overrides.merging(["engine": "span"]) { a, _ in a })
        ).run()
        for stage in Stage.allCases {
            guard let w = weight.outcome(stage).training, let s = span.outcome(stage).training else {
                #expect(weight.outcome(stage).status == span.outcome(stage).status)
                continue
            }
            #expect(relative(w.final.weights.storage, s.final.weights.storage) < 1e-9, "\(stage) filters, \(overrides)")
            #expect(relative(w.final.biases, s.final.biases) < 1e-9, "\(stage) biases")
            #expect(
                relative(w.final.head ?? [], s.final.head ?? []) < 1e-9
                    && (w.final.head == nil) == (s.final.head == nil), "\(stage) head")
            #expect(relative(w.decomposition.rho.storage, s.decomposition.rho.storage) < 1e-9, "\(stage) ρ")
            #expect(relative(w.decomposition.gamma, s.decomposition.gamma) < 1e-9, "\(stage) γ")
            #expect(w.history.count == s.history.count)
            for (a, b) in zip(w.history, s.history) {
                #expect(relative(a.values, b.values) < 1e-9, "\(stage) history at step \(a.step)")
            }
            #expect(abs(w.trainLoss - s.trainLoss) <= 1e-9 * max(w.trainLoss, 1e-12))
            // Filters that agree to 1e-9 classify every test point alike but one whose output lies within rounding of 0:
            // at most one point of the test draws may change side (measured: one of 800 under OpenBLAS's Cooperlake kernel).
            let (we, se) = (weight.outcome(stage).test, span.outcome(stage).test)
            let points = weight.config.evaluation == .sample ? weight.config.nTest : weight.config.populationDraws
            #expect(
                abs((we?.cleanError ?? 0) - (se?.cleanError ?? 0)) <= 1 / Double(points) + 1e-12, "\(stage) test error")
        }
    }

    @Test(
        "span and weight-space engines agree to 1e-9 on random configurations of every kind",
        arguments: [Preset.theory, .kou2023Code])
    func engines_agree(preset: Preset) throws {
        var generator = Xoshiro256StarStar(seed: preset == .theory ? 1 : 2)
        for trial in 0..<4 {
            let alpha = ["0", "0.34", "1"][trial % 3]
            let overrides = [
                "seed": String(trial), "alpha": alpha, "n2": String(5 + Int(generator.next() % 10)),
                "d": String(20 + Int(generator.next() % 40)),
                "freeze_steps": String(Int(generator.next() % 6)), "inherited_lr_scale": ["1", "0.5", "2"][trial % 3],
                "bias": trial % 2 == 0 ? "true" : "false", "evaluation": trial % 2 == 0 ? "sample" : "population",
                "noise": trial % 2 == 0 ? "isotropic" : "projected",
                "inherit_selection": trial == 3 ? "first" : "random",
            ]
            try Self.compare(overrides, preset: preset)
        }
        // Entry inheritance (no freeze or λ, as validation requires).
        try Self.compare(["alpha": "0.5", "inherit_unit": "entry"], preset: preset)
    }

    @Test(
        "span and weight-space engines agree to 1e-9 on 200 seeded random configurations over every key that shapes training"
    )
    func engines_agreeOnManyConfigs() throws {
        var generator = Xoshiro256StarStar(seed: 2024)
        func pick(_ values: [String]) -> String { values[Int(generator.next() % UInt64(values.count))] }
        var compared = 0
        for trial in 0..<200 {
            let entry = pick(["filter", "filter", "entry"])
            var overrides = [
                "seed": String(trial), "d": pick(["12", "20", "33"]), "m": pick(["1", "2", "4"]),
                "n1": pick(["6", "11", "18"]),
                "n2": pick(["4", "7", "13"]), "steps1": pick(["0", "9", "25"]), "steps2": pick(["1", "8", "21"]),
                "eta1": pick(["0.2", "0.9", "3"]), "eta2": pick(["0.1", "0.6", "2.5"]),
                "u_norm": pick(["0", "0.8", "2"]),
                "v1_norm": pick(["0", "1.3"]), "v2_norm": pick(["0.4", "1.7"]),
                "cos_v1_v2": pick(["0", "0.5", "-0.9"]),
                "sigma_p1": pick(["0.5", "1.4"]), "sigma_p2": pick(["0.7", "1.1"]), "flip1": pick(["0", "0.2"]),
                "flip2": pick(["0", "0.3"]),
                "bias": pick(["true", "false"]), "init": pick(["gaussian", "pytorch-uniform"]),
                "sigma0": pick(["0.05", "0.4"]),
                "noise": pick(["projected", "isotropic"]), "evaluation": pick(["sample", "population"]),
                "alpha": pick(["0", "0.3", "1"]),
                "inherit_unit": entry, "inherit_selection": pick(["random", "first"]),
                "output_scale": pick(["0.1", "0.5", "1"]),
                "log_every": pick(["1", "4"]), "population_draws": "400", "n_test": "120",
            ]
            if entry == "filter" {
                overrides["freeze_steps"] = pick(["0", "1", "3"])
                overrides["inherited_lr_scale"] = pick(["0", "0.5", "1", "2"])
            }
            // Configs the validation refuses (e.g. T_freeze > T_2) are skipped; most are valid.
            guard (try? Fixtures.config(.theory, overrides)) != nil else { continue }
            try Self.compare(overrides, preset: .theory)
            compared += 1
        }
        #expect(compared > 150)
    }

    @Test("auto picks the engine with fewer FLOPs: span when N < 2d for long runs, weight space otherwise")
    func auto_choosesByCost() {
        #expect(Engine.auto.resolved(sampleCount: 20, dimension: 400, filterCount: 20, steps: 100) == .span)
        #expect(Engine.auto.resolved(sampleCount: 300, dimension: 200, filterCount: 20, steps: 1000) == .span)
        #expect(Engine.auto.resolved(sampleCount: 300, dimension: 140, filterCount: 20, steps: 1000) == .weight)
        // No steps: the span engine's one-off products are pure overhead.
        #expect(Engine.auto.resolved(sampleCount: 20, dimension: 400, filterCount: 20, steps: 0) == .weight)
        #expect(Engine.weight.resolved(sampleCount: 20, dimension: 400, filterCount: 20, steps: 100) == .weight)
        #expect(Engine.span.resolved(sampleCount: 400, dimension: 20, filterCount: 20, steps: 100) == .span)
    }
}

@Suite struct BatchTrainingTests {
    static func bits(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }

    @Test(
        "models trained in one batch on the same noise equal their own runs bit for bit, a diverging one included",
        arguments: [3, 10])
    func batch_equalsOneByOne(m: Int) {
        let d = 60, n = 25
        let architecture = Architecture(filtersPerClass: m, dimension: d, outputScale: 1 / Double(m), hasBias: m == 3)
        let draws = StandardDraws(count: n, dimension: d, seed: 5)
        var jobs: [(initial: Parameters, sample: TaskSample, schedule: TrainingSchedule)] = []
        for (k, u) in [0.5, 1, 2, 1.5].enumerated() {
            let signals = Signals(uNorm: u, v1Norm: 1, v2Norm: 1, cosine: 0)
            let sample = TaskDistribution(
                task: .one, signals: signals, dimension: d, noiseLevel: 1, flipRate: 0.1, noise: .isotropic
            )
            .sample(from: draws)
            var generator = Xoshiro256StarStar(seed: UInt64(10 + k))
            var initial = Initialization.gaussian(sigma0: 0.1).draw(architecture, generator: &generator)
            // Job 1 stops early; job 3 diverges (an infinite filter entry).
            if k == 3 { initial.weights[1, 2] = .infinity }
            let schedule = TrainingSchedule(
                stepSize: 0.5, steps: k == 1 ? 7 : 30,
                filterCount: architecture.filterCount, logEvery: 4)
            jobs.append((initial, sample, schedule))
        }
        let trainer = GradientDescent(
            architecture: architecture, alignmentDirections: [[(0, 1)], [(1, 1)], [(2, 1)]], engine: .span)
        let batched = trainer.train(batch: jobs)
        #expect(batched.map(\.status) == [.ok, .ok, .ok, .diverged])
        for (job, batch) in zip(jobs, batched) {
            let single = trainer.train(from: job.initial, on: job.sample, schedule: job.schedule)
            #expect(batch.status == single.status)
            #expect(Self.bits(batch.final.weights.storage) == Self.bits(single.final.weights.storage))
            #expect(Self.bits(batch.final.biases) == Self.bits(single.final.biases))
            #expect(Self.bits(batch.decomposition.rho.storage) == Self.bits(single.decomposition.rho.storage))
            #expect(batch.history.map { Self.bits($0.values) } == single.history.map { Self.bits($0.values) })
        }
    }
}

@Suite struct DrawCacheTests {
    @Test("cells reusing cached standard draws give results identical to fresh draws, for both evaluators")
    func cache_identicalResults() throws {
        for evaluation in ["sample", "population"] {
            let cache = DrawCache()
            for mu in ["0.5", "1.5", "3"] {
                let config = try Fixtures.config(
                    .kou2023Code, ["alpha": "0", "u_norm": "0", "mu2_norm": mu, "evaluation": evaluation])
                let cached = try TransferExperiment(config: config).run(upstream: nil, cache: cache)
                let fresh = try TransferExperiment(config: config).run()
                #expect(RunWriter.summary(cached).text == RunWriter.summary(fresh).text)
                #expect(cached.downstreamSample == fresh.downstreamSample)
                // The baseline's init, ΞΞᵀ, W⁽⁰⁾Ξᵀ and ‖ξ_i‖² come from the cache after the first ‖μ‖: the same bits.
                #expect(cached.baseline.training?.final == fresh.baseline.training?.final)
                #expect(
                    cached.baseline.training?.span?.noiseCoefficients
                        == fresh.baseline.training?.span?.noiseCoefficients)
            }
            // Training data and (sample) test points: drawn once for the three values of ‖μ‖.
            #expect(cache.generated == (evaluation == "sample" ? 2 : 1))
        }
    }
}
