import TransferSimCore

/// One parameter-transfer experiment: upstream training, inheritance, fine-tuning and baseline
/// (MODEL.md §6, the paper's Algorithms 1 and 2), evaluated on task 2 (§7).
public struct TransferExperiment: Sendable {
    /// The validated config.
    public let config: ExperimentConfig
    /// Record the test error at every logged step of every stage (``HistoryRecord/testError``), as `run` does:
    /// one evaluation of the stage's estimator per logged step (population: a `2m × 2m` eigendecomposition and a
    /// `population_draws × 2m` product; sample: a pass over the `n_test` points). Sweeps keep no history and
    /// leave it off.
    public var historyTestErrors = false

    /// An experiment for `config` (already validated by ``ConfigLoader``).
    public init(config: ExperimentConfig) {
        self.config = config
    }

    /// The trained upstream stage, reusable by every config with the same ``ExperimentConfig/upstreamKey``.
    public struct Upstream: Sendable {
        /// Task-1 training set.
        public let sample: TaskSample
        /// The trained and tested upstream model.
        public let outcome: StageOutcome

        /// An upstream stage from its parts (a model read back from an upstream cache).
        package init(sample: TaskSample, outcome: StageOutcome) {
            self.sample = sample
            self.outcome = outcome
        }
    }

    /// The task-1 training set of stage 1 (drawn again from its stream; `cache` reuses standard draws).
    package func upstreamSample(cache: DrawCache?) -> TaskSample {
        upstreamJob(cache: cache).sample
    }

    /// Runs every stage; see ``trainUpstream()`` and ``run(upstream:)``.
    public func run() throws -> ExperimentResult {
        try run(upstream: config.needsUpstream ? trainUpstream() : nil)
    }

    /// Stage 1: task-1 data (`upstream-data`), fresh init (`upstream-init`), `T_1` steps of `η_1`,
    /// tested on task-1 draws (`upstream-test`).
    ///
    /// - Throws: `LAPACKError` from the population estimator.
    public func trainUpstream() throws -> Upstream {
        let job = upstreamJob(cache: nil)
        let draws = testDraws(config.distribution(.one), role: .upstreamTest)
        let training = trainer.train(from: job.initial, on: job.sample, schedule: job.schedule, evaluator: historyEvaluator(draws))
        return try upstream(job.sample, training, draws: draws)
    }

    /// The upstream stages of several experiments (``trainUpstream()`` for each, the same results bit for bit).
    ///
    /// Experiments with the same network, logged directions and engine whose task-1 training sets have the same
    /// noise patches — e.g. the cells of a sweep row over `‖u‖` with the same seed and `d` — are trained
    /// together by ``GradientDescent/train(batch:)``; standard draws (task-1 training and test) are shared
    /// through `cache`.
    public static func trainUpstreams(_ experiments: [TransferExperiment], cache: DrawCache) -> [Result<Upstream, Error>] {
        // Groups of experiments that can share a batch: same trainer, bit-identical noise. A group's training
        // sets share one copy of the noise matrix (equal values, so nothing changes but the memory held).
        var jobs: [(initial: Parameters, sample: TaskSample, schedule: TrainingSchedule)] = []
        var groups: [[Int]] = []
        for (index, experiment) in experiments.enumerated() {
            var job = experiment.upstreamJob(cache: cache)
            if let group = groups.firstIndex(where: {
                experiments[$0[0]].trainerIdentity == experiment.trainerIdentity && jobs[$0[0]].sample.noise == job.sample.noise
            }) {
                let sample = job.sample
                job.sample = TaskSample(mu: sample.mu, cleanLabels: sample.cleanLabels, labels: sample.labels, noise: jobs[groups[group][0]].sample.noise)
                groups[group].append(index)
            } else {
                groups.append([index])
            }
            jobs.append(job)
        }
        var results = [Result<Upstream, Error>?](repeating: nil, count: experiments.count)
        for group in groups {
            let trainings = experiments[group[0]].trainer.train(batch: group.map { jobs[$0] })
            for (index, training) in zip(group, trainings) {
                results[index] = Result {
                    let experiment = experiments[index]
                    let draws = experiment.testDraws(experiment.config.distribution(.one), role: .upstreamTest, cache: cache)
                    return try experiment.upstream(jobs[index].sample, training, draws: draws)
                }
            }
        }
        return results.map { $0! }
    }

