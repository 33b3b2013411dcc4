import Testing
@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimSweeps

@Suite struct TransferTests {
    @Test("α = 0 skips the upstream stage and makes transfer identical to the baseline", arguments: [Preset.theory, .kou2023Code])
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

    @Test("inheriting nothing (round(α m) = 0 with α > 0) trains a transfer model identical to the baseline, bit for bit")
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

    @Test("α = 1 with T_freeze = T_2 leaves every inherited filter (and bias) unchanged", arguments: [Preset.theory, .kou2023Code])
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
            let mask = Inheritance(alpha: alpha, unit: .filter, selection: .random).mask(architecture, generator: &generator)
            let expected = Int((alpha * 10).rounded(.toNearestOrAwayFromZero))
            #expect(mask.rows[0..<10].filter { $0 }.count == expected)
            #expect(mask.rows[10...].filter { $0 }.count == expected)
            #expect(mask.biases == mask.rows)
        }
        var generator = Xoshiro256StarStar(seed: 4)
        let first = Inheritance(alpha: 0.3, unit: .filter, selection: .first).mask(architecture, generator: &generator)
        #expect(first.rows == (0..<20).map { $0 % 10 < 3 })
        let entries = Inheritance(alpha: 0.3, unit: .entry, selection: .random).mask(architecture, generator: &generator)
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
            let mask = Inheritance(alpha: 0.4, unit: .filter, selection: .random).mask(architecture, generator: &generator)
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
