import Foundation
import Testing
import Yams

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// Seeded fuzzing of config loading and grid expansion: every input gives a config (or a plan) or a
/// one-line ``ConfigError``; never a trap, another error type, or unbounded work.
@Suite struct InputFuzzTests {
    /// Scalars that have broken parsers: huge, tiny, non-finite, signed zero, overflowing integers, junk.
    static let values = [
        "0", "1", "2", "-1", "0.5", "3", "24", "100", "1e2", "2.5", "-0", "1e15", "1e19", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "1e50", "1e51", "1e155", "1e300", "1e308", "1e309", "-1e309",
        "1e-300", "5e-324", ".inf", "-.inf", ".nan", "nan", "inf", "", "abc", "0x10", "true", "null", "~", "1_000",
        "  7 ", "0.49999999999", "0.5", "theory", "kou2023-code", "sample", "population", "span", "weight", "auto",
    ]

    static func pick<T>(_ items: [T], _ generator: inout Xoshiro256StarStar) -> T {
        items[Int(generator.next() % UInt64(items.count))]
    }

    /// A random experiment config: known and unknown keys with values from the pool.
    static func entries(_ generator: inout Xoshiro256StarStar) -> [ConfigLoader.Entry] {
        let keys = ConfigField.all.map(\.key) + ["colour", "grid", "D", " d"]
        let defaults = ExperimentConfig()
        return (0..<Int(1 + generator.next() % 6)).map { _ in
            let key = pick(keys, &generator)
            // Half the values are the key's own default, so that many configs resolve and reach the estimate.
            let value =
                generator.next() % 2 == 0 ? ConfigField.named(key)?.render(defaults) ?? "1" : pick(values, &generator)
            return (key, value)
        }
    }

    @Test("400 random configs: each resolves (with a finite memory estimate) or is one ConfigError line naming a key")
    func configs_resolveOrOneLineError() {
        var generator = Xoshiro256StarStar(seed: 11)
        var resolved = 0
        for _ in 0..<400 {
            let layer = Self.entries(&generator)
            do {
                let config = try ConfigLoader.resolve([[("d", "30"), ("m", "3"), ("n1", "12"), ("n2", "8")], layer])
                let estimate = MemoryEstimate(config)
                #expect(estimate.bytes.isFinite && estimate.bytes > 0 && !estimate.drivers.isEmpty)
                resolved += 1
            } catch let error as ConfigError {
                #expect(!error.key.isEmpty && !"\(error)".contains("\n"), "\(layer)")
            } catch {
                Issue.record("not a ConfigError: \(error) for \(layer)")
            }
        }
        #expect(resolved > 20 && resolved < 400)
    }

    @Test("80 small experiments with extreme real values (up to 1e50, down to 1e-300) run to a status without a trap")
    func extremeValues_runToAStatus() throws {
        var generator = Xoshiro256StarStar(seed: 13)
        let reals = [
            "u_norm", "v1_norm", "v2_norm", "sigma_p1", "sigma_p2", "sigma0", "eta1", "eta2", "output_scale",
            "inherited_lr_scale",
        ]
        let extremes = ["1e50", "1e40", "1e20", "1e5", "1", "1e-5", "1e-100", "1e-300", "5e-324", "0"]
        var ran = 0
        for _ in 0..<80 {
            var layer: [ConfigLoader.Entry] = [
                ("d", "16"), ("m", "2"), ("n1", "6"), ("n2", "5"), ("steps1", "6"), ("steps2", "6"),
                ("population_draws", "300"), ("n_test", "50"), ("log_every", "3"),
            ]
            layer.append(("evaluation", Self.pick(["population", "sample"], &generator)))
            layer.append(("preset", Self.pick(["theory", "kou2023-code"], &generator)))
            for _ in 0..<3 { layer.append((Self.pick(reals, &generator), Self.pick(extremes, &generator))) }
            guard let config = try? ConfigLoader.resolve([layer]) else { continue }
            do {
                let result = try TransferExperiment(config: config).run()
                // Which stages run is fixed by the config (fine-tuning: no teacher; an upstream stage iff α > 0); a
                // stage that ran is ok with an error rate in [0, 1], or diverged without a test error.
                let runs: [Stage: Bool] = [
                    .upstream: config.needsUpstream, .transfer: true, .baseline: true, .teacher: false,
                ]
                for stage in Stage.allCases {
                    let outcome = result.outcome(stage)
                    #expect((outcome.status != .skipped) == runs[stage], "\(stage) \(outcome.status): \(layer)")
                    switch outcome.status {
                    case .ok:
                        let test = try #require(outcome.test, "\(stage): \(layer)")
                        #expect((0...1).contains(test.error) && (0...1).contains(test.cleanError), "\(stage): \(layer)")
                        #expect(outcome.training?.history.last.map { $0.loss.isFinite } ?? false, "\(stage): \(layer)")
                    case .diverged: #expect(outcome.test == nil, "\(stage): \(layer)")
                    case .skipped: #expect(outcome.training == nil && outcome.test == nil, "\(stage): \(layer)")
                    }
                }
                ran += 1
            } catch {
                #expect(!"\(error)".contains("\n"), "\(layer): \(error)")
            }
        }
        #expect(ran > 30)
    }

