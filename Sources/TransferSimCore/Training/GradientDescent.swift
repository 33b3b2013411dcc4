import Foundation

/// How one stage trains: full-batch gradient descent with per-filter step sizes (docs/model.md §4, §6).
package struct TrainingSchedule: Sendable, Equatable {
    /// Base step size `η > 0`.
    package var stepSize: Double
    /// Number of steps `T ≥ 0`.
    package var steps: Int
    /// Step multiplier of each filter row after unfreezing (`λ` for inherited filters, 1 otherwise).
    package var rowStepScales: [Double]
    /// Rows held fixed during the first ``freezeSteps`` steps (the inherited filters).
    package var frozenRows: [Bool]
    /// `T_freeze`: steps `t < T_freeze` leave the frozen rows (and their biases) unchanged.
    package var freezeSteps: Int
    /// Record a ``HistoryRecord`` at every multiple of this many steps, and at the last step.
    package var logEvery: Int
    /// Whether the steps ``logEvery`` names are recorded; false records only the last step (a sweep that writes no
    /// history: its rows take only the end of training, so the other records would be built and dropped).
    package var recordsHistory = true
    /// Target training loss `ε` (docs/model.md §12): stop at the first step `t ≤ T` with `L(W⁽ᵗ⁾) ≤ ε`, checked every
    /// step; ``steps`` is then a cap. 0 (the default) is off.
    package var targetLoss = 0.0
    /// `β_sp` of L2-SP (docs/model.md §11, recipe `l2sp`): the rows of ``anchoredRows`` train on
    /// `L(W) + (β_sp/2) Σ (‖w_{j,r} − w⁰_{j,r}‖² + (b_{j,r} − b⁰_{j,r})²)`, `w⁰` the run's initial parameters. 0 is
    /// off.
    package var anchorStrength = 0.0
    /// The rows pulled towards their initial values (the inherited filters); none by default.
    package var anchoredRows: [Bool] = []
    /// Knowledge distillation (recipe `distill`): train on soft labels besides the hard ones; nil is off.
    package var distillation: Distillation?
    /// `h` of the head's step `h η` (docs/model.md §11, `linear-probe`, `lp-ft`): the head of the initial parameters
    /// trains when set; nil leaves it (or §3's fixed second layer) unchanged.
    package var headStepScale: Double?
    /// LoRA (recipe `lora`): the filters are `W⁰ + (s/r) B A` per class with `W⁰` the initial filters, and only the
    /// adapter's `A`, `B` train; nil is off.
    package var adapter: LowRankAdapter?

    /// A plain schedule: every filter trains with step `stepSize`, nothing frozen.
    package init(stepSize: Double, steps: Int, filterCount: Int, logEvery: Int) {
        self.init(
            stepSize: stepSize, steps: steps, rowStepScales: [Double](repeating: 1, count: filterCount),
            frozenRows: [Bool](repeating: false, count: filterCount), freezeSteps: 0, logEvery: logEvery)
    }

    /// A schedule with explicit per-row scales and freezing.
    package init(
        stepSize: Double, steps: Int, rowStepScales: [Double], frozenRows: [Bool], freezeSteps: Int, logEvery: Int
    ) {
        precondition(
            rowStepScales.count == frozenRows.count,
            "TrainingSchedule: \(rowStepScales.count) scales, \(frozenRows.count) freeze flags")
        precondition(
            steps >= 0 && freezeSteps >= 0 && logEvery >= 1,
            "TrainingSchedule: steps \(steps), freeze \(freezeSteps), logEvery \(logEvery)")
        self.stepSize = stepSize
        self.steps = steps
        self.rowStepScales = rowStepScales
        self.frozenRows = frozenRows
        self.freezeSteps = freezeSteps
        self.logEvery = logEvery
    }

    /// Whether step `t` is recorded besides the last: a multiple of ``logEvery`` when ``recordsHistory``.
    package func logs(step t: Int) -> Bool {
        recordsHistory && t % logEvery == 0
    }

    /// `−η_{j,r}` at step `t`: 0 for a frozen row while `t < T_freeze`, else `−η · scale_{j,r}`.
    package func rowScales(atStep t: Int) -> [Double] {
        rowStepScales.indices.map { row in
            t < freezeSteps && frozenRows[row] ? 0 : -stepSize * rowStepScales[row]
        }
    }
}

