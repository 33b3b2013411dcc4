import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimFiles
@testable import TransferSimPlots
@testable import TransferSimSweeps

@Suite struct EvaluationTests {
    /// A hand-built model with a closed-form clean error (m = 1, κ = 1, no bias):
    /// `w_{+1} = μ/‖μ‖ + b e₃`, `w_{−1} = 2b e₃`. For ŷ = −1, f = σ(bξ₃) − σ(2bξ₃) ≤ 0 (always right);
    /// for ŷ = +1, f = ‖μ‖ − σ(bξ₃) is wrong iff bξ₃ ≥ ‖μ‖. Clean error = ½ Φ̄(‖μ‖ / (b σ_p)).
    /// Needs projected noise (ξ ⟂ μ); isotropic noise is covered by the estimators' agreement test.
    static func closedFormModel(
        sigma: Double, b: Double, noise: String
    ) throws -> (ExperimentConfig, Parameters, Double) {
        let config = try ConfigLoader.resolve([
            [
                ("d", "8"), ("m", "1"), ("output_scale", "1"), ("u_norm", "0.6"), ("v2_norm", "0.8"),
                ("sigma_p2", "\(sigma)"), ("flip2", "0.2"), ("noise", noise), ("n_test", "40000"),
                ("population_draws", "40000"),
            ]
        ])
        var weights = Matrix(rows: 2, cols: 8)
        weights[0, 0] = 0.6
        weights[0, 2] = 0.8
        weights[0, 3] = b
        weights[1, 3] = 2 * b
        let muNorm = 1.0
        let expected = 0.5 * 0.5 * erfc(muNorm / (b * sigma) / 2.0.squareRoot())
        return (config, Parameters(weights: weights, biases: [0, 0]), expected)
    }

    @Test(
        "both estimators recover a closed-form clean error within 4 standard errors",
        arguments: [EvaluationMethod.population, .sample], [0.9, 2.5])
    func estimators_closedForm(method: EvaluationMethod, b: Double) throws {
        let (config, parameters, expected) = try Self.closedFormModel(sigma: 1.3, b: b, noise: "projected")
        let draws = TestDraws(
            distribution: config.distribution(.two), method: method, count: 40_000, filterCount: 2, seed: 21)
        let result = try draws.evaluate(config.architecture, FinalModel(parameters))
        #expect(abs(result.cleanError - expected) < 4 * result.cleanStandardError)
        #expect(result.cleanStandardError > 0)
        if method == .population {
            #expect(abs(result.error - (0.2 + 0.6 * result.cleanError)) < 1e-15)
        } else {
            let noisyExpected = 0.2 + 0.6 * expected
            #expect(abs(result.error - noisyExpected) < 4 * (noisyExpected * (1 - noisyExpected) / 40_000).squareRoot())
        }
    }

    @Test(
        "sample and population errors agree within 4 standard errors on trained models",
        arguments: [Preset.theory, .kou2023Code])
    func estimators_agreeOnTrainedModel(preset: Preset) throws {
        let config = try Fixtures.config(preset, ["d": "60", "n2": "16", "steps2": "30"])
        let result = try TransferExperiment(config: config).run()
        for training in [result.transfer.training, result.baseline.training].compactMap({ $0 }) {
            let population = try TestDraws(
                distribution: config.distribution(.two), method: .population, count: 30_000,
                filterCount: 6, seed: 1
            ).evaluate(config.architecture, training.finalModel)
            let sample = try TestDraws(
                distribution: config.distribution(.two), method: .sample, count: 30_000,
                filterCount: 6, seed: 2
            ).evaluate(config.architecture, training.finalModel)
            let combined =
                (population.cleanStandardError * population.cleanStandardError
                + sample.cleanStandardError * sample.cleanStandardError).squareRoot()
            #expect(abs(population.cleanError - sample.cleanError) < 4 * combined)
            #expect(population.cleanError > 0.01 && population.cleanError < 0.49)
        }
    }

