extension TestDraws {
    /// Whether `model` is tested by ``SpanPass`` (``evaluate(_:_:on:keys:cache:)``): a span-engine model of at most
    /// ``SpanBatch/maxSampleCount`` training samples without a trainable head. Larger ones keep BLAS
    /// (``SpanRepresentation/noiseProducts(test:training:cache:keys:)``), whose rate is higher there.
    package static func testsInBatches(_ model: FinalModel) -> Bool {
        guard let span = model.span else { return false }
        return model.head == nil && span.training.count <= SpanBatch.maxSampleCount
    }

    /// The sample-estimator test errors of span-engine models (``testsInBatches(_:)``), each on its own draws, in one
    /// ``SpanPass`` over the test points (docs/model.md §7): the cells of a sweep row, whose models share `W⁽⁰⁾` and their
    /// training noise `Ξ` (and so `W⁽⁰⁾Ξ_tᵀ` and `ΞΞ_tᵀ`, taken from `cache` under `keys`) and whose draws share their test
    /// noise `Ξ_t` and clean labels, differing in `μ` (and so in `Ξ_tμ`, `⟨w, μ⟩` and the flips of the labels).
    ///
    /// Per test point `t` and model: `f_t = Σ_r κ_r (σ(ŷ_t ⟨w_r, μ⟩ + b_r) + σ(⟨w_r, ξ_t⟩ + b_r))` with
    /// `⟨w_r, ξ_t⟩ = (W⁽⁰⁾Ξ_tᵀ)_{r,t} + Σ_i R_{r,i} (ΞΞ_tᵀ)_{i,t} + c_r (Ξ_tμ)_t`, each model's operations the same whatever
    /// the batch; the error is the fraction of `f_t` on the wrong side of the noisy and of the clean labels, as
    /// ``evaluate(_:_:keys:cache:)`` reports it.
    ///
    /// - Complexity: O(m N n_test) per model once the shared products are cached.
    package static func evaluate(
        _ architecture: Architecture, _ models: [FinalModel], on draws: [TestDraws], keys: SpanRepresentation.Keys?,
        cache: DrawCache?
    ) -> [TestError] {
        let spans = models.compactMap(\.span), tests = draws.compactMap(\.points)
        guard let first = spans.first, let test = tests.first else { return [] }
        precondition(
            spans.count == models.count && tests.count == draws.count && models.count == draws.count
                && models.allSatisfy(testsInBatches)
                && tests.allSatisfy { $0.count == test.count && $0.cleanLabels == test.cleanLabels }
                && spans.allSatisfy { $0.training.count == first.training.count },
            "TestDraws.evaluate: models must be small span-engine models, one per set of sample draws")
        let rows = architecture.filterCount, n = first.training.count, points = test.count, k = models.count
        let initialProducts = SpanRepresentation.initialTestProducts(
            first.representation.initial, test: test, cache: cache, keys: keys)
        let right = SpanRepresentation.trainingTestProducts(first.training, test: test, cache: cache, keys: keys)
        // One allocation, cell innermost: R (2m × N × K); c, b, s (2m × K); Ξ_tμ and the outputs (n_test × K).
        let sizes = [rows * n * k, rows * k, rows * k, rows * k, points * k, points * k]
        let memory = UnsafeMutablePointer<Double>.allocate(capacity: sizes.reduce(0, +))
        defer { memory.deallocate() }
        memory.initialize(repeating: 0, count: sizes.reduce(0, +))
        var offset = 0
        let blocks = sizes.map { size in
            defer { offset += size }
            return memory + offset
        }
        let (coefficients, muCoefficients, biases, projections, noiseDotMu, outputs) = (
            blocks[0], blocks[1], blocks[2], blocks[3], blocks[4], blocks[5]
        )
        for (cell, (model, span)) in zip(models, spans).enumerated() {
            let representation = span.representation
            let signal = representation.signalProjections(tests[cell].mu, training: span.training)
            for row in 0..<rows {
                for i in 0..<n { coefficients[(row * n + i) * k + cell] = representation.noiseCoefficients[row, i] }
                muCoefficients[row * k + cell] = representation.muCoefficients[row]
                biases[row * k + cell] = model.biases[row]
                projections[row * k + cell] = signal[row]
            }
            for (t, value) in tests[cell].noise.times(span.training.mu).enumerated() {
                noiseDotMu[t * k + cell] = value
            }
        }
        initialProducts.storage.withUnsafeBufferPointer { p0 in
            right.storage.withUnsafeBufferPointer { b in
                test.cleanLabels.withUnsafeBufferPointer { yHat in
                    SpanPass(
                        architecture: architecture, depth: n, points: points, cells: k,
                        noiseCoefficients: coefficients, right: b.baseAddress!, initialProducts: p0.baseAddress!,
                        muCoefficients: muCoefficients, biases: biases, projections: projections,
                        noiseDotMu: noiseDotMu, cleanLabels: yHat.baseAddress!, outputs: outputs, preActivations: nil
                    ).run()
                }
            }
        }
        return tests.indices.map { cell in
            TestError(outputs: (0..<points).map { outputs[$0 * k + cell] }, points: tests[cell])
        }
    }
}
