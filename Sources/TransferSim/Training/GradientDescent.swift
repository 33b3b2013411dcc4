/// How one stage trains: full-batch gradient descent with per-filter step sizes (MODEL.md §4, §6).
public struct TrainingSchedule: Sendable, Equatable {
    /// Base step size `η > 0`.
    public var stepSize: Double
    /// Number of steps `T ≥ 0`.
    public var steps: Int
    /// Step multiplier of each filter row after unfreezing (`λ` for inherited filters, 1 otherwise).
    public var rowStepScales: [Double]
    /// Rows held fixed during the first ``freezeSteps`` steps (the inherited filters).
    public var frozenRows: [Bool]
    /// `T_freeze`: steps `t < T_freeze` leave the frozen rows (and their biases) unchanged.
    public var freezeSteps: Int
    /// Record a ``HistoryRecord`` at every multiple of this many steps, and at the last step.
    public var logEvery: Int

    /// A plain schedule: every filter trains with step `stepSize`, nothing frozen.
    public init(stepSize: Double, steps: Int, filterCount: Int, logEvery: Int) {
        self.init(stepSize: stepSize, steps: steps, rowStepScales: [Double](repeating: 1, count: filterCount),
                  frozenRows: [Bool](repeating: false, count: filterCount), freezeSteps: 0, logEvery: logEvery)
    }

    /// A schedule with explicit per-row scales and freezing.
    public init(stepSize: Double, steps: Int, rowStepScales: [Double], frozenRows: [Bool], freezeSteps: Int, logEvery: Int) {
        precondition(rowStepScales.count == frozenRows.count, "TrainingSchedule: \(rowStepScales.count) scales, \(frozenRows.count) freeze flags")
        precondition(steps >= 0 && freezeSteps >= 0 && logEvery >= 1, "TrainingSchedule: steps \(steps), freeze \(freezeSteps), logEvery \(logEvery)")
        self.stepSize = stepSize
        self.steps = steps
        self.rowStepScales = rowStepScales
        self.frozenRows = frozenRows
        self.freezeSteps = freezeSteps
        self.logEvery = logEvery
    }

    /// `−η_{j,r}` at step `t`: 0 for a frozen row while `t < T_freeze`, else `−η · scale_{j,r}`.
    public func rowScales(atStep t: Int) -> [Double] {
        rowStepScales.indices.map { row in
            t < freezeSteps && frozenRows[row] ? 0 : -stepSize * rowStepScales[row]
        }
    }
}

/// Whether a stage finished (MODEL.md §4).
public enum RunStatus: String, Sendable, Equatable {
    /// Ran all steps with a finite loss.
    case ok
    /// The loss (or a parameter) became NaN or infinite; training stopped at that step.
    case diverged
    /// Not run (the upstream stage when `α = 0`).
    case skipped
}

/// The outcome of training one stage.
public struct TrainingResult: Sendable {
    /// Parameters at the start.
    public let initial: Parameters
    /// Parameters after the last step (or at divergence).
    public let final: Parameters
    /// `(γ, ρ)` of §5 relative to ``initial``.
    public let decomposition: Decomposition
    /// Logged steps.
    public let history: [HistoryRecord]
    /// `ok` or `diverged`.
    public let status: RunStatus
    /// Training loss of ``final`` (NaN or ∞ when diverged).
    public let trainLoss: Double
    /// Training error of ``final`` against the observed labels.
    public let trainError: Double
    /// `final` as `W⁽⁰⁾ + c μᵀ + R Ξ` when the span engine trained it (test points are then evaluated through
    /// the same representation, ``SpanRepresentation/noiseProducts(test:training:cache:keys:)``).
    public let span: SpanRepresentation?
}

/// How gradient descent represents the filters (MODEL.md §4–§5); both give the same iterates up to rounding.
public enum Engine: String, Sendable, CaseIterable {
    /// The span engine when it is cheaper (`N < d`: O(m N²) against O(m N d) per step), else weight space.
    case auto
    /// The `2m × d` filters themselves (``WeightSpaceState``).
    case weight
    /// Coefficients on the training patches (``SpanState``).
    case span

