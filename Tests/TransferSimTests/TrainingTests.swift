import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimFiles
@testable import TransferSimPlots
@testable import TransferSimSweeps

@Suite struct TrainingTests {
    static func trainer(_ config: ExperimentConfig) -> GradientDescent {
        GradientDescent(architecture: config.architecture, alignmentDirections: config.signals.alignmentDirections)
    }

    @Test(
        "the decomposition reconstructs the trained filters: w⁽ᵀ⁾ = w⁽⁰⁾ + jγμ/‖μ‖² + Σρξ/‖ξ‖² to 1e-9",
        arguments: [Preset.theory, .kou2023Code], ["projected", "isotropic"])
    func decomposition_reconstructsFilters(preset: Preset, noise: String) throws {
        let config = try Fixtures.config(preset, ["noise": noise, "steps2": "40"])
        let sample = Fixtures.sample(config)
        let initial = Fixtures.parameters(config)
        let schedule = TrainingSchedule(
            stepSize: config.eta2, steps: config.steps2, filterCount: config.architecture.filterCount, logEvery: 5)
        let result = Self.trainer(config).train(from: initial, on: sample, schedule: schedule)
        let rebuilt = result.decomposition.reconstruct(
            initial: initial.weights, architecture: config.architecture, sample: sample)
        let scale = max(1, result.final.weights.storage.map(abs).max() ?? 1)
        #expect(Fixtures.maxDifference(rebuilt.storage, result.final.weights.storage) < 1e-9 * scale)
        // Training moved the filters: the identity is not trivially w⁽ᵀ⁾ = w⁽⁰⁾.
        #expect(Fixtures.maxDifference(result.final.weights.storage, initial.weights.storage) > 1e-3)
    }

    @Test("the decomposition also holds for the transfer stage with freezing and λ")
    func decomposition_transferStage() throws {
        let config = try Fixtures.config(.theory, ["alpha": "0.67", "freeze_steps": "8", "inherited_lr_scale": "0.3"])
        let result = try TransferExperiment(config: config).run()
        let training = try #require(result.transfer.training)
        let rebuilt = training.decomposition.reconstruct(
            initial: training.initial.weights, architecture: config.architecture,
            sample: result.downstreamSample)
        #expect(Fixtures.maxDifference(rebuilt.storage, training.final.weights.storage) < 1e-9)
    }

    @Test("γ follows the §5 recursion: one step from w⁽⁰⁾ gives Δγ = −(ηκ/N) Σ ℓ'_i σ'(⟨w, ŷ_iμ⟩) ŷ_i y_i ‖μ‖²")
    func gamma_oneStepClosedForm() throws {
        let config = try Fixtures.config(.theory, ["steps2": "1"])
        let sample = Fixtures.sample(config)
        let initial = Fixtures.parameters(config, scale: 5)
        let architecture = config.architecture
        let schedule = TrainingSchedule(stepSize: 0.7, steps: 1, filterCount: architecture.filterCount, logEvery: 1)
        let result = Self.trainer(config).train(from: initial, on: sample, schedule: schedule)
        let forward = Forward(architecture: architecture, parameters: initial, sample: sample)
        let muSquared = BLAS.dot(sample.mu, sample.mu)
        for row in 0..<architecture.filterCount {
            var sum = 0.0
            let projection = BLAS.dot(initial.weights.row(row), sample.mu)
            for i in 0..<sample.count where sample.cleanLabels[i] * projection > 0 {
                sum +=
                    LogisticLoss.derivative(sample.labels[i] * forward.outputs[i]) * sample.cleanLabels[i]
                    * sample.labels[i]
            }
            let expected = -0.7 * architecture.outputScale / Double(sample.count) * sum * muSquared
            #expect(abs(result.decomposition.gamma[row] - expected) < 1e-12)
        }
    }