/// The soft-label term of recipe `distill` (docs/model.md §11): `L_KD = (1/N) Σ_i [(1 − β) ℓ(y_i f_i) + β τ² H(q_i,
/// s_i)]`.
package struct Distillation: Sendable, Equatable {
    /// `f_t(x_i)`: the teacher's logits on the training inputs.
    package let teacherLogits: [Double]
    /// `q_i = sigmoid(f_t(x_i)/τ)`: the teacher's soft labels on the training inputs, fixed during training.
    package let targets: [Double]
    /// `β`, the weight of the soft-label term.
    package let weight: Double
    /// `τ`, the softening temperature.
    package let temperature: Double

    /// Soft labels from the teacher's logits `f_t(x_i)`.
    package init(teacherLogits: [Double], weight: Double, temperature: Double) {
        self.teacherLogits = teacherLogits
        targets = teacherLogits.map { 1 / (1 + exp(-$0 / temperature)) }
        self.weight = weight
        self.temperature = temperature
    }

    /// `N ∂L_KD/∂f_i = (1 − β) g + β τ (s_i − q_i)` from the hard-label `g = y_i ℓ'(y_i f_i)`, with `s_i =
    /// sigmoid(f_i/τ)` of the student's `output` `f_i` on training sample `sample` (docs/model.md §11).
    @inline(__always)
    package func derivative(_ g: Double, output: Double, sample i: Int) -> Double {
        let student = 1 / (1 + exp(-output / temperature))
        return (1 - weight) * g + weight * temperature * (student - targets[i])
    }
}

/// The test error of filters at a logged step (nil when it cannot be estimated), for ``HistoryRecord/testError``.
package typealias HistoryEvaluator = (Parameters) -> TestError?

/// Whether a stage finished (docs/model.md §4).
package enum RunStatus: String, Sendable, Equatable {
    /// Ran all steps with a finite loss.
    case ok
    /// An output exceeded ``Forward/divergenceBound`` in magnitude (or became NaN), or a parameter became NaN or
    /// infinite; training stopped at that step.
    case diverged
    /// Not run (the upstream stage when `α = 0`).
    case skipped
}