    @Test(
        "a span-engine model is tested through its span as through its materialised filters (W μ and W Ξ_tᵀ to 1e-12)",
        arguments: [Preset.theory, .kou2023Code])
    func spanEvaluation_matchesMaterialised(preset: Preset) throws {
        let config = try Fixtures.config(preset, ["d": "80", "n2": "16", "steps2": "40", "engine": "span"])
        let training = try #require(try TransferExperiment(config: config).run().baseline.training)
        let model = training.finalModel
        let span = try #require(model.span)
        let weights = model.parameters.weights
        // ⟨w, μ⟩ and ⟨w, v⟩ for a dense v: through the span against W itself.
        var dense = [Double](repeating: 0, count: config.d)
        for k in dense.indices { dense[k] = sin(Double(k) + 1) }
        for v in [span.training.mu, dense] {
            let projections = span.representation.signalProjections(v, training: span.training)
            let scale = Fixtures.norm(weights.storage) * Fixtures.norm(v)
            for row in 0..<weights.rows {
                let direct = (0..<config.d).reduce(0.0) { $0 + weights[row, $1] * v[$1] }
                #expect(abs(projections[row] - direct) <= 1e-12 * scale)
            }
        }
        let draws = TestDraws(
            distribution: config.distribution(.two), method: .sample, count: 4000, filterCount: weights.rows, seed: 7)
        let throughSpan = try draws.evaluate(config.architecture, model)
        let materialised = try draws.evaluate(config.architecture, FinalModel(model.parameters))
        #expect(throughSpan == materialised)
        #expect(throughSpan.cleanError > 0 && throughSpan.cleanError < 0.5)
        // Holding the filters keeps the span (and so the evaluation) and changes no bit of them.
        let held = model.holding()
        #expect(held.span != nil && held.parameters == model.parameters)
        #expect(try draws.evaluate(config.architecture, held) == throughSpan)
    }

    @Test(
        "a row's small span-engine baselines are tested in one pass: each error equals its lone run's bit for bit in any batch, and the materialised filters' within one test point"
    )
    func rowTests_independentOfBatch() throws {
        let norms = (0..<11).map { 0.5 * Double($0) }
        let experiments = try norms.map {
            TransferExperiment(
                config: try Fixtures.config(
                    .kou2023Code,
                    [
                        "d": "40", "n2": "12", "n_test": "600", "alpha": "0", "u_norm": "0", "v1_norm": "0",
                        "mu2_norm": "\($0)",
                    ]))
        }
        func errors(_ cells: [Int]) throws -> [Int: TestError] {
            let results = TransferExperiment.run(
                cells: cells.map { experiments[$0] }, upstream: nil, cache: DrawCache())
            return Dictionary(
                uniqueKeysWithValues: try zip(cells, results).map { ($0, try #require(try $1.get().baseline.test)) })
        }
        let all = try errors(Array(0..<11))
        for (cells, label) in [(Array((0..<11).reversed()), "reversed"), ([3], "alone"), ([10, 1, 7, 4, 2], "five")] {
            for (cell, error) in try errors(cells) { #expect(error == all[cell], "\(label): cell \(cell)") }
        }
        for (cell, experiment) in experiments.enumerated() {
            let lone = try experiment.run(upstream: nil)
            #expect(lone.baseline.test == all[cell], "cell \(cell) alone")
            let training = try #require(lone.baseline.training)
            #expect(TestDraws.testsInBatches(training.finalModel))
            let config = experiment.config
            let draws = TestDraws(
                distribution: config.distribution(.two), method: .sample, count: config.nTest,
                filterCount: config.architecture.filterCount, seed: config.streamSeed(.test))
            let materialised = try draws.evaluate(config.architecture, FinalModel(training.final))
            let batched = try #require(all[cell])
            #expect(abs(materialised.error - batched.error) <= 1.0 / 600 + 1e-15, "cell \(cell)")
            #expect(abs(materialised.cleanError - batched.cleanError) <= 1.0 / 600 + 1e-15, "cell \(cell)")
        }
        // The errors are not all equal: the cells differ.
        #expect(Set(all.values.map(\.error)).count > 3)
    }

    @Test("evaluation is invariant to scaling (W, b) by a positive constant, even near overflow")
    func population_scaleInvariant() throws {
        let config = try Fixtures.config(.kou2023Code)
        let parameters = Fixtures.parameters(config, scale: 2)
        var huge = parameters
        for k in huge.weights.storage.indices { huge.weights.storage[k] *= 1e200 }
        for r in huge.biases.indices { huge.biases[r] *= 1e200 }
        let draws = TestDraws(
            distribution: config.distribution(.two), method: .population, count: 5000, filterCount: 6, seed: 4)
        #expect(
            try draws.evaluate(config.architecture, FinalModel(parameters)).cleanError
                == draws.evaluate(config.architecture, FinalModel(huge)).cleanError)
    }

    @Test("the PSD square root reproduces a rank-deficient covariance: L Lᵀ = S")
    func squareRoot_rankDeficient() throws {
        var generator = Xoshiro256StarStar(seed: 2)
        var a = Matrix(rows: 5, cols: 3)
        generator.fillNormal(&a.storage)
        var s = Matrix(rows: 5, cols: 5)
        BLAS.gemm(a, a, transposeB: true, into: &s)
        let l = try SymmetricFactor.squareRoot(of: s)
        var back = Matrix(rows: 5, cols: 5)
        BLAS.gemm(l, l, transposeB: true, into: &back)
        #expect(Fixtures.maxDifference(back.storage, s.storage) < 1e-12)
    }
}
