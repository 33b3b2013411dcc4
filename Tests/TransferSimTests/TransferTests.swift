import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct TransferTests {
    @Test(
        "α = 0 skips the upstream stage and makes transfer identical to the baseline",
        arguments: [Preset.theory, .kou2023Code])
    func alphaZero_transferEqualsBaseline(preset: Preset) throws {
        let result = try TransferExperiment(config: try Fixtures.config(preset, ["alpha": "0"])).run()
        #expect(result.upstream.status == .skipped)
        let transfer = try #require(result.transfer.training)
        let baseline = try #require(result.baseline.training)
        #expect(transfer.final == baseline.final)
        #expect(transfer.history == baseline.history)
        #expect(result.transfer.test == result.baseline.test)
        #expect(result.metrics.first { $0.key == "transfer_gain" }?.value == 0)
    }

    @Test(
        "inheriting nothing (round(α m) = 0 with α > 0) trains a transfer model identical to the baseline, bit for bit")
    func nothingInherited_transferEqualsBaseline() throws {
        let result = try TransferExperiment(config: try Fixtures.config(.kou2023Code, ["alpha": "0.1"])).run()
        #expect(result.upstream.status == .ok)
        #expect(result.mask?.weights.contains(true) == false)
        let transfer = try #require(result.transfer.training)
        let baseline = try #require(result.baseline.training)
        #expect(transfer.final == baseline.final)
        #expect(transfer.history == baseline.history)
        #expect(result.transfer.test == result.baseline.test)
    }

    @Test(
        "α = 1 with T_freeze = T_2 leaves every inherited filter (and bias) unchanged",
        arguments: [Preset.theory, .kou2023Code])
    func fullFreeze_keepsInheritedFilters(preset: Preset) throws {
        let config = try Fixtures.config(preset, ["alpha": "1", "freeze_steps": "20", "steps2": "20"])
        let result = try TransferExperiment(config: config).run()
        let upstream = try #require(result.upstream.training)
        let transfer = try #require(result.transfer.training)
        #expect(transfer.initial == upstream.final)
        #expect(transfer.final == upstream.final)
        #expect(result.baseline.training?.final != result.baseline.training?.initial)
    }

    @Test("partial freeze: inherited rows stay fixed for T_freeze steps, fresh rows move")
    func partialFreeze_onlyInheritedRowsFixed() throws {
        let config = try Fixtures.config(.theory, ["alpha": "0.34", "m": "3", "freeze_steps": "20", "steps2": "20"])
        let result = try TransferExperiment(config: config).run()
        let mask = try #require(result.mask)
        let transfer = try #require(result.transfer.training)
        #expect(mask.rows.filter { $0 }.count == 2)
        for row in 0..<6 {
            let moved = transfer.initial.weights.row(row) != transfer.final.weights.row(row)
            #expect(moved == !mask.rows[row])
        }
    }

    @Test("filter inheritance takes round(α m) filters per class; entry inheritance a fraction α of entries")
    func inheritance_counts() throws {
        let architecture = Architecture(filtersPerClass: 10, dimension: 50, outputScale: 0.1, hasBias: true)
        for alpha in [0.0, 0.25, 0.3, 0.55, 1.0] {
            var generator = Xoshiro256StarStar(seed: 3)
            let mask = Inheritance(alpha: alpha, unit: .filter, selection: .random).mask(
                architecture, generator: &generator)
            let expected = Int((alpha * 10).rounded(.toNearestOrAwayFromZero))
            #expect(mask.rows[0..<10].filter { $0 }.count == expected)
            #expect(mask.rows[10...].filter { $0 }.count == expected)
            #expect(mask.biases == mask.rows)
        }
        var generator = Xoshiro256StarStar(seed: 4)
        let first = Inheritance(alpha: 0.3, unit: .filter, selection: .first).mask(architecture, generator: &generator)
        #expect(first.rows == (0..<20).map { $0 % 10 < 3 })
        let entries = Inheritance(alpha: 0.3, unit: .entry, selection: .random).mask(
            architecture, generator: &generator)
        let fraction = Double(entries.weights.filter { $0 }.count) / 1000
        #expect(abs(fraction - 0.3) < 5 * (0.21 / 1000).squareRoot())
    }

    @Test("random filter selection is uniform: each filter is inherited with probability k/m")
    func inheritance_uniformSelection() {
        let architecture = Architecture(filtersPerClass: 5, dimension: 2, outputScale: 0.2, hasBias: false)
        var counts = [Int](repeating: 0, count: 10)
        var generator = Xoshiro256StarStar(seed: 8)
        let trials = 20_000
        for _ in 0..<trials {
            let mask = Inheritance(alpha: 0.4, unit: .filter, selection: .random).mask(
                architecture, generator: &generator)
            for row in 0..<10 where mask.rows[row] { counts[row] += 1 }
        }
        for count in counts {
            #expect(abs(Double(count) / Double(trials) - 0.4) < 5 * (0.24 / Double(trials)).squareRoot())
        }
    }

    @Test("the same seed gives identical results; a different seed gives different data")
    func seeds_reproducible() throws {
        let a = try TransferExperiment(config: try Fixtures.config(.theory, ["seed": "5"])).run()
        let b = try TransferExperiment(config: try Fixtures.config(.theory, ["seed": "5"])).run()
        let c = try TransferExperiment(config: try Fixtures.config(.theory, ["seed": "6"])).run()
        #expect(RunWriter.summary(a).text == RunWriter.summary(b).text)
        #expect(RunWriter.history(a) == RunWriter.history(b))
        #expect(a.downstreamSample == b.downstreamSample)
        #expect(a.downstreamSample.noise != c.downstreamSample.noise)
        #expect(a.upstreamSample?.noise != c.upstreamSample?.noise)
        #expect(RunWriter.summary(a).text != RunWriter.summary(c).text)
    }
}