    @Test(
        "the span engine's step moves R and ρ in one pass with the bits of two passes, and reports a moved R entry that is not finite"
    )
    func spanStep_onePassMatchesTwo() throws {
        let config = try Fixtures.config(.theory)
        let (architecture, sample) = (config.architecture, Fixtures.sample(config))
        let initial = Fixtures.parameters(config, scale: 3)
        let coefficients = GradientCoefficients(
            architecture: architecture, biases: initial.biases,
            forward: Forward(architecture: architecture, parameters: initial, sample: sample), sample: sample)
        let (rows, n) = (architecture.filterCount, sample.count)
        let (norms, muSquared) = (sample.noiseSquaredNorms, BLAS.dot(sample.mu, sample.mu))
        // Per-row steps with row 1 frozen, from coefficients that are not zero.
        let scales = (0..<rows).map { $0 == 1 ? 0 : -0.3 - 0.1 * Double($0) }
        var start = Decomposition(filterCount: rows, sampleCount: n)
        var startR = Matrix(rows: rows, cols: n)
        for k in startR.storage.indices {
            startR.storage[k] = sin(Double(k))
            start.rho.storage[k] = cos(Double(k))
        }
        // Two passes: ρ (and γ), then R += s noise on the rows that move (what `SpanState` did before).
        var twoPasses = start
        twoPasses.accumulate(
            coefficients, rowScales: scales, architecture: architecture, muSquaredNorm: muSquared,
            noiseSquaredNorms: norms)
        var twoPassesR = startR
        for row in 0..<rows where scales[row] != 0 {
            for i in 0..<n { twoPassesR[row, i] += scales[row] * coefficients.noise[row, i] }
        }
        var onePass = start, onePassR = startR
        let finite = onePassR.storage.withUnsafeMutableBufferPointer {
            onePass.accumulate(
                coefficients, rowScales: scales, architecture: architecture, muSquaredNorm: muSquared,
                noiseSquaredNorms: norms, stepping: $0.baseAddress)
        }
        #expect(finite)
        #expect(onePassR.storage.map(\.bitPattern) == twoPassesR.storage.map(\.bitPattern))
        #expect(onePass.rho.storage.map(\.bitPattern) == twoPasses.rho.storage.map(\.bitPattern))
        #expect(onePass.gamma.map(\.bitPattern) == twoPasses.gamma.map(\.bitPattern))
        #expect(Fixtures.maxDifference(onePassR.storage, startR.storage) > 1e-6, "the step moved R")
        // A moved entry that overflows is reported; an infinite entry in the frozen row, which the step does not move,
        // is left to the state's own check.
        for (rowScales, frozenValue, expected) in [
            (scales.map { $0 == 0 ? 0 : Double.nan }, 0.0, false), (scales, Double.infinity, true),
        ] {
            var decomposition = start, r = startR
            r[1, 3] = frozenValue
            let moved = r.storage.withUnsafeMutableBufferPointer {
                decomposition.accumulate(
                    coefficients, rowScales: rowScales, architecture: architecture, muSquaredNorm: muSquared,
                    noiseSquaredNorms: norms, stepping: $0.baseAddress)
            }
            #expect(moved == expected)
        }
    }

    @Test("a gradient step with a tiny η lowers the loss", arguments: [Preset.theory, .kou2023Code])
    func smallStep_lowersLoss(preset: Preset) throws {
        let config = try Fixtures.config(preset)
        let sample = Fixtures.sample(config)
        let initial = Fixtures.parameters(config, scale: 3)
        let schedule = TrainingSchedule(
            stepSize: 1e-4, steps: 1, filterCount: config.architecture.filterCount, logEvery: 1)
        let result = Self.trainer(config).train(from: initial, on: sample, schedule: schedule)
        #expect(result.trainLoss < initial.loss(architecture: config.architecture, sample: sample))
    }

    @Test(
        "a non-finite parameter ends training at step 0 with status diverged",
        arguments: [Double.nan, .infinity])
    func nonFinite_diverges(bad: Double) throws {
        let config = try Fixtures.config(.theory)
        let sample = Fixtures.sample(config)
        var initial = Fixtures.parameters(config)
        initial.weights[1, 2] = bad
        let schedule = TrainingSchedule(
            stepSize: 0.5, steps: 10, filterCount: config.architecture.filterCount, logEvery: 5)
        let result = Self.trainer(config).train(from: initial, on: sample, schedule: schedule)
        #expect(result.status == .diverged)
        #expect(result.history.map(\.step) == [0])
    }

    @Test("a finite run is ok: huge steps saturate the logistic loss instead of overflowing")
    func hugeStep_staysFinite() throws {
        let result = try TransferExperiment(config: try Fixtures.config(.theory, ["eta2": "1e40"])).run()
        #expect(result.baseline.status == .ok)
        #expect(result.baseline.test != nil)
    }

