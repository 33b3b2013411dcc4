import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// Small problems shared by the tests.
enum Fixtures {
    /// A small config of `preset` (fast in debug builds), with extra overrides.
    static func config(_ preset: Preset = .theory, _ overrides: [String: String] = [:]) throws -> ExperimentConfig {
        var entries: [ConfigLoader.Entry] = [
            ("preset", preset.rawValue), ("d", "24"), ("m", "3"), ("n1", "16"), ("n2", "8"),
            ("steps1", "30"), ("steps2", "20"), ("log_every", "5"),
            ("population_draws", "2000"), ("n_test", "500"),
        ]
        if preset == .theory { entries += [("sigma0", "0.2"), ("eta1", "0.5"), ("eta2", "0.5")] }
        entries += overrides.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return try ConfigLoader.resolve([entries])
    }

    /// A training set of task `task` for `config`.
    static func sample(
        _ config: ExperimentConfig, task: Signals.Task = .two, count: Int? = nil, seed: UInt64 = 7
    ) -> TaskSample {
        config.distribution(task).sample(count: count ?? (task == .one ? config.n1 : config.n2), seed: seed)
    }

    /// Fresh parameters of `config`'s init scheme, scaled so that ReLUs are active and inactive.
    static func parameters(_ config: ExperimentConfig, seed: UInt64 = 11, scale: Double = 1) -> Parameters {
        var generator = Xoshiro256StarStar(seed: seed)
        var parameters = config.initialization.draw(config.architecture, generator: &generator)
        for k in parameters.weights.storage.indices { parameters.weights.storage[k] *= scale }
        if config.bias { for r in parameters.biases.indices { parameters.biases[r] = 0.3 * generator.normal() } }
        return parameters
    }

    /// Largest absolute entry of `a − b`.
    static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// Checks that one gradient step `from → to` of step size `eta` moved 30 seeded random filter entries by
    /// `eta` times the central difference (h = 1e-6) of `objective` at `from`, to 1e-6 relative.
    static func expectStepIsGradient(
        of objective: (Parameters) -> Double, from: Parameters, to: Parameters, eta: Double, seed: UInt64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var generator = Xoshiro256StarStar(seed: seed)
        for _ in 0..<30 {
            let row = Int(generator.next() % UInt64(from.weights.rows)),
                k = Int(generator.next() % UInt64(from.weights.cols))
            var plus = from, minus = from
            plus.weights[row, k] += 1e-6
            minus.weights[row, k] -= 1e-6
            let numeric = (objective(plus) - objective(minus)) / 2e-6
            let step = (from.weights[row, k] - to.weights[row, k]) / eta
            #expect(
                abs(numeric - step) <= 1e-6 * max(abs(numeric), 1e-3), "entry (\(row), \(k)): \(numeric) vs \(step)",
                sourceLocation: sourceLocation)
        }
    }

    /// Euclidean norm.
    static func norm(_ a: [Double]) -> Double { a.map { $0 * $0 }.reduce(0, +).squareRoot() }
}