/// Recipe `l2sp` (docs/model.md §11): fine-tuning with the inherited filters pulled towards their inherited values.
@Suite struct L2SPTests {
    static let overrides = ["alpha": "0.5", "recipe": "l2sp", "l2sp_strength": "0.3", "steps2": "12", "log_every": "1"]

    @Test(
        "each l2sp step is the exact gradient of L + (β/2)‖w − w⁰‖² over inherited filters: checked against central differences"
    )
    func l2sp_stepIsTheRegularisedGradient() throws {
        let config = try Fixtures.config(
            .theory, Self.overrides.merging(["engine": "weight", "bias": "true"]) { a, _ in a })
        let upstream = try TransferExperiment(config: config).trainUpstream()
        let result = try TransferExperiment(config: config).run(upstream: upstream)
        let mask = try #require(result.mask)
        let start = try #require(result.transfer.training?.initial)
        // W1 and W2: the transfer stage stopped after one and two steps.
        func transfer(steps: Int) throws -> Parameters {
            var c = config
            c.steps2 = steps
            return try #require(try TransferExperiment(config: c).run(upstream: upstream).transfer.training?.final)
        }
        let w1 = try transfer(steps: 1), w2 = try transfer(steps: 2)
        let sample = result.downstreamSample, architecture = config.architecture, beta = 0.3, eta = config.eta2
        func objective(_ p: Parameters) -> Double {
            var penalty = 0.0
            for row in 0..<p.weights.rows where mask.rows[row] {
                for k in 0..<p.weights.cols { penalty += pow(p.weights[row, k] - start.weights[row, k], 2) }
                penalty += pow(p.biases[row] - start.biases[row], 2)
            }
            return p.loss(architecture: architecture, sample: sample) + beta / 2 * penalty
        }
        Fixtures.expectStepIsGradient(of: objective, from: w1, to: w2, eta: eta, seed: 3)
        #expect(mask.rows.contains(true) && mask.rows.contains(false))
        #expect(w1.weights != w2.weights)
    }

