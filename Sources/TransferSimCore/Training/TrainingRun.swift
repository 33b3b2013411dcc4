/// One gradient-descent run in progress (docs/model.md §4–§5): the state, its per-step buffers, the
/// decomposition and the log.
///
/// A driver fills ``forward`` with the forward pass at the current point (``DescentState/forward(into:)``,
/// or a batched product for several runs at once) and calls ``advance()``, until it returns the result.
struct TrainingRun<State: DescentState> {
    let architecture: Architecture
    let alignmentDirections: [[(Int, Double)]]
    let initial: Parameters
    let sample: TaskSample
    let schedule: TrainingSchedule
    /// The iterate.
    var state: State
    /// The forward pass at the current point, refilled by the driver before each ``advance()``.
    var forward: Forward
    private var coefficients: GradientCoefficients
    private var decomposition: Decomposition
    private var history: [HistoryRecord] = []
    private var step = 0
    private let muSquared: Double
    private let xiSquared: [Double]
    /// ``TrainingSchedule/rowScales(atStep:)`` depends on `t` only through `t < T_freeze`: its two values,
    /// computed once (steps before `T_freeze`, and from `T_freeze` on).
    private let frozenScales: [Double]
    private let freeScales: [Double]
    /// Debug builds check the state's invariants (``DescentState/checkInvariants(_:)``) every this many steps.
    static var invariantInterval: Int { 8 }

    /// Test error of the filters at a logged step (``HistoryRecord/testError``), when the caller wants it.
    private let evaluator: HistoryEvaluator?

    init(
        state: State, architecture: Architecture, alignmentDirections: [[(Int, Double)]], initial: Parameters,
        sample: TaskSample, schedule: TrainingSchedule, evaluator: HistoryEvaluator? = nil,
        noiseSquaredNorms: [Double]? = nil
    ) {
        self.state = state
        self.evaluator = evaluator
        self.architecture = architecture
        self.alignmentDirections = alignmentDirections
        self.initial = initial
        self.sample = sample
        self.schedule = schedule
        forward = Forward(architecture: architecture, sample: sample)
        coefficients = GradientCoefficients(architecture: architecture, sampleCount: sample.count)
        decomposition = Decomposition(filterCount: architecture.filterCount, sampleCount: sample.count)
        if !state.keepsSpan { decomposition.setUndefined() }
        muSquared = BLAS.dot(sample.mu, sample.mu)
        xiSquared = noiseSquaredNorms ?? sample.noiseSquaredNorms
        precondition(
            schedule.anchorStrength == 0 || schedule.anchoredRows.count == architecture.filterCount,
            "TrainingSchedule: \(schedule.anchoredRows.count) anchored-row flags for \(architecture.filterCount) filters"
        )
        frozenScales = schedule.rowScales(atStep: 0)
        freeScales = schedule.rowScales(atStep: schedule.freezeSteps)
    }

    /// Consumes the forward pass at step `t` held in ``forward``: stops with status `diverged` if an output exceeds
    /// ``Forward/divergenceBound`` in magnitude (or is NaN) or a parameter is not finite, logs the step when due, returns the result after step `T`'s pass, and otherwise
    /// applies the exact gradient with per-row steps ``TrainingSchedule/rowScales(atStep:)`` and accumulates the
    /// decomposition.
    mutating func advance() -> TrainingResult? {
        let labels = sample.labels
        #if DEBUG
            if step % Self.invariantInterval == 0 && forward.hasModerateOutputs { state.checkInvariants(forward) }
        #endif
        // Diverged: an output beyond ``Forward/divergenceBound`` (or NaN), or a parameter not finite.
        let diverged = !forward.hasModerateOutputs || !state.isFinite
        // Target loss (§12): checked at every step, so the loss is computed at every step when one is set.
        let reached = schedule.targetLoss > 0 && !diverged && forward.loss(labels: labels) <= schedule.targetLoss
        let ended = diverged || reached || step == schedule.steps
        if ended || schedule.logs(step: step) {
            let loss = forward.loss(labels: labels), error = forward.errorRate(labels: labels)
            var record = HistoryRecord(
                step: step, loss: loss, trainError: error, alignments: state.alignments(alignmentDirections),
                decomposition: decomposition, architecture: architecture, labels: labels)
            if let evaluator, !diverged, let test = evaluator(state.parameters()) {
                record.testError = test.error
                record.cleanTestError = test.cleanError
            }
            history.append(record)
            if ended {
                return TrainingResult(
                    initial: initial, final: state.finalModel, decomposition: decomposition, history: history,
                    status: diverged ? .diverged : .ok, trainLoss: loss, trainError: error, steps: step,
                    converged: schedule.targetLoss > 0 ? reached : nil,
                    adapters: state.adapters.map { ($0.initial, $0.current) },
                    signalNoiseRatio: decomposition.signalNoiseRatio(architecture: architecture, labels: labels),
                    rhoBarMax: decomposition.rhoExtremes(architecture: architecture, labels: labels).barMax)
            }
        }
        coefficients.update(
            architecture: architecture, biases: state.biases, head: state.head, forward: forward, sample: sample,
            distillation: schedule.distillation)
        let scales = step < schedule.freezeSteps ? frozenScales : freeScales
        if schedule.anchorStrength > 0 {
            // L2-SP: the displacement from the start shrinks by (1 − η_{j,r} β_sp) before the gradient step, exactly
            // the penalty's gradient β_sp (w − w⁰); γ and ρ shrink with it (§11).
            let factors = scales.indices.map { row in
                schedule.anchoredRows[row] ? 1 + scales[row] * schedule.anchorStrength : 1
            }
            state.shrinkDisplacement(factors)
            decomposition.shrink(factors)
        }
        state.step(
            coefficients, rowScales: scales, headScale: schedule.headStepScale.map { -schedule.stepSize * $0 } ?? 0,
            decomposition: &decomposition, muSquaredNorm: muSquared, noiseSquaredNorms: xiSquared)
        step += 1
        return nil
    }
}