    /// A random axis: a list, a `{from, to, steps}` or a `{from, to, step}` range, or junk.
    static func axis(_ generator: inout Xoshiro256StarStar) -> String {
        let numbers = [
            "0", "1", "2", "0.1", "0.3", "-1", "3", "10", "100", "1000", "1e7", "1e19", "1e300", "-1e300", "1e-300",
            ".inf", ".nan", "abc", "0.25", "2.4", "24", "30",
        ]
        let plausible = ["0", "0.25", "0.5", "1", "2", "24", "30", "40"]
        switch generator.next() % 6 {
        case 0:
            return "[" + (0..<Int(generator.next() % 5)).map { _ in pick(numbers, &generator) }.joined(separator: ", ")
                + "]"
        case 5:
            return "["
                + (0..<Int(1 + generator.next() % 3)).map { _ in pick(plausible, &generator) }.joined(separator: ", ")
                + "]"
        case 1:
            return
                "{from: \(pick(numbers, &generator)), to: \(pick(numbers, &generator)), steps: \(pick(numbers, &generator))}"
        case 2:
            return
                "{from: \(pick(numbers, &generator)), to: \(pick(numbers, &generator)), step: \(pick(numbers, &generator))}"
        case 3: return "{from: \(pick(numbers, &generator)), step: \(pick(numbers, &generator))}"
        case 4: return pick(["7", "{}", "[[1, 2]]", "{from: 1, to: 2, steps: 2, step: 1}", "{start: 1}"], &generator)
        default: return "[]"
        }
    }

    @Test("300 random grids: each expands to a plan or is one ConfigError line; sizes are checked before any work")
    func grids_expandOrOneLineError() throws {
        var generator = Xoshiro256StarStar(seed: 12)
        let keys = [
            "alpha", "u_norm", "d", "n1", "n2", "m", "sigma_p2", "steps2", "flip2", "seed", "colour", "eta2",
            "freeze_steps",
        ]
        let root = try CLIHarness.temporaryDirectory("fuzz")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("sweep.yaml").path
        var planned = 0
        for case_ in 0..<300 {
            var text = "d: 30\nm: 2\nn1: 8\nn2: 6\nsteps1: 3\nsteps2: 3\n"
            let section = generator.next() % 4 == 0 ? "zip" : "grid"
            text += "\(section):\n"
            // A third of the cases are well formed (valid keys, plausible values, possibly repeated), so that
            // expansion into cells is exercised too.
            let wellFormed = case_ % 3 == 0
            var remaining = wellFormed ? ["alpha", "u_norm", "sigma_p2", "eta2"] : keys
            for _ in 0..<Int(1 + generator.next() % 3) {
                let key = remaining.remove(at: Int(generator.next() % UInt64(remaining.count)))
                let values = (0..<Int(1 + generator.next() % 3)).map { _ in
                    Self.pick(["0.25", "0.5", "1", "1.0"], &generator)
                }
                text += "  \(key): \(wellFormed ? "[" + values.joined(separator: ", ") + "]" : Self.axis(&generator))\n"
            }
            if generator.next() % 3 == 0 { text += "replicates: \(Self.pick(["2", "3"] + Self.values, &generator))\n" }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                // Expansion is bounded (SweepSpec's caps); cells are built only for small grids, as a test must stay fast.
                let mapping = try ConfigLoader.readMapping(path: path)
                let node = { (name: String) in mapping.first { $0.key == name }?.node }
                let spec = try SweepSpec.parse(grid: node("grid"), zip: node("zip"), replicates: node("replicates"))
                #expect(spec.cellCount <= SweepSpec.maxCells && spec.cellCount * spec.replicates <= SweepSpec.maxRows)
                guard spec.cellCount <= 300 else { continue }
                let plan = try SweepPlan.load(path: path)
                #expect(Set(plan.cells.map(\.id)).count == plan.cells.count, "duplicate cells from \(text)")
                planned += 1
            } catch let error as ConfigError {
                #expect(!"\(error)".contains("\n"), "\(text)")
            } catch {
                Issue.record("not a ConfigError: \(error) for \(text)")
            }
        }
        #expect(planned > 30)
    }
}