    @Test(
        "η = 1e300 diverges: outputs pass the divergence bound and every trained stage reports diverged, with no test error (NaN metrics)"
    )
    func absurdStep_diverges() throws {
        let result = try TransferExperiment(config: try Fixtures.config(.theory, ["eta1": "1e300", "eta2": "1e300"]))
            .run()
        for stage in [Stage.upstream, .transfer, .baseline] {
            #expect(result.outcome(stage).status == .diverged, "\(stage)")
            #expect(result.outcome(stage).test == nil, "\(stage)")
            #expect(result.metrics.first { $0.key == "\(stage.rawValue)_test_error" }?.value.isNaN == true, "\(stage)")
        }
    }

    @Test("history logs step 0, every log_every steps and the last step")
    func history_loggingSteps() throws {
        let config = try Fixtures.config(.theory, ["steps2": "23", "log_every": "5"])
        let result = try TransferExperiment(config: config).run()
        #expect(result.baseline.training?.history.map(\.step) == [0, 5, 10, 15, 20, 23])
        #expect(result.baseline.training?.history.first?.gammaPositiveMax == 0)
    }
}

/// `history.csv`'s test error at each logged step (`run`).
@Suite struct HistoryTestErrorTests {
    @Test(
        "with history test errors, each logged step carries the stage's test error; the last equals the stage's own (weight engine, both estimators)",
        arguments: ["population", "sample"])
    func historyTestError_lastEqualsStage(evaluation: String) throws {
        var experiment = TransferExperiment(
            config: try Fixtures.config(.theory, ["engine": "weight", "evaluation": evaluation, "alpha": "0.5"]))
        experiment.historyTestErrors = true
        let result = try experiment.run()
        for stage in [Stage.upstream, .transfer, .baseline] {
            let outcome = result.outcome(stage)
            let history = try #require(outcome.training?.history)
            #expect(history.allSatisfy { $0.testError != nil && $0.cleanTestError != nil }, "\(stage)")
            #expect(
                history.last?.testError == outcome.test?.error
                    && history.last?.cleanTestError == outcome.test?.cleanError, "\(stage)")
        }
        // Off by default (sweeps): empty fields, and the rows are the same.
        let plain = try TransferExperiment(config: experiment.config).run()
        #expect(plain.baseline.training?.history.allSatisfy { $0.testError == nil } == true)
        #expect(plain.metrics.map(\.value.bitPattern) == result.metrics.map(\.value.bitPattern))
    }
}

/// Training to a target loss (docs/model.md §12).
@Suite struct TargetLossTests {
    @Test(
        "a target loss stops each stage at the first step whose loss is ≤ ε, on both engines, and says so; an unreachable one runs to the cap",
        arguments: [Engine.weight, .span])
    func targetLoss_stopsAtFirstStep(engine: Engine) throws {
        let free = try TransferExperiment(
            config: try Fixtures.config(
                .theory,
                [
                    "engine": engine.rawValue, "log_every": "1", "steps1": "60",
                    "steps2": "60", "alpha": "0.5",
                ])
        ).run()
        let target = 0.3
        let stopped = try TransferExperiment(
            config: try Fixtures.config(
                .theory,
                [
                    "engine": engine.rawValue, "log_every": "1", "steps1": "60",
                    "steps2": "60", "alpha": "0.5", "target_loss1": "\(target)",
                    "target_loss2": "\(target)",
                ])
        ).run()
        for stage in [Stage.upstream, .baseline] {
            let history = try #require(free.outcome(stage).training?.history)
            let first = try #require(
                history.first { $0.loss <= target }, "\(stage) never reaches \(target) in 60 steps")
            let training = try #require(stopped.outcome(stage).training)
            #expect(training.steps == first.step && training.converged == true, "\(stage)")
            #expect(training.trainLoss == first.loss && training.trainLoss <= target)
            #expect(free.outcome(stage).training?.converged == nil && free.outcome(stage).training?.steps == 60)
        }
        let unreachable = try TransferExperiment(
            config: try Fixtures.config(.theory, ["engine": engine.rawValue, "steps2": "5", "target_loss2": "1e-12"])
        ).run()
        #expect(unreachable.baseline.training?.converged == false && unreachable.baseline.training?.steps == 5)
        #expect(unreachable.labels.first { $0.key == "baseline_converged" }?.value == "false")
        #expect(free.labels.first { $0.key == "baseline_converged" }?.value == "")
        #expect(
            stopped.metrics.first { $0.key == "baseline_steps" }?.value
                == Double(stopped.baseline.training?.steps ?? -1))
    }
}