    /// Stage 1's training job: the task-1 sample, the fresh init and the schedule.
    private func upstreamJob(cache: DrawCache?) -> (initial: Parameters, sample: TaskSample, schedule: TrainingSchedule) {
        let architecture = config.architecture
        let sample = config.distribution(.one).sample(count: config.n1, seed: config.streamSeed(.upstreamData), cache: cache)
        var initStream = Xoshiro256StarStar(seed: config.streamSeed(.upstreamInit))
        let initial = config.initialization.draw(architecture, generator: &initStream)
        var schedule = TrainingSchedule(stepSize: config.eta1, steps: config.steps1, filterCount: architecture.filterCount,
                                        logEvery: config.logEvery)
        schedule.targetLoss = config.targetLoss1
        return (initial, sample, schedule)
    }

    /// Stage 1's outcome: `training` on `sample`, tested on task-1 draws (`upstream-test`).
    private func upstream(_ sample: TaskSample, _ training: TrainingResult, draws: TestDraws) throws -> Upstream {
        return Upstream(sample: sample, outcome: StageOutcome(training: training, test: try evaluate(training, on: draws, sample: sample, keys: nil, cache: nil)))
    }

    /// Stages 2–4 given the upstream stage (`nil` skips it: nothing is inherited, as when `α = 0`); `cache`
    /// reuses standard draws of earlier cells with the same streams (results are identical either way).
    ///
    /// 2. inheritance: the mask (`inheritance`) takes inherited parameters from the upstream model, the
    ///    rest from a fresh init (`downstream-init`);
    /// 3. transfer: `T_2` steps of `η_2` on task-2 data (`downstream-data`), inherited filters frozen for
    ///    `T_freeze` steps and stepped by `λ η_2` after;
    /// 4. baseline: the same task-2 data from the same fresh init, every filter stepped by `η_2`.
    /// Transfer and baseline are tested on the same draws (`test`).
    ///
    /// - Throws: `LAPACKError` from the population estimator.
    public func run(upstream: Upstream?, cache: DrawCache? = nil) throws -> ExperimentResult {
        let architecture = config.architecture
        let rows = architecture.filterCount
        var initStream = Xoshiro256StarStar(seed: config.streamSeed(.downstreamInit))
        let fresh = config.initialization.draw(architecture, generator: &initStream)
        var mask: InheritanceMask?
        var transferInitial = fresh
        if let upstreamFinal = upstream?.outcome.training?.final, config.recipe != .distill {
            var inheritanceStream = Xoshiro256StarStar(seed: config.streamSeed(.inheritance))
            let drawn = config.inheritance.mask(architecture, generator: &inheritanceStream)
            transferInitial = drawn.combine(upstream: upstreamFinal, fresh: fresh)
            mask = drawn
        }
        let task2 = config.distribution(.two)
        let sample = task2.sample(count: config.n2, seed: config.streamSeed(.downstreamData), cache: cache)
        let draws = testDraws(task2, role: .test, cache: cache)
        let inheritedRows = mask?.rows ?? [Bool](repeating: false, count: rows)
        var transferSchedule = TrainingSchedule(
            stepSize: config.eta2, steps: config.steps2,
            rowStepScales: inheritedRows.map { $0 ? config.inheritedLrScale : 1 },
            frozenRows: inheritedRows, freezeSteps: config.freezeSteps, logEvery: config.logEvery)
        var baselineSchedule = TrainingSchedule(stepSize: config.eta2, steps: config.steps2, filterCount: rows, logEvery: config.logEvery)
        transferSchedule.targetLoss = config.targetLoss2
        if config.recipe == .l2sp {
            transferSchedule.anchorStrength = config.l2spStrength
            transferSchedule.anchoredRows = inheritedRows
        }
        baselineSchedule.targetLoss = config.targetLoss2
        if config.recipe == .distill {
            // A fresh student (the baseline's init and schedule) on the teacher's soft labels of the task-2 inputs.
            guard let teacher = upstream?.outcome.training?.final else {
                throw ConfigError(key: "recipe", "distill needs the upstream model as its teacher, and none was trained")
            }
            transferInitial = fresh
            transferSchedule = baselineSchedule
            transferSchedule.distillation = Distillation(teacherLogits: Forward(architecture: architecture, parameters: teacher, sample: sample).outputs,
                                                         weight: config.distillWeight, temperature: config.distillTemperature)
        }
        let baseline = trainer.train(from: fresh, on: sample, schedule: baselineSchedule, evaluator: historyEvaluator(draws))
        let baselineOutcome = StageOutcome(training: baseline, test: try evaluate(baseline, on: draws, sample: sample, keys: drawKeys, cache: cache))
        // Without an upstream model nothing is inherited: the transfer stage is the baseline run itself
        // (same init, data and schedule), not trained a second time.
        let transferOutcome = try mask == nil && config.recipe != .distill ? baselineOutcome : {
            let transfer = trainer.train(from: transferInitial, on: sample, schedule: transferSchedule, evaluator: historyEvaluator(draws))
            return StageOutcome(training: transfer, test: try evaluate(transfer, on: draws, sample: sample, keys: nil, cache: nil))
        }()
        return ExperimentResult(
            config: config,
            upstreamSample: upstream?.sample,
            downstreamSample: sample,
            mask: mask,
            upstream: upstream?.outcome ?? .skipped,
            transfer: transferOutcome,
            baseline: baselineOutcome)
    }