/// The outcome of training one stage.
package struct TrainingResult: Sendable {
    /// Parameters at the start.
    package let initial: Parameters
    /// Parameters after the last step (or at divergence), held or kept as a span (``FinalModel``).
    package private(set) var finalModel: FinalModel
    /// Parameters after the last step (or at divergence), materialised (O(m N d) for a span at each read).
    package var final: Parameters { finalModel.parameters }
    /// `(γ, ρ)` of §5 relative to ``initial``.
    package let decomposition: Decomposition
    /// Logged steps.
    package let history: [HistoryRecord]
    /// `ok` or `diverged`.
    package let status: RunStatus
    /// Training loss of ``final`` (NaN or ∞ when diverged).
    package let trainLoss: Double
    /// Steps taken: `T`, the step at which the target loss was reached, or the step at which it diverged.
    package let steps: Int
    /// Whether the target loss was reached (docs/model.md §12); nil when no target was set.
    package let converged: Bool?
    /// Training error of ``final`` against the observed labels.
    package let trainError: Double
    /// Signal learning against noise memorisation at the end (issue 15's lemma-level check): for the filter attaining
    /// `max_{j,r} γ_{j,r}`, `γ_{j,r} / Σ_{i: y_i = j} ρ̄_{j,r,i}` (§5, `ρ̄ = max(ρ, 0)`); NaN when that sum is 0 or the
    /// decomposition is undefined (LoRA).
    package let signalNoiseRatio: Double
    /// `max ρ̄` at the end (§5; the proofs bound it by a logarithm of `T`); NaN when the decomposition is undefined.
    package let rhoBarMax: Double
    /// The LoRA adapter at the start and after the last step (recipe `lora`; ``final`` holds the filters
    /// `W⁰ + (s/r) B A` the final one gives, ``initial`` the frozen `W⁰`).
    package let adapters: (initial: LowRankAdapter, final: LowRankAdapter)?
    /// `final` as `W⁽⁰⁾ + c μᵀ + R Ξ` when the span engine trained it (test points are then evaluated through
    /// the same representation, ``SpanRepresentation/noiseProducts(test:training:cache:keys:)``).
    package var span: SpanRepresentation? { finalModel.span?.representation }

    /// The same result with its final parameters held (``FinalModel/holding()``): for a model read many times.
    package func holdingFinal() -> TrainingResult {
        var result = self
        result.finalModel = finalModel.holding()
        return result
    }

    /// A result from its parts.
    package init(
        initial: Parameters, final: FinalModel, decomposition: Decomposition, history: [HistoryRecord],
        status: RunStatus,
        trainLoss: Double, trainError: Double, steps: Int, converged: Bool?,
        adapters: (initial: LowRankAdapter, final: LowRankAdapter)? = nil, signalNoiseRatio: Double = .nan,
        rhoBarMax: Double = .nan
    ) {
        self.signalNoiseRatio = signalNoiseRatio
        self.rhoBarMax = rhoBarMax
        self.adapters = adapters
        self.initial = initial
        finalModel = final
        self.decomposition = decomposition
        self.history = history
        self.status = status
        self.trainLoss = trainLoss
        self.trainError = trainError
        self.steps = steps
        self.converged = converged
    }

    /// What a cached upstream model keeps (``TransferExperiment/Upstream``): the final parameters, status, loss and
    /// error; its initial parameters stand for the final ones, its decomposition is zero and its history empty
    /// (sweeps record none of them).
    package init(
        cachedFinal final: Parameters, status: RunStatus, trainLoss: Double, trainError: Double, steps: Int,
        converged: Bool?,
        signalNoiseRatio: Double, rhoBarMax: Double, sampleCount: Int
    ) {
        self.init(
            initial: final, final: FinalModel(final),
            decomposition: Decomposition(filterCount: final.weights.rows, sampleCount: sampleCount),
            history: [], status: status, trainLoss: trainLoss, trainError: trainError, steps: steps,
            converged: converged,
            signalNoiseRatio: signalNoiseRatio, rhoBarMax: rhoBarMax)
    }
}

/// How gradient descent represents the filters (docs/model.md §4–§5); both give the same iterates up to rounding.
public enum Engine: String, Sendable, CaseIterable {
    /// The span engine when its FLOP count is lower, else weight space.
    ///
    /// Weight space costs `T · 4·(2m)·N·d` (forward and update `dgemm` per step); the span engine
    /// `T · 2·(2m)·N² + 2·N²·d + 2·(2m)·N·d` (one product `R G` per step, the Gram matrix and `W⁽⁰⁾Ξᵀ` once): for long
    /// runs the span engine wins when `N < 2d`.
    case auto
    /// The `2m × d` filters themselves (``WeightSpaceState``).
    case weight
    /// Coefficients on the training patches (``SpanState``).
    case span

    /// The engine used to train `filterCount` filters for `steps` steps on `sampleCount` samples of dimension
    /// `dimension`.
    package func resolved(sampleCount n: Int, dimension d: Int, filterCount rows: Int, steps: Int) -> Engine {
        guard self == .auto else { return self }
        let (n, d, rows, t) = (Double(n), Double(d), Double(rows), Double(steps))
        let weight = t * 4 * rows * n * d
        let span = t * 2 * rows * n * n + 2 * n * n * d + 2 * rows * n * d
        return span < weight ? .span : .weight
    }
}

