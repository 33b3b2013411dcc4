import Foundation

/// The span engine (docs/model.md §4–§5, ``SpanState``) for a batch of cells that share their noise patches `Ξ`,
/// labels, initial parameters and schedule and differ only in their signal `μ` — the cells of a Kou-type sweep row,
/// whose ‖μ‖ axis changes nothing else — trained together with the cell index innermost. One cell is a batch too:
/// ``GradientDescent`` trains every small span-engine run (``maxSampleCount``) here, alone or in a row, so a run's
/// bits are the same whichever way it ran.
///
/// Per cell it runs the iteration of ``TrainingRun`` over ``SpanState``:
///
///     ⟨w_{j,r}, ξ_i⟩ = P₀ + (R G)_{j,r,i} + c_{j,r} m_i,      ⟨w_{j,r}, μ⟩ = s₀ + (R m)_{j,r} + c_{j,r} ‖μ‖²
///
/// then the outputs, the coefficients of ``GradientCoefficients``, `R ← R − η_{j,r} noise`, `c ← c − η_{j,r} signal`
/// and `b ← b − η_{j,r} ∇_b L`, with per-filter steps ``TrainingSchedule/rowScales(atStep:)`` (`T_freeze`, `λ`), the
/// target loss (§12), the divergence test and the log of ``TrainingRun``. The decomposition (§5) is read off the
/// coefficients where it is logged: `γ_{j,r} = j c_{j,r} ‖μ‖²` and `ρ_{j,r,i} = R_{j,r,i} ‖ξ_i‖²` — what ``SpanState``
/// accumulates step by step (`γ += −η_{j,r} j signal ‖μ‖²`, `ρ += −η_{j,r} noise ‖ξ_i‖²`), the same sums up to
/// rounding. The products are the project's own loops (``SpanPass``), not BLAS: `(R G)_{j,r,i} = Σ_k R_{j,r,k} G_{k,i}`
/// is summed over `k` in increasing order from 0 with one fused multiply-add per term (`addingProduct`: `fma(R, G,
/// total)`, rounded once, an instruction on CPUs with FMA and libm's correctly rounded `fma` elsewhere, so the same
/// bits from every build), then added to `P₀`, and every other sum runs in index order with a multiplication and an
/// addition per term. The loops are vectorised across cells (or, for the cells left over, across `i`), which changes no
/// element's operations: each cell computes the same operations in the same order whatever the batch — its size, its
/// other cells, their order — and its bits depend on nothing else, not even the BLAS kernel. Against ``SpanState``'s
/// BLAS products the iterates agree to rounding.
///
/// Distillation (recipe `distill`) is covered: its soft labels are the schedule's, so shared by the cells. L2-SP, a
/// trainable head and LoRA are not (``accepts(_:initial:)``): ``SpanState`` trains them.
///
/// - Complexity: O(N² d + K m N d) once (the shared products and each cell's `s₀`, `m`), then O(K m N²) per step
///   for `K` cells, with no BLAS call and no allocation (but at logged steps).
package final class SpanBatch {
    /// The network trained (`2m` rows, `κ`, biases).
    private let architecture: Architecture
    /// Cells in the batch, `K`.
    private let cells: Int
    /// Training samples `N`.
    private let sampleCount: Int
    /// The largest `N` that ``GradientDescent`` trains here rather than by ``SpanState`` (one model at a time, its
    /// product by ``PackedGram``): with the cell index innermost, the cells beyond a block of 8 take a path bound by
    /// the latency of one chain of fused multiply-adds, slow at large `N` (a fig2 upstream stage's `N₁ = 300`: 2.85×).
    package static let maxSampleCount = 64
    /// The most cells ``GradientDescent`` trains in one batch (two blocks of 8 lanes): a sweep row's cells (up to 64
    /// per run) go in batches of this many, whose state (`R` and the pre-activations, `2 · 2m N K` doubles: 100 KB at a
    /// Kou row's sizes, against 410 KB for 64 cells, most of a 512 KB second-level cache) stays in cache through a
    /// step. A cell's bits do not depend on it. Measured on a Kou slice (docs/performance.md): 16 cells 0.83× the time
    /// of 64, 8 cells 0.95×, 32 cells as 16.
    package static let cellsPerBatch = 16

    private let schedule: TrainingSchedule
    private let initial: Parameters
    private let samples: [TaskSample]
    private let evaluators: [HistoryEvaluator?]
    private let directions: [[(Int, Double)]]
    /// Per direction `ŝ`: `⟨w⁽⁰⁾_{j,r}, ŝ⟩` by row, `⟨ξ_i, ŝ⟩` by sample and `⟨μ, ŝ⟩` by cell
    /// (``SpanState/component``).
    private let initialParts: [[Double]], noiseParts: [[Double]], muParts: [[Double]]

    /// One allocation holding every array below (doubles), freed with the batch.
    private let memory: UnsafeMutablePointer<Double>
    // Shared: G (N × N), P₀ (2m × N), y, ŷ, ‖ξ_i‖² (N each).
    private let gram, initialProducts, labels, cleanLabels, xiSquared: UnsafeMutablePointer<Double>
    // Per cell (cell innermost): s₀ (2m × K), m = Ξμ (N × K), ‖μ‖² (K).
    private let initialProjections, noiseDotMu, muSquared: UnsafeMutablePointer<Double>
    // State: c, b (2m × K); R (2m × N × K).
    private let muCoefficients, biases, noiseCoefficients: UnsafeMutablePointer<Double>
    // Scratch: pre-activations (2m × N × K), projections (2m × K), outputs and (κ/N) g (N × K), S₊ and S₋ (2 × K),
    // a row's Σ_i noise (K), the finiteness test (K), the rates `−η_{j,r}` (2m).
    private let preActivations, projections, outputs, lossWeights, classSums, noiseSums, finiteness,
        rates: UnsafeMutablePointer<Double>

    private var histories: [[HistoryRecord]]
    private var results: [TrainingResult?]

    /// Whether a run from `initial` with `schedule` is one this type trains: no L2-SP, head or adapter.
    package static func accepts(_ schedule: TrainingSchedule, initial: Parameters) -> Bool {
        schedule.anchorStrength == 0 && schedule.headStepScale == nil
            && schedule.adapter == nil && initial.head == nil
    }

    /// A batch at `initial` with `schedule` (both shared; ``accepts(_:initial:)``) for `samples` (one per cell: the
    /// same `Ξ`, labels and clean labels, each its own `μ`), logging alignments with `alignmentDirections` and, at each
    /// logged step, the test error by the cell's `evaluators` entry (nil: none; empty: none for any cell). `gram` is
    /// `ΞΞᵀ`, `initialProducts` `W⁽⁰⁾Ξᵀ` and `noiseSquaredNorms` the `‖ξ_i‖²` when already computed (a sweep row's
    /// cache).
    package init(
        architecture: Architecture, initial: Parameters, samples: [TaskSample], schedule: TrainingSchedule,
        alignmentDirections: [[(Int, Double)]] = [], evaluators: [HistoryEvaluator?] = [], gram: Matrix? = nil,
        initialProducts: Matrix? = nil, noiseSquaredNorms: [Double]? = nil
    ) {
        let first = samples[0]
        precondition(
            Self.accepts(schedule, initial: initial)
                && samples.allSatisfy {
                    $0.noise == first.noise && $0.labels == first.labels && $0.cleanLabels == first.cleanLabels
                },
            "SpanBatch: cells must share Ξ, labels and initial filters, with a schedule it accepts")
        let rows = architecture.filterCount, n = first.count, k = samples.count, d = architecture.dimension
        self.architecture = architecture
        cells = k
        sampleCount = n
        self.schedule = schedule
        self.initial = initial
        self.samples = samples
        self.evaluators = evaluators.isEmpty ? [HistoryEvaluator?](repeating: nil, count: k) : evaluators
        directions = alignmentDirections
        let norms = noiseSquaredNorms ?? first.noiseSquaredNorms
        initialParts = alignmentDirections.map { direction in
            (0..<rows).map { row in SpanState.component(direction, dimension: d) { initial.weights[row, $0] } }
        }
        noiseParts = alignmentDirections.map { direction in
            (0..<n).map { i in SpanState.component(direction, dimension: d) { first.noise[i, $0] } }
        }
        muParts = alignmentDirections.map { direction in
            samples.map { sample in SpanState.component(direction, dimension: d) { sample.mu[$0] } }
        }
        let sizes = [
            n * n, rows * n, n, n, n,  // shared
            rows * k, n * k, k,  // per cell
            rows * k, rows * k, rows * n * k,  // state
            rows * n * k, rows * k, n * k, n * k, 2 * k, k, k, rows,  // scratch
        ]
        let memory = UnsafeMutablePointer<Double>.allocate(capacity: sizes.reduce(0, +))
        memory.initialize(repeating: 0, count: sizes.reduce(0, +))
        self.memory = memory
        var offset = 0
        let blocks = sizes.map { size in
            defer { offset += size }
            return memory + offset
        }
        (self.gram, self.initialProducts, labels, cleanLabels, xiSquared) = (
            blocks[0], blocks[1], blocks[2], blocks[3], blocks[4]
        )
        (initialProjections, noiseDotMu, muSquared) = (blocks[5], blocks[6], blocks[7])
        (muCoefficients, biases, noiseCoefficients) = (blocks[8], blocks[9], blocks[10])
        (preActivations, projections, outputs, lossWeights) = (blocks[11], blocks[12], blocks[13], blocks[14])
        (classSums, noiseSums, finiteness, rates) = (blocks[15], blocks[16], blocks[17], blocks[18])
        Self.copy((gram ?? SpanState.gram(first.noise)).storage, to: self.gram)
        Self.copy(
            (initialProducts ?? SpanState.initialProducts(initial.weights, first.noise)).storage,
            to: self.initialProducts)
        Self.copy(first.labels, to: labels)
        Self.copy(first.cleanLabels, to: cleanLabels)
        Self.copy(norms, to: xiSquared)
        var projection = [Double](repeating: 0, count: rows)
        for (cell, sample) in samples.enumerated() {
            // As SpanState computes them, bit for bit.
            BLAS.gemv(initial.weights, sample.mu, into: &projection)
            let dots = sample.noise.times(sample.mu)
            for row in 0..<rows {
                initialProjections[row * k + cell] = projection[row]
                biases[row * k + cell] = initial.biases[row]
            }
            for i in 0..<n { noiseDotMu[i * k + cell] = dots[i] }
            muSquared[cell] = BLAS.dot(sample.mu, sample.mu)
        }
        histories = [[HistoryRecord]](repeating: [], count: k)
        results = [TrainingResult?](repeating: nil, count: k)
    }

    deinit { memory.deallocate() }

    private static func copy(_ values: [Double], to target: UnsafeMutablePointer<Double>) {
        values.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Trains every cell to its end (`T` steps, the target loss, or divergence) and returns each cell's result, as
    /// ``GradientDescent/train(from:on:schedule:evaluator:shared:)`` reports it.
    package func train() -> [TrainingResult] {
        // ``TrainingSchedule/rowScales(atStep:)`` depends on `t` only through `t < T_freeze`: its two values.
        let (frozen, free) = (schedule.rowScales(atStep: 0), schedule.rowScales(atStep: schedule.freezeSteps))
        var step = 0
        while true {
            forward()
            let reachedEnd = step == schedule.steps
            // A cell still trains until its result is taken.
            for cell in 0..<cells where results[cell] == nil { observe(cell: cell, step: step, last: reachedEnd) }
            guard !reachedEnd, results.contains(where: { $0 == nil }) else { break }
            if step == 0 || step == schedule.freezeSteps {
                let scales = step < schedule.freezeSteps ? frozen : free
                for row in scales.indices { rates[row] = scales[row] }
            }
            update()
            step += 1
        }
        return results.map { $0! }
    }

    /// Cell `cell` at step `step` after the forward pass: stops it when it diverged (an output beyond
    /// ``Forward/divergenceBound``, or NaN, or a parameter not finite), reached the target loss or `last`; logs the
    /// step when due or when it ends (``TrainingRun/advance()``).
    private func observe(cell: Int, step: Int, last: Bool) {
        let n = sampleCount, k = cells
        var moderate = finiteness[cell] == 0
        for i in 0..<n { moderate = moderate && abs(outputs[i * k + cell]) <= Forward.divergenceBound }
        let diverged = !moderate
        guard diverged || last || schedule.logs(step: step) || schedule.targetLoss > 0 else { return }
        let cellOutputs = (0..<n).map { outputs[$0 * k + cell] }
        let cellLabels = samples[cell].labels
        let loss = Forward.loss(outputs: cellOutputs, labels: cellLabels)
        let reached = schedule.targetLoss > 0 && !diverged && loss <= schedule.targetLoss
        let ended = diverged || reached || last
        guard ended || schedule.logs(step: step) else { return }
        let error = Forward.errorRate(outputs: cellOutputs, labels: cellLabels)
        let decomposition = self.decomposition(cell: cell)
        var record = HistoryRecord(
            step: step, loss: loss, trainError: error, alignments: alignments(cell: cell),
            decomposition: decomposition, architecture: architecture, labels: cellLabels)
        let model = {
            FinalModel(
                span: self.span(cell: cell), training: self.samples[cell], biases: self.cellBiases(cell), head: nil)
        }
        if let evaluator = evaluators[cell], !diverged, let test = evaluator(model().parameters) {
            record.testError = test.error
            record.cleanTestError = test.cleanError
        }
        histories[cell].append(record)
        guard ended else { return }
        results[cell] = TrainingResult(
            initial: initial, final: model(), decomposition: decomposition, history: histories[cell],
            status: diverged ? .diverged : .ok, trainLoss: loss, trainError: error, steps: step,
            converged: schedule.targetLoss > 0 ? reached : nil,
            signalNoiseRatio: decomposition.signalNoiseRatio(architecture: architecture, labels: cellLabels),
            rhoBarMax: decomposition.rhoExtremes(architecture: architecture, labels: cellLabels).barMax)
        histories[cell] = []
    }

    /// `cell`'s `W = W⁽⁰⁾ + c μᵀ + R Ξ` as coefficients.
    private func span(cell: Int) -> SpanRepresentation {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        var noise = Matrix(rows: rows, cols: n)
        for row in 0..<rows { for i in 0..<n { noise[row, i] = noiseCoefficients[(row * n + i) * k + cell] } }
        return SpanRepresentation(
            initial: initial.weights, muCoefficients: (0..<rows).map { muCoefficients[$0 * k + cell] },
            noiseCoefficients: noise)
    }

    private func cellBiases(_ cell: Int) -> [Double] {
        (0..<architecture.filterCount).map { biases[$0 * cells + cell] }
    }

    /// `cell`'s `(γ, ρ)`: `γ_{j,r} = j c_{j,r} ‖μ‖²`, `ρ_{j,r,i} = R_{j,r,i} ‖ξ_i‖²`.
    private func decomposition(cell: Int) -> Decomposition {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        var decomposition = Decomposition(filterCount: rows, sampleCount: n)
        for row in 0..<rows {
            decomposition.gamma[row] =
                architecture.classSign(ofRow: row) * muCoefficients[row * k + cell] * muSquared[cell]
            for i in 0..<n { decomposition.rho[row, i] = noiseCoefficients[(row * n + i) * k + cell] * xiSquared[i] }
        }
        return decomposition
    }

    /// `⟨w_{j,r}, ŝ⟩ = ⟨w⁽⁰⁾_{j,r}, ŝ⟩ + c_{j,r} ⟨μ, ŝ⟩ + Σ_i R_{j,r,i} ⟨ξ_i, ŝ⟩` for every direction
    /// (``SpanState/alignments(_:)``).
    private func alignments(cell: Int) -> [[Double]] {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        return directions.indices.map { direction in
            (0..<rows).map { row in
                var value = initialParts[direction][row] + muCoefficients[row * k + cell] * muParts[direction][cell]
                for i in 0..<n { value += noiseCoefficients[(row * n + i) * k + cell] * noiseParts[direction][i] }
                return value
            }
        }
    }

    // MARK: - One step

    /// The projections `s₀ + R m + c ‖μ‖²` and the finiteness test (`Σ 0·x` over `c`, `R` and `b`: 0 unless one is
    /// infinite or NaN) of every cell, then the pre-activations `P₀ + R G + c mᵀ + b` and the outputs (rows in
    /// increasing order), in one pass over `R G` (``products()``).
    private func forward() {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        for cell in 0..<k { finiteness[cell] = 0 }
        for index in 0..<(n * k) { outputs[index] = 0 }
        for row in 0..<rows {
            // Sums over i, in registers, 8 cells at a time, then one.
            var cell = 0
            while cell + 8 <= k {
                project(SIMD8<Double>.self, row: row, cell: cell)
                cell += 8
            }
            while cell < k {
                project(Double.self, row: row, cell: cell)
                cell += 1
            }
        }
        products()
    }

    /// The pass of ``SpanPass`` over the training samples: `(R G)`, the pre-activations `((P₀ + R G) + c m_i) + b`
    /// (kept for the step) and the outputs.
    private func products() {
        SpanPass(
            architecture: architecture, depth: sampleCount, points: sampleCount, cells: cells,
            noiseCoefficients: noiseCoefficients, right: gram, initialProducts: initialProducts,
            muCoefficients: muCoefficients, biases: biases, projections: projections, noiseDotMu: noiseDotMu,
            cleanLabels: cleanLabels, outputs: outputs, preActivations: preActivations
        ).run()
    }

    /// One gradient step of every cell with the rates `−η_{j,r}` in ``rates`` (``GradientCoefficients``, then
    /// ``SpanState/step(_:rowScales:headScale:)``);
    /// a row at rate 0 (frozen) is left as it is. A cell that has stopped steps on too (its lanes are independent of
    /// the others': whatever it computes, even NaN, reaches no other cell), its result already taken.
    private func update() {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        let scale = architecture.outputScale / Double(n), hasBias = architecture.hasBias
        let (y, yHat, f, h, sums, rowSums) = (labels, cleanLabels, outputs, lossWeights, classSums, noiseSums)
        let (c, b, s) = (muCoefficients, biases, projections)
        // (κ/N) g_i and the class sums S₊, S₋ of g_i (i increasing).
        for cell in 0..<(2 * k) { sums[cell] = 0 }
        for i in 0..<n {
            let label = y[i], classSum = sums + (yHat[i] > 0 ? 0 : k), outputsRow = f + i * k, weights = h + i * k
            // 8 cells at a time (ℓ' by lanes: each the scalar's operations), then one; with distillation one by one.
            var cell = 0
            while schedule.distillation == nil, cell + 8 <= k {
                let g = LogisticLoss.derivative(SIMD8(label) * SIMD8.load(outputsRow + cell)) * SIMD8(label)
                (SIMD8.load(classSum + cell) + g).store(classSum + cell)
                (SIMD8(scale) * g).store(weights + cell)
                cell += 8
            }
            while cell < k {
                var g = LogisticLoss.derivative(label * outputsRow[cell]) * label
                if let distillation = schedule.distillation {
                    g = distillation.derivative(g, output: outputsRow[cell], sample: i)
                }
                classSum[cell] += g
                weights[cell] = scale * g
                cell += 1
            }
        }
        for row in 0..<rows {
            let rate = rates[row]
            guard rate != 0 else { continue }
            let sign = architecture.classSign(ofRow: row), factor = sign * scale
            // σ'(a) sign h_i (+0 where the filter is off, as GradientCoefficients) moves R and ρ; its sum over i (the
            // bias's noise part) is kept in registers, 8 cells at a time, then one.
            var cell = 0
            while cell + 8 <= k {
                step(SIMD8<Double>.self, row: row, cell: cell, sign: sign, rate: rate)
                cell += 8
            }
            while cell < k {
                step(Double.self, row: row, cell: cell, sign: sign, rate: rate)
                cell += 1
            }
            let cs = c + row * k, bs = b + row * k, ss = s + row * k
            for cell in 0..<k {
                let positive = ss[cell] + bs[cell] > 0 ? sums[cell] : 0
                let negative = -ss[cell] + bs[cell] > 0 ? sums[k + cell] : 0
                let signal = factor * (positive - negative)
                cs[cell] += rate * signal
                if hasBias { bs[cell] += rate * (rowSums[cell] + factor * (positive + negative)) }
            }
        }
    }

    /// Row `row`'s projections `s₀ + Σ_i R_{row,i} m_i + c ‖μ‖²` (i increasing) for the cells `cell..<cell + L.width`,
    /// and their finiteness test `+ 0·c + 0·b + Σ_i 0·R_{row,i}`.
    @inline(__always)
    private func project<L: Lane>(_: L.Type, row: Int, cell: Int) {
        let (n, k, ok) = (sampleCount, cells, finiteness)
        let cs = muCoefficients + row * k + cell, bs = biases + row * k + cell
        var finite = L.load(ok + cell) + L.zero * L.load(cs) + L.zero * L.load(bs)
        var total = L.zero
        var source = noiseCoefficients + row * n * k + cell, dots = noiseDotMu + cell
        for _ in 0..<n {
            let value = L.load(source)
            total = total + value * L.load(dots)
            finite = finite + L.zero * value
            source += k
            dots += k
        }
        let target = projections + row * k + cell
        (L.load(initialProjections + row * k + cell) + total + L.load(cs) * L.load(muSquared + cell)).store(target)
        finite.store(ok + cell)
    }

    /// Row `row`'s step of `R` for the cells `cell..<cell + L.width` at rate `rate` (`−η_{j,r}`), and the
    /// sums over i (increasing) of its coefficients into ``noiseSums``.
    @inline(__always)
    private func step<L: Lane>(_: L.Type, row: Int, cell: Int, sign: Double, rate: Double) {
        let (n, k) = (sampleCount, cells)
        let (signs, rates) = (L(sign), L(rate))
        var sum = L.zero
        var offset = row * n * k + cell, weights = lossWeights + cell
        for _ in 0..<n {
            let coefficient = L.load(preActivations + offset).positive(signs * L.load(weights))
            sum = sum + coefficient
            (L.load(noiseCoefficients + offset) + rates * coefficient).store(noiseCoefficients + offset)
            offset += k
            weights += k
        }
        sum.store(noiseSums + cell)
    }
}
