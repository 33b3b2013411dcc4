import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct GradientTests {
    /// Central finite differences of the loss for every filter entry and bias.
    static func finiteDifferences(
        _ config: ExperimentConfig, _ parameters: Parameters, _ sample: TaskSample, h: Double = 1e-6
    ) -> Parameters {
        let architecture = config.architecture
        var result = parameters
        for k in parameters.weights.storage.indices {
            var plus = parameters, minus = parameters
            plus.weights.storage[k] += h
            minus.weights.storage[k] -= h
            result.weights.storage[k] =
                (plus.loss(architecture: architecture, sample: sample)
                    - minus.loss(architecture: architecture, sample: sample)) / (2 * h)
        }
        for r in parameters.biases.indices {
            var plus = parameters, minus = parameters
            plus.biases[r] += h
            minus.biases[r] -= h
            result.biases[r] =
                config.bias
                ? (plus.loss(architecture: architecture, sample: sample)
                    - minus.loss(architecture: architecture, sample: sample)) / (2 * h)
                : 0
        }
        return result
    }

    @Test(
        "analytic gradient equals central finite differences (relative error < 1e-6)",
        arguments: [Preset.theory, .kou2023Code], ["false", "true"])
    func gradient_matchesFiniteDifferences(preset: Preset, bias: String) throws {
        for seed: UInt64 in 1...3 { try checkGradient(preset: preset, bias: bias, seed: seed) }
    }

    func checkGradient(preset: Preset, bias: String, seed: UInt64) throws {
        let config = try Fixtures.config(preset, ["bias": bias, "d": "10", "n2": "6"])
        let sample = Fixtures.sample(config, seed: seed)
        // Scale the filters up so that pre-activations are O(1): mixed active/inactive ReLUs, non-trivial loss.
        let scale = preset == .theory ? 4.0 : 3.0
        let parameters = Fixtures.parameters(config, seed: seed + 100, scale: scale)
        let analytic = parameters.gradient(architecture: config.architecture, sample: sample)
        let numeric = Self.finiteDifferences(config, parameters, sample)
        let exact = analytic.weights.storage + analytic.biases
        let approximate = numeric.weights.storage + numeric.biases
        let relative = Fixtures.maxDifference(exact, approximate) / Fixtures.norm(exact)
        #expect(Fixtures.norm(exact) > 1e-3)
        #expect(relative < 1e-6)
        if !config.bias { #expect(analytic.biases.allSatisfy { $0 == 0 }) }
    }

    @Test("loss is evaluated stably: ℓ(z) for huge |z| and ℓ' = −1/(1 + e^z)")
    func logisticLoss_stable() {
        #expect(LogisticLoss.value(800) == 0 || LogisticLoss.value(800) < 1e-300)
        #expect(LogisticLoss.value(-800) == 800)
        #expect(abs(LogisticLoss.value(0) - 0.6931471805599453) < 1e-15)
        for z in [-30.0, -2, -0.5, 0, 0.5, 2, 30] {
            let expected = -1 / (1 + Foundation.exp(z))
            #expect(abs(LogisticLoss.derivative(z) - expected) < 1e-15)
            let h = 1e-5
            let numeric = (LogisticLoss.value(z + h) - LogisticLoss.value(z - h)) / (2 * h)
            #expect(abs(numeric - LogisticLoss.derivative(z)) < 1e-9)
        }
    }

    @Test("forward pass equals a naive per-sample loop over filters and patches")
    func forward_matchesNaiveLoop() throws {
        let config = try Fixtures.config(.kou2023Code, ["d": "9", "m": "2", "n2": "5"])
        let sample = Fixtures.sample(config)
        let parameters = Fixtures.parameters(config, scale: 3)
        let forward = Forward(architecture: config.architecture, parameters: parameters, sample: sample)
        for i in 0..<sample.count {
            var f = 0.0
            for row in 0..<config.architecture.filterCount {
                let j = config.architecture.classSign(ofRow: row)
                var signal = parameters.biases[row], noise = parameters.biases[row]
                for k in 0..<config.d {
                    signal += parameters.weights[row, k] * sample.cleanLabels[i] * sample.mu[k]
                    noise += parameters.weights[row, k] * sample.noise[i, k]
                }
                f += j * config.resolvedOutputScale * (max(signal, 0) + max(noise, 0))
            }
            #expect(abs(f - forward.outputs[i]) < 1e-12)
        }
    }
}

@Suite struct TheoryTests {
    @Test("the §8 statistics equal their formulas on a hand-computed case")
    func statistics_handComputed() throws {
        // N_1 = 50, N_2 = 10, ‖u‖ = 1, ‖v_1‖ = 2, ‖v_2‖ = √3 (‖μ_2‖ = 2), σ_1 = 2, σ_2 = 0.5, d = 100, α = 0.5.
        let config = try ConfigLoader.resolve([
            [
                ("n1", "50"), ("n2", "10"), ("u_norm", "1"), ("v1_norm", "2"), ("mu2_norm", "2"),
                ("sigma_p1", "2"), ("sigma_p2", "0.5"), ("d", "100"), ("alpha", "0.5"),
            ]
        ])
        let values = Dictionary(
            TheoryStatistic.all.map { ($0.name, $0.value(config)) }, uniquingKeysWith: { a, _ in a })
        #expect(abs(values["kou_stat_1"]! - 50.0 * 25 / (16 * 100)) < 1e-12)  // ‖μ_1‖⁴ = 25
        #expect(abs(values["kou_stat_2"]! - 10.0 * 16 / (0.0625 * 100)) < 1e-12)  // ‖μ_2‖⁴ = 16
        #expect(abs(values["transfer_stat"]! - 1 / (0.25 * (4 + 4.0 * 100 / 50))) < 1e-12)
        #expect(
            abs(values["transfer_stat_alpha"]! - 1 / (0.25 * (4 + 4.0 * 100 / 50)) / (0.5 * 10.0 * 16 / (0.0625 * 100)))
                < 1e-12)
        #expect(abs(values["inherited_strength"]! - 0.5 * 50 * 1 / (4 * 100)) < 1e-12)
        #expect(
            ExperimentResult.metricNames.suffix(5) == [
                "kou_stat_1", "kou_stat_2", "transfer_stat", "transfer_stat_alpha", "inherited_strength",
            ])
        var none = config
        none.alpha = 0
        #expect(TheoryStatistic.all.first { $0.name == "transfer_stat_alpha" }!.value(none).isNaN)
    }
}