    @Test(
        "l2sp: the engines agree, the §5 decomposition (with its (1 − ηβ) factor) reconstructs the filters, β = 0 is finetune, α = 0 is the baseline"
    )
    func l2sp_enginesDecompositionAndLimits() throws {
        try EngineTests.compare(Self.overrides, preset: .theory)
        let result = try TransferExperiment(config: try Fixtures.config(.theory, Self.overrides)).run()
        let training = try #require(result.transfer.training)
        let reconstructed = training.decomposition.reconstruct(
            initial: training.initial.weights, architecture: result.config.architecture,
            sample: result.downstreamSample)
        #expect(Fixtures.maxDifference(reconstructed.entries, training.final.weights.entries) < 1e-9)
        let plain = try TransferExperiment(
            config: try Fixtures.config(.theory, ["alpha": "0.5", "steps2": "12", "log_every": "1"])
        ).run()
        let zero = try TransferExperiment(
            config: try Fixtures.config(.theory, Self.overrides.merging(["l2sp_strength": "0"]) { _, b in b })
        ).run()
        #expect(zero.transfer.training?.final == plain.transfer.training?.final)
        #expect(result.transfer.training?.final != plain.transfer.training?.final)
        let none = try TransferExperiment(
            config: try Fixtures.config(.theory, Self.overrides.merging(["alpha": "0"]) { _, b in b })
        ).run()
        #expect(none.transfer.training?.final == none.baseline.training?.final)
        #expect(throws: ConfigError.self) { try Fixtures.config(.theory, ["l2sp_strength": "0.3"]) }
    }
}

/// Recipe `distill` (docs/model.md §11), teacher `upstream`: a fresh student on the upstream model's soft labels.
@Suite struct DistillTests {
    static let overrides = [
        "recipe": "distill", "distill_weight": "0.6", "distill_temperature": "2", "steps2": "12", "log_every": "1",
    ]

    @Test(
        "a distill step is the exact gradient of (1/N) Σ [(1 − β) ℓ(y f) + β τ² H(q, s)]: checked against central differences"
    )
    func distill_stepIsTheKDGradient() throws {
        let config = try Fixtures.config(
            .theory, Self.overrides.merging(["engine": "weight", "bias": "true"]) { a, _ in a })
        let upstream = try TransferExperiment(config: config).trainUpstream()
        var one = config
        one.steps2 = 1
        let result = try TransferExperiment(config: one).run(upstream: upstream)
        let start = try #require(result.transfer.training?.initial), w1 = try #require(result.transfer.training?.final)
        #expect(start == result.baseline.training?.initial)  // the student starts from the baseline's init
        let sample = result.downstreamSample, architecture = config.architecture, beta = 0.6, tau = 2.0
        let teacher = try #require(upstream.outcome.training?.final)
        let q = Forward(architecture: architecture, parameters: teacher, sample: sample).outputs.map {
            1 / (1 + exp(-$0 / tau))
        }
        func objective(_ p: Parameters) -> Double {
            let f = Forward(architecture: architecture, parameters: p, sample: sample).outputs
            var total = 0.0
            for i in f.indices {
                let s = 1 / (1 + exp(-f[i] / tau))
                total +=
                    (1 - beta) * LogisticLoss.value(sample.labels[i] * f[i]) + beta * tau * tau
                    * (-q[i] * log(s) - (1 - q[i]) * log(1 - s))
            }
            return total / Double(f.count)
        }
        Fixtures.expectStepIsGradient(of: objective, from: start, to: w1, eta: config.eta2, seed: 5)
    }

    @Test(
        "distill: the engines agree, β = 0 is the baseline bit for bit, the upstream model is trained even at α = 0, and its keys are refused elsewhere"
    )
    func distill_enginesAndLimits() throws {
        try EngineTests.compare(Self.overrides, preset: .theory)
        let hardOnly = try TransferExperiment(
            config: try Fixtures.config(.theory, Self.overrides.merging(["distill_weight": "0"]) { _, b in b })
        ).run()
        #expect(hardOnly.transfer.training?.final == hardOnly.baseline.training?.final)
        let noInheritance = try Fixtures.config(.theory, Self.overrides.merging(["alpha": "0"]) { _, b in b })
        #expect(noInheritance.needsUpstream)
        let result = try TransferExperiment(config: noInheritance).run()
        #expect(
            result.upstream.status == .ok && result.mask == nil
                && result.transfer.training?.final != result.baseline.training?.final)
        #expect(throws: ConfigError.self) { try Fixtures.config(.theory, ["distill_weight": "0.3"]) }
    }
}
