/// One parameter-transfer experiment: upstream training, inheritance, fine-tuning and baseline
/// (MODEL.md §6, the paper's Algorithms 1 and 2), evaluated on task 2 (§7).
public struct TransferExperiment: Sendable {
    /// The validated config.
    public let config: ExperimentConfig

    /// An experiment for `config` (already validated by ``ConfigLoader``).
    public init(config: ExperimentConfig) {
        self.config = config
    }

    /// Runs every stage. Streams (``StreamSeed/Role``) derive from `config.seed`:
    ///
    /// 1. upstream: task-1 data (`upstream-data`), fresh init (`upstream-init`), `T_1` steps of `η_1`;
    ///    skipped when `α = 0` (nothing is inherited);
    /// 2. inheritance: the mask (`inheritance`) picks inherited parameters from the upstream model, the
    ///    rest from a fresh init (`downstream-init`);
    /// 3. transfer: `T_2` steps of `η_2` on task-2 data (`downstream-data`), inherited filters frozen for
    ///    `T_freeze` steps and stepped by `λ η_2` after;
    /// 4. baseline: the same task-2 data from the same fresh init, every filter stepped by `η_2`.
    /// Transfer and baseline are tested on the same draws (`test`); upstream on task-1 draws (`upstream-test`).
    ///
    /// - Throws: `LAPACKError` from the population estimator.
    public func run() throws -> ExperimentResult {
        let architecture = config.architecture
        let trainer = GradientDescent(architecture: architecture, alignmentDirections: config.signals.alignmentDirections)
        let seed = config.seed
        let rows = architecture.filterCount
        let testCount = config.evaluation == .sample ? config.nTest : config.populationDraws

        var upstreamSample: TaskSample?
        var upstream = StageOutcome.skipped
        var mask: InheritanceMask?
        var downstreamInit = StreamSeed.generator(seed, .downstreamInit)
        let fresh = config.initialization.draw(architecture, generator: &downstreamInit)
        var transferInitial = fresh
        if config.alpha > 0 {
            let task1 = config.distribution(.one)
            let sample = task1.sample(count: config.n1, seed: StreamSeed.derive(seed, StreamSeed.Role.upstreamData.rawValue))
            var upstreamInit = StreamSeed.generator(seed, .upstreamInit)
            let initial = config.initialization.draw(architecture, generator: &upstreamInit)
            let schedule = TrainingSchedule(stepSize: config.eta1, steps: config.steps1, filterCount: rows, logEvery: config.logEvery)
            let training = trainer.train(from: initial, on: sample, schedule: schedule)
            let draws = TestDraws(distribution: task1, method: config.evaluation, count: testCount, filterCount: rows,
                                  seed: StreamSeed.derive(seed, StreamSeed.Role.upstreamTest.rawValue))
            upstream = StageOutcome(training: training, test: try evaluate(training, on: draws))
            upstreamSample = sample
            var inheritanceStream = StreamSeed.generator(seed, .inheritance)
            let drawn = config.inheritance.mask(architecture, generator: &inheritanceStream)
            transferInitial = drawn.combine(upstream: training.final, fresh: fresh)
            mask = drawn
        }

        let task2 = config.distribution(.two)
        let downstreamSample = task2.sample(count: config.n2, seed: StreamSeed.derive(seed, StreamSeed.Role.downstreamData.rawValue))
        let draws = TestDraws(distribution: task2, method: config.evaluation, count: testCount, filterCount: rows,
                              seed: StreamSeed.derive(seed, StreamSeed.Role.test.rawValue))
        let inheritedRows = mask?.rows ?? [Bool](repeating: false, count: rows)
        let transferSchedule = TrainingSchedule(
            stepSize: config.eta2, steps: config.steps2,
            rowStepScales: inheritedRows.map { $0 ? config.inheritedLrScale : 1 },
            frozenRows: inheritedRows, freezeSteps: config.freezeSteps, logEvery: config.logEvery)
        let transferTraining = trainer.train(from: transferInitial, on: downstreamSample, schedule: transferSchedule)
        let baselineSchedule = TrainingSchedule(stepSize: config.eta2, steps: config.steps2, filterCount: rows, logEvery: config.logEvery)
        let baselineTraining = trainer.train(from: fresh, on: downstreamSample, schedule: baselineSchedule)

        return ExperimentResult(
            config: config,
            upstreamSample: upstreamSample,
            downstreamSample: downstreamSample,
            mask: mask,
            upstream: upstream,
            transfer: StageOutcome(training: transferTraining, test: try evaluate(transferTraining, on: draws)),
            baseline: StageOutcome(training: baselineTraining, test: try evaluate(baselineTraining, on: draws)))
    }

    /// The test error of a finished run; `nil` for a diverged one (its filters are not finite).
    private func evaluate(_ training: TrainingResult, on draws: TestDraws) throws -> TestError? {
        training.status == .ok ? try draws.evaluate(config.architecture, training.final) : nil
    }
}
