import Foundation
import Testing
@testable import TransferSim

@Suite struct EngineTests {
    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(a.map(abs).max() ?? 0, b.map(abs).max() ?? 0, 1e-300)
        return Fixtures.maxDifference(a, b) / scale
    }

    static func compare(_ overrides: [String: String], preset: Preset) throws {
        let weight = try TransferExperiment(config: try Fixtures.config(preset, overrides.merging(["engine": "weight"]) { a, _ in a })).run()
        let span = try TransferExperiment(config: try Fixtures.config(preset, overrides.merging(["engine": "span"]) { a, _ in a })).run()
        for stage in Stage.allCases {
            guard let w = weight.outcome(stage).training, let s = span.outcome(stage).training else {
                #expect(weight.outcome(stage).status == span.outcome(stage).status)
                continue
            }
            #expect(relative(w.final.weights.storage, s.final.weights.storage) < 1e-9, "\(stage) filters, \(overrides)")
            #expect(relative(w.final.biases, s.final.biases) < 1e-9, "\(stage) biases")
            #expect(relative(w.decomposition.rho.storage, s.decomposition.rho.storage) < 1e-9, "\(stage) ρ")
            #expect(relative(w.decomposition.gamma, s.decomposition.gamma) < 1e-9, "\(stage) γ")
            #expect(w.history.count == s.history.count)
            for (a, b) in zip(w.history, s.history) {
                #expect(relative(a.values, b.values) < 1e-9, "\(stage) history at step \(a.step)")
            }
            #expect(abs(w.trainLoss - s.trainLoss) <= 1e-9 * max(w.trainLoss, 1e-12))
            let (we, se) = (weight.outcome(stage).test, span.outcome(stage).test)
            #expect(abs((we?.cleanError ?? 0) - (se?.cleanError ?? 0)) < 1e-9, "\(stage) test error")
        }
    }

    @Test("span and weight-space engines agree to 1e-9 on random configurations of every kind", arguments: [Preset.theory, .kou2023Code])
    func engines_agree(preset: Preset) throws {
        var generator = Xoshiro256StarStar(seed: preset == .theory ? 1 : 2)
        for trial in 0..<4 {
            let alpha = ["0", "0.34", "1"][trial % 3]
            let overrides = [
                "seed": String(trial), "alpha": alpha, "n2": String(5 + Int(generator.next() % 10)),
                "d": String(20 + Int(generator.next() % 40)),
                "freeze_steps": String(Int(generator.next() % 6)), "inherited_lr_scale": ["1", "0.5", "2"][trial % 3],
                "bias": trial % 2 == 0 ? "true" : "false", "evaluation": trial % 2 == 0 ? "sample" : "population",
                "noise": trial % 2 == 0 ? "isotropic" : "projected", "inherit_selection": trial == 3 ? "first" : "random",
            ]
            try Self.compare(overrides, preset: preset)
        }
        // Entry inheritance (no freeze or λ, as validation requires).
        try Self.compare(["alpha": "0.5", "inherit_unit": "entry"], preset: preset)
    }

    @Test("auto picks the span engine when N < d and weight space otherwise")
    func auto_choosesByCost() {
        #expect(Engine.auto.resolved(sampleCount: 20, dimension: 400) == .span)
        #expect(Engine.auto.resolved(sampleCount: 400, dimension: 400) == .weight)
        #expect(Engine.weight.resolved(sampleCount: 20, dimension: 400) == .weight)
    }
}

@Suite struct DrawCacheTests {
    @Test("cells reusing cached standard draws give results identical to fresh draws, for both evaluators")
    func cache_identicalResults() throws {
        for evaluation in ["sample", "population"] {
            let cache = DrawCache()
            for mu in ["0.5", "1.5", "3"] {
                let config = try Fixtures.config(.kou2023Code, ["alpha": "0", "u_norm": "0", "mu2_norm": mu, "evaluation": evaluation])
                let cached = try TransferExperiment(config: config).run(upstream: nil, cache: cache)
                let fresh = try TransferExperiment(config: config).run()
                #expect(RunWriter.summary(cached).text == RunWriter.summary(fresh).text)
                #expect(cached.downstreamSample == fresh.downstreamSample)
            }
            // Training data and (sample) test points: drawn once for the three values of ‖μ‖.
            #expect(cache.generated == (evaluation == "sample" ? 2 : 1))
        }
    }
}