    /// The engine used for `sampleCount` samples of dimension `dimension`.
    public func resolved(sampleCount: Int, dimension: Int) -> Engine {
        self == .auto ? (sampleCount < dimension ? .span : .weight) : self
    }
}

/// Full-batch gradient descent `W ← W − η ∇L(W)` on one training set (MODEL.md §4), tracking §5.
public struct GradientDescent: Sendable {
    /// The network trained.
    public let architecture: Architecture
    /// Directions `ŝ` whose alignments are logged (``Signals/alignmentDirections``).
    public let alignmentDirections: [[(Int, Double)]]
    /// Weight space, span, or chosen by cost.
    public let engine: Engine

    /// A trainer for `architecture`, logging alignments with `alignmentDirections`.
    public init(architecture: Architecture, alignmentDirections: [[(Int, Double)]], engine: Engine = .auto) {
        self.architecture = architecture
        self.alignmentDirections = alignmentDirections
        self.engine = engine
    }

    /// Trains from `initial` on `sample` with `schedule`.
    ///
    /// Each step runs one forward pass (the loss at `W⁽ᵗ⁾`), stops with status `diverged` if that loss
    /// (or any parameter) is not finite, then applies the exact gradient with per-row steps
    /// ``TrainingSchedule/rowScales(atStep:)`` and accumulates the decomposition. Step `T`'s forward pass
    /// gives the final loss and error.
    ///
    /// - Complexity: O(T m N d) in weight space; O(N² d + T m N²) with the span engine.
    public func train(from initial: Parameters, on sample: TaskSample, schedule: TrainingSchedule) -> TrainingResult {
        switch engine.resolved(sampleCount: sample.count, dimension: sample.dimension) {
        case .span:
            var state = SpanState(architecture: architecture, sample: sample, initial: initial)
            return run(&state, initial: initial, sample: sample, schedule: schedule)
        default:
            var state = WeightSpaceState(architecture: architecture, sample: sample, current: initial)
            return run(&state, initial: initial, sample: sample, schedule: schedule)
        }
    }

    private func run<State: DescentState>(_ state: inout State, initial: Parameters, sample: TaskSample,
                                          schedule: TrainingSchedule) -> TrainingResult {
        var decomposition = Decomposition(filterCount: architecture.filterCount, sampleCount: sample.count)
        var history: [HistoryRecord] = []
        let muSquared = BLAS.dot(sample.mu, sample.mu)
        let xiSquared = sample.noiseSquaredNorms
        let frozenScales = schedule.rowScales(atStep: 0), freeScales = schedule.rowScales(atStep: schedule.freezeSteps)
        var forward = Forward(architecture: architecture, sample: sample)
        var coefficients = GradientCoefficients(architecture: architecture, sampleCount: sample.count)
        var step = 0
        while true {
            state.forward(into: &forward)
            // The loss is finite whenever every output is moderate; otherwise it is computed to decide.
            let diverged = !(forward.hasModerateOutputs || forward.loss(labels: sample.labels).isFinite) || !state.isFinite
            let logged = diverged || step % schedule.logEvery == 0 || step == schedule.steps
            if logged {
                history.append(HistoryRecord(step: step, loss: forward.loss(labels: sample.labels), trainError: forward.errorRate(labels: sample.labels),
                                             alignments: state.alignments(alignmentDirections),
                                             decomposition: decomposition, architecture: architecture, labels: sample.labels))
            }
            if diverged || step == schedule.steps {
                return TrainingResult(initial: initial, final: state.parameters(), decomposition: decomposition, history: history,
                                      status: diverged ? .diverged : .ok, trainLoss: forward.loss(labels: sample.labels),
                                      trainError: forward.errorRate(labels: sample.labels), span: state.spanRepresentation)
            }
            coefficients.update(architecture: architecture, biases: state.biases, forward: forward, sample: sample)
            let scales = step < schedule.freezeSteps ? frozenScales : freeScales
            decomposition.accumulate(coefficients, rowScales: scales, architecture: architecture,
                                     muSquaredNorm: muSquared, noiseSquaredNorms: xiSquared)
            state.step(coefficients, rowScales: scales)
            step += 1
        }
    }
}