    // MARK: - Helpers

    private var trainer: GradientDescent {
        GradientDescent(architecture: config.architecture, alignmentDirections: config.signals.alignmentDirections, engine: config.engine)
    }

    /// Equal for experiments whose ``trainer``s are equal.
    private var trainerIdentity: String {
        "\(config.architecture)|\(config.signals.alignmentDirections)|\(config.engine)"
    }

    /// The evaluator of ``historyTestErrors`` on `draws`, or nil when it is off.
    private func historyEvaluator(_ draws: TestDraws) -> HistoryEvaluator? {
        guard historyTestErrors else { return nil }
        let architecture = config.architecture
        return { try? draws.evaluate(architecture, $0) }
    }

    private func testDraws(_ distribution: TaskDistribution, role: StreamSeed.Role, cache: DrawCache? = nil) -> TestDraws {
        let count = config.evaluation == .sample ? config.nTest : config.populationDraws
        return TestDraws(distribution: distribution, method: config.evaluation, count: count,
                         filterCount: config.architecture.filterCount, seed: config.streamSeed(role), cache: cache)
    }

    /// The test error of a finished run; `nil` for a diverged one (its filters are not finite). A span-engine
    /// run is evaluated through its span representation (`keys` let a sweep row share the products).
    private func evaluate(_ training: TrainingResult, on draws: TestDraws, sample: TaskSample,
                          keys: SpanRepresentation.Keys?, cache: DrawCache?) throws -> TestError? {
        guard training.status == .ok else { return nil }
        return try draws.evaluate(config.architecture, training.final, span: training.span.map { ($0, sample, keys) }, cache: cache)
    }

    /// Strings that determine the baseline's `W⁽⁰⁾`, the task-2 training noise and the task-2 test noise.
    private var drawKeys: SpanRepresentation.Keys {
        let c = config
        let noise = "\(c.sigmaP2)|\(c.noise.rawValue)|\(c.distribution(.two).removedDirections.map { $0.map { "\($0.0):\($0.1)" } })"
        return SpanRepresentation.Keys(
            initial: "\(c.streamSeed(.downstreamInit))|\(c.initialization)|\(c.d)|\(c.m)|\(c.bias)",
            training: "\(c.streamSeed(.downstreamData))|\(c.n2)|\(c.d)|\(noise)",
            test: "\(c.streamSeed(.test))|\(c.nTest)|\(c.d)|\(noise)")
    }
}