/// Full-batch gradient descent `W ← W − η ∇L(W)` on one training set (docs/model.md §4), tracking §5.
package struct GradientDescent: Sendable {
    /// The network trained.
    package let architecture: Architecture
    /// Directions `ŝ` whose alignments are logged (``Signals/alignmentDirections``).
    package let alignmentDirections: [[(Int, Double)]]
    /// Weight space, span, or chosen by cost.
    package let engine: Engine

    /// A trainer for `architecture`, logging alignments with `alignmentDirections`.
    package init(architecture: Architecture, alignmentDirections: [[(Int, Double)]], engine: Engine = .auto) {
        self.architecture = architecture
        self.alignmentDirections = alignmentDirections
        self.engine = engine
    }

    /// Trains from `initial` on `sample` with `schedule`.
    ///
    /// Each step runs one forward pass (the loss at `W⁽ᵗ⁾`), stops with status `diverged` if an output exceeds
    /// ``Forward/divergenceBound`` (or any parameter is not finite), then applies the exact gradient with per-row steps
    /// ``TrainingSchedule/rowScales(atStep:)`` and accumulates the decomposition. Step `T`'s forward pass
    /// gives the final loss and error.
    ///
    /// - Complexity: O(T m N d) in weight space; O(N² d + T m N²) with the span engine.
    ///
    /// With an `evaluator`, every logged step also records the test error of the filters at that step
    /// (``HistoryRecord/testError``), evaluated on the materialised filters (equal up to rounding to the stage's
    /// final test error, which a span-engine run computes through its span representation).
    ///
    /// `shared` names the values of the initial filters and of the noise patches (``SpanRepresentation/Keys``, only
    /// `initial` and `training` are used): the span engine's `ΞΞᵀ`, `W⁽⁰⁾Ξᵀ` and the `‖ξ_i‖²` are then taken from, or
    /// kept in, its cache, so the runs of a sweep row compute them once (the same bits either way).
    package func train(
        from initial: Parameters, on sample: TaskSample, schedule: TrainingSchedule,
        evaluator: HistoryEvaluator? = nil, shared: (cache: DrawCache, keys: SpanRepresentation.Keys)? = nil
    ) -> TrainingResult {
        if let adapter = schedule.adapter {
            return drive(
                run(
                    LowRankState(architecture: architecture, sample: sample, base: initial, adapter: adapter), initial,
                    sample, schedule, evaluator))
        }
        switch resolvedEngine(sample: sample, schedule: schedule) {
        case .span where batches(sample, from: initial, schedule: schedule):
            return train(
                batch: [sample], from: initial, schedule: schedule, evaluators: [evaluator], shared: shared)[0]
        case .span:
            guard let (cache, keys) = shared else {
                return drive(
                    run(
                        SpanState(architecture: architecture, sample: sample, initial: initial), initial, sample,
                        schedule, evaluator))
            }
            let gram = PackedGram(cache.matrix(.gram(training: keys.training)) { SpanState.gram(sample.noise) })
            let products = cache.matrix(.initialProducts(initial: keys.initial, training: keys.training)) {
                SpanState.initialProducts(initial.weights, sample.noise)
            }
            let norms: [Double] = cache.value(.noiseNorms(training: keys.training)) { sample.noiseSquaredNorms }
            let state = SpanState(
                architecture: architecture, sample: sample, initial: initial, gram: gram, initialProducts: products)
            return drive(run(state, initial, sample, schedule, evaluator, noiseSquaredNorms: norms))
        default:
            return drive(
                run(
                    WeightSpaceState(architecture: architecture, sample: sample, current: initial), initial, sample,
                    schedule, evaluator))
        }
    }

    /// Trains one model per training set in `samples` from the same `initial` parameters with the same `schedule`: the
    /// cells of a sweep row that share their noise patches `Ξ`, labels and init and differ only in `μ` (a Kou-type
    /// row). Each result equals ``train(from:on:schedule:evaluator:shared:)`` of that cell alone, bit for bit: a
    /// span-engine run of at most ``SpanBatch/maxSampleCount`` samples trains in a ``SpanBatch`` (its bits do not
    /// depend on the batch), in batches of at most ``SpanBatch/cellsPerBatch`` cells with equal `Ξ` and labels (a cell
    /// equal to another, `μ` too, is trained once); other runs train one by one. `evaluators` holds each cell's history
    /// evaluator (empty: none); `shared` a cache and each cell's keys, as for one run.
    package func train(
        cells samples: [TaskSample], from initial: Parameters, schedule: TrainingSchedule,
        evaluators: [HistoryEvaluator?] = [], shared: (cache: DrawCache, keys: [SpanRepresentation.Keys])? = nil
    ) -> [TrainingResult] {
        let evaluators = evaluators.isEmpty ? [HistoryEvaluator?](repeating: nil, count: samples.count) : evaluators
        guard let first = samples.first, resolvedEngine(sample: first, schedule: schedule) == .span,
            batches(first, from: initial, schedule: schedule)
        else {
            return samples.indices.map { cell in
                train(
                    from: initial, on: samples[cell], schedule: schedule, evaluator: evaluators[cell],
                    shared: shared.map { ($0.cache, $0.keys[cell]) })
            }
        }
        let groups = indexGroups(samples) {
            $0.noise == $1.noise && $0.labels == $1.labels && $0.cleanLabels == $1.cleanLabels
        }
        var results = [TrainingResult?](repeating: nil, count: samples.count)
        for group in groups {
            // Cells equal to each other (the same μ too, and no history evaluator: the identical baselines of an α row)
            // train once and share the result: the same computation, so the same bits.
            let twins = indexGroups(group) {
                evaluators[$0] == nil && evaluators[$1] == nil && samples[$0].mu == samples[$1].mu
            }
            let leads = twins.map { group[$0[0]] }
            let trained = train(
                batch: leads.map { samples[$0] }, from: initial, schedule: schedule,
                evaluators: leads.map { evaluators[$0] }, shared: shared.map { ($0.cache, $0.keys[group[0]]) })
            for (cells, result) in zip(twins, trained) {
                for cell in cells { results[group[cell]] = result }
            }
        }
        return results.map { $0! }
    }

    /// One ``SpanBatch`` of `samples` (equal `Ξ` and labels), with the shared products from `shared`'s cache (`keys`
    /// name the first sample's noise, and so every sample's).
    private func train(
        batch samples: [TaskSample], from initial: Parameters, schedule: TrainingSchedule,
        evaluators: [HistoryEvaluator?], shared: (cache: DrawCache, keys: SpanRepresentation.Keys)?
    ) -> [TrainingResult] {
        let first = samples[0]
        let gram = shared.map { $0.cache.matrix(.gram(training: $0.keys.training)) { SpanState.gram(first.noise) } }
        let products = shared.map {
            $0.cache.matrix(.initialProducts(initial: $0.keys.initial, training: $0.keys.training)) {
                SpanState.initialProducts(initial.weights, first.noise)
            }
        }
        let norms: [Double]? = shared.map {
            $0.cache.value(.noiseNorms(training: $0.keys.training)) { first.noiseSquaredNorms }
        }
        // Every cell's bits are the same in any batch: batches of ``SpanBatch/cellsPerBatch`` keep a batch's state in
        // the second-level cache through each step.
        return stride(from: 0, to: samples.count, by: SpanBatch.cellsPerBatch).flatMap { start in
            let cells = start..<min(start + SpanBatch.cellsPerBatch, samples.count)
            return SpanBatch(
                architecture: architecture, initial: initial, samples: Array(samples[cells]), schedule: schedule,
                alignmentDirections: alignmentDirections, evaluators: Array(evaluators[cells]), gram: gram,
                initialProducts: products, noiseSquaredNorms: norms
            ).train()
        }
    }

    /// Whether a span-engine run from `initial` with `schedule` on `sample` trains in a ``SpanBatch``.
    private func batches(_ sample: TaskSample, from initial: Parameters, schedule: TrainingSchedule) -> Bool {
        sample.count <= SpanBatch.maxSampleCount && SpanBatch.accepts(schedule, initial: initial)
    }

    /// Trains several models on training sets with the same noise patches `Ξ` (bit for bit), each from its own
    /// initial parameters, signal, labels and schedule; the results equal those of
    /// ``train(from:on:schedule:evaluator:shared:)`` one by one, bit for bit, under every BLAS kernel.
    ///
    /// With the span engine the models share the Gram matrix `G = ΞΞᵀ` (computed and laid out once, ``PackedGram``);
    /// each model's step then makes exactly the products of its own run (`P = P₀ + R G`, `2m` rows, each entry a fixed
    /// chain of fused multiply-adds). Results version 3 stacked the `K` models' coefficient matrices into one `dgemm`
    /// of `K·2m` rows instead: a row of that product depends on its batch-mates under some OpenBLAS kernels
    /// (Prescott's: one ulp of ρ), so a row followed the batch it was in, and with it the thread count. Jobs whose
    /// noise differs, or that the weight-space engine trains, are trained one by one.
    ///
    /// Waiting workers of `team` may compute chunks of the span engine's large step products (``PackedGram``): the same
    /// bits.
    ///
    /// - Complexity: O(N² d + K (T m N² + m N d)) for `K` span-engine jobs.
    package func train(
        batch jobs: [(initial: Parameters, sample: TaskSample, schedule: TrainingSchedule)], team: ProductTeam? = nil
    ) -> [TrainingResult] {
        guard let first = jobs.first,
            jobs.allSatisfy({
                resolvedEngine(sample: $0.sample, schedule: $0.schedule) == .span
                    && $0.schedule.adapter == nil && $0.sample.noise == first.sample.noise
                    && !batches($0.sample, from: $0.initial, schedule: $0.schedule)
            })
        else { return jobs.map { train(from: $0.initial, on: $0.sample, schedule: $0.schedule) } }
        let gram = PackedGram(SpanState.gram(first.sample.noise), team: team)
        return jobs.map {
            drive(
                run(
                    SpanState(architecture: architecture, sample: $0.sample, initial: $0.initial, gram: gram),
                    $0.initial, $0.sample, $0.schedule))
        }
    }

    /// The engine of one run (a trainable head, §11, leaves the filters' updates in the span: both engines train it).
    private func resolvedEngine(sample: TaskSample, schedule: TrainingSchedule) -> Engine {
        engine.resolved(
            sampleCount: sample.count, dimension: sample.dimension, filterCount: architecture.filterCount,
            steps: schedule.steps)
    }

    private func run<State: DescentState>(
        _ state: State, _ initial: Parameters, _ sample: TaskSample,
        _ schedule: TrainingSchedule, _ evaluator: HistoryEvaluator? = nil,
        noiseSquaredNorms: [Double]? = nil
    ) -> TrainingRun<State> {
        TrainingRun(
            state: state, architecture: architecture, alignmentDirections: alignmentDirections, initial: initial,
            sample: sample, schedule: schedule, evaluator: evaluator, noiseSquaredNorms: noiseSquaredNorms)
    }

    /// Runs `run` to its end, one forward pass per step.
    private func drive<State: DescentState>(_ run: TrainingRun<State>) -> TrainingResult {
        var run = run
        while true {
            run.state.forward(into: &run.forward)
            if let result = run.advance() { return result }
        }
    }
}
