import TransferSimCore

/// One parameter-transfer experiment: upstream training, inheritance, fine-tuning and baseline
/// (docs/model.md §6, the paper's Algorithms 1 and 2), evaluated on task 2 (§7).
public struct TransferExperiment: Sendable {
    /// The validated config.
    public let config: ExperimentConfig
    /// Record the test error at every logged step of every stage (``HistoryRecord/testError``), as `run` does:
    /// one evaluation of the stage's estimator per logged step (population: a `2m × 2m` eigendecomposition and a
    /// `population_draws × 2m` product; sample: a pass over the `n_test` points). Sweeps keep no history and
    /// leave it off.
    public var historyTestErrors = false
    /// Record every logged step of the task-2 stages (transfer, baseline, teacher: ``TrainingResult/history``); false
    /// records only their last step, all a sweep without `keep_history` takes of them (the same rows). The upstream
    /// stage always records its history: an upstream cache may hand its model to a run that writes it.
    public var recordsDownstreamHistory = true

    /// Strings that determine the baseline's `W⁽⁰⁾`, the task-2 training noise and the task-2 test noise (computed once:
    /// a sweep row compares and looks them up for every cell).
    private let drawKeys: SpanRepresentation.Keys
    /// Equal for experiments whose ``trainer``s are equal: network, logged directions (``directionsText(_:)``) and
    /// engine (computed once, as ``drawKeys``).
    private let trainerIdentity: (Architecture, String, Engine)
    /// The task-2 streams' seeds (``ExperimentConfig/streamSeed(_:)`` of `downstream-init`, `downstream-data` and
    /// `test`), derived once: each is asked for several times per cell, and a derivation renders the stream's layout.
    private let downstreamSeeds: (initial: UInt64, data: UInt64, test: UInt64)

    /// An experiment for `config` (already validated by ``ConfigLoader``).
    public init(config: ExperimentConfig) {
        self.config = config
        let c = config
        let seeds = (
            initial: c.streamSeed(.downstreamInit), data: c.streamSeed(.downstreamData), test: c.streamSeed(.test)
        )
        downstreamSeeds = seeds
        let noise = "\(c.sigmaP2)|\(c.noise.rawValue)|\(Self.directionsText(c.distribution(.two).removedDirections))"
        drawKeys = SpanRepresentation.Keys(
            initial: "\(seeds.initial)|\(c.initialization)|\(c.d)|\(c.m)|\(c.bias)",
            training: "\(seeds.data)|\(c.n2)|\(c.d)|\(noise)",
            test: "\(seeds.test)|\(c.nTest)|\(c.d)|\(noise)")
        trainerIdentity = (c.architecture, Self.directionsText(c.signals.alignmentDirections), c.engine)
    }

    /// Sparse directions (`(axis, value)` pairs) as text that is equal exactly when they are: `axis:value` joined by
    /// `,` within a direction, directions joined by `;` (cheaper than an array's `description`, which a sweep row would
    /// pay for every cell).
    private static func directionsText(_ directions: [[(Int, Double)]]) -> String {
        directions.map { $0.map { "\($0.0):\($0.1)" }.joined(separator: ",") }.joined(separator: ";")
    }

    /// The trained upstream stage, reusable by every config with the same ``ExperimentConfig/upstreamKey``.
    public struct Upstream: Sendable {
        /// Task-1 training set.
        package let sample: TaskSample
        /// The trained and tested upstream model.
        package let outcome: StageOutcome

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
        let training = trainer.train(
            from: job.initial, on: job.sample, schedule: job.schedule, evaluator: historyEvaluator(draws))
        return try upstream(job.sample, training, draws: draws)
    }

    /// The upstream stages of several experiments (``trainUpstream()`` for each, the same results bit for bit).
    ///
    /// Experiments with the same network, logged directions and engine whose task-1 training sets have the same
    /// noise patches — e.g. the cells of a sweep row over `‖u‖` with the same seed and `d` — are trained
    /// together by ``GradientDescent/train(batch:team:)``, waiting workers of `team` taking chunks of their step
    /// products; standard draws (task-1 training and test) are shared through `cache`.
    package static func trainUpstreams(
        _ experiments: [TransferExperiment], cache: DrawCache, team: ProductTeam? = nil
    ) -> [Result<Upstream, Error>] {
        // Groups of experiments that can share a batch: same trainer, bit-identical noise. A group's training
        // sets share one copy of the noise matrix (equal values, so nothing changes but the memory held).
        var jobs = experiments.map { $0.upstreamJob(cache: cache) }
        let groups = indexGroups(Array(zip(experiments, jobs))) {
            $0.0.trainerIdentity == $1.0.trainerIdentity && $0.1.sample.noise == $1.1.sample.noise
        }
        for group in groups {
            for index in group.dropFirst() {
                let sample = jobs[index].sample
                jobs[index].sample = TaskSample(
                    mu: sample.mu, cleanLabels: sample.cleanLabels, labels: sample.labels,
                    noise: jobs[group[0]].sample.noise)
            }
        }
        var results = [Result<Upstream, Error>?](repeating: nil, count: experiments.count)
        for group in groups {
            let trainings = experiments[group[0]].trainer.train(batch: group.map { jobs[$0] }, team: team)
            for (index, training) in zip(group, trainings) {
                results[index] = Result {
                    let experiment = experiments[index]
                    let draws = experiment.testDraws(
                        experiment.config.distribution(.one), role: .upstreamTest, cache: cache)
                    return try experiment.upstream(jobs[index].sample, training, draws: draws)
                }
            }
        }
        return results.map { $0! }
    }

    /// Stage 1's training job: the task-1 sample, the fresh init and the schedule.
    private func upstreamJob(cache: DrawCache?) -> (initial: Parameters, sample: TaskSample, schedule: TrainingSchedule)
    {
        let architecture = config.architecture
        let sample = config.distribution(.one).sample(
            count: config.n1, seed: config.streamSeed(.upstreamData), cache: cache)
        var initStream = Xoshiro256StarStar(seed: config.streamSeed(.upstreamInit))
        let initial = config.initialization.draw(architecture, generator: &initStream)
        var schedule = TrainingSchedule(
            stepSize: config.eta1, steps: config.steps1, filterCount: architecture.filterCount,
            logEvery: config.logEvery)
        schedule.targetLoss = config.targetLoss1
        return (initial, sample, schedule)
    }

    /// Stage 1's outcome: `training` on `sample`, tested on task-1 draws (`upstream-test`).
    private func upstream(_ sample: TaskSample, _ training: TrainingResult, draws: TestDraws) throws -> Upstream {
        // Every cell inheriting from it reads its filters: they are materialised once, after the test.
        let test = try evaluate(training, on: draws, keys: nil, cache: nil)
        return Upstream(sample: sample, outcome: StageOutcome(training: training.holdingFinal(), test: test))
    }

    /// Stages 2–4 given the upstream stage (`nil` skips it: nothing is inherited, as when `α = 0`); `cache`
    /// reuses standard draws of earlier cells with the same streams (results are identical either way).
    ///
    /// 2. inheritance: the mask (`inheritance`) takes inherited parameters from the upstream model, the
    ///    rest from a fresh init (`downstream-init`);
    /// 3. transfer by the config's recipe (docs/model.md §11, ``transferOutcome(_:)``) on task-2 data (`downstream-data`);
    /// 4. baseline: the same task-2 data from the same fresh init, every filter stepped by `η_2`.
    /// Transfer and baseline are tested on the same draws (`test`).
    ///
    /// - Throws: `LAPACKError` from the population estimator.
    ///
    /// `trainedBaseline` is stage 4's task-2 training set and training when already done, with its test error and the
    /// task-2 test draws it was estimated on when already estimated (``run(cells:upstream:cache:)``; nil: here).
    package func run(
        upstream: Upstream?, cache: DrawCache? = nil,
        trainedBaseline: (sample: TaskSample, training: TrainingResult, tested: (TestError, TestDraws)?)? = nil
    ) throws -> ExperimentResult {
        let architecture = config.architecture
        let keys = drawKeys
        let fresh = freshInit(cache: cache)
        var mask: InheritanceMask?
        var inherited = fresh
        // Nothing is inherited by a distillation student; its teacher `transfer` is a finetune model, which inherits.
        if let upstreamFinal = upstream?.outcome.training?.final, config.alpha > 0,
            config.recipe.distillation.teacher == .transfer || config.recipe.kind != .distill
        {
            var inheritanceStream = Xoshiro256StarStar(seed: config.streamSeed(.inheritance))
            let drawn = config.inheritance.mask(architecture, generator: &inheritanceStream)
            inherited = drawn.combine(upstream: upstreamFinal, fresh: fresh)
            mask = drawn
        }
        let sample = trainedBaseline?.sample ?? downstreamSample(cache: cache)
        let draws = trainedBaseline?.tested?.1 ?? testDraws(config.distribution(.two), role: .test, cache: cache)
        let baselineSchedule = self.baselineSchedule
        let baseline =
            trainedBaseline?.training
            ?? trainer.train(
                from: fresh, on: sample, schedule: baselineSchedule, evaluator: historyEvaluator(draws),
                shared: cache.map { ($0, keys) })
        let baselineOutcome = StageOutcome(
            training: baseline,
            test: try trainedBaseline?.tested?.0 ?? evaluate(baseline, on: draws, keys: keys, cache: cache))
        let stage = TransferStage(
            experiment: self, sample: sample, draws: draws, fresh: fresh, inherited: inherited,
            inheritedRows: mask?.rows ?? [Bool](repeating: false, count: architecture.filterCount),
            baselineSchedule: baselineSchedule, baseline: baselineOutcome)
        // finetune and l2sp inherit nothing without an upstream model: their transfer stage is the baseline run itself
        // (same init, data and schedule), not trained a second time. The other recipes differ by their own rule.
        let reusesBaseline = mask == nil && (config.recipe.kind == .finetune || config.recipe.kind == .l2sp)
        var teacher = StageOutcome.skipped
        var teacherLogits: [Double]?
        let transfer =
            try reusesBaseline
            ? baselineOutcome
            : stage.outcome(
                upstream: upstream?.outcome.training?.final, teacher: &teacher, teacherLogits: &teacherLogits)
        var result = ExperimentResult(
            config: config,
            upstreamSample: upstream?.sample,
            downstreamSample: sample,
            mask: mask,
            upstream: upstream?.outcome ?? .skipped,
            transfer: transfer,
            baseline: baselineOutcome)
        result.teacher = teacher
        result.teacherLogits = teacherLogits
        return result
    }

    /// Stages 2–4 of several experiments that share `upstream` (nil: none needs one), as ``run(upstream:cache:trainedBaseline:)``
    /// for each, the same results bit for bit. The baselines of experiments with the same network, schedule, fresh init
    /// and task-2 noise and labels — the cells of a sweep row over `‖μ‖` — train together
    /// (``GradientDescent/train(cells:from:schedule:evaluators:shared:)``) and, where they share their test noise too, are
    /// tested together (``TestDraws/evaluate(_:_:on:keys:cache:)``); `cache` shares their draws and products.
    package static func run(
        cells experiments: [TransferExperiment], upstream: Upstream?, cache: DrawCache
    ) -> [Result<ExperimentResult, Error>] {
        var baselines = [(sample: TaskSample, training: TrainingResult, tested: (TestError, TestDraws)?)?](
            repeating: nil, count: experiments.count)
        for group in indexGroups(experiments, { $0.startsBaselineLike($1) }) {
            let lead = experiments[group[0]]
            let evaluators = group.map { index -> HistoryEvaluator? in
                let experiment = experiments[index]
                guard experiment.historyTestErrors else { return nil }
                return experiment.historyEvaluator(
                    experiment.testDraws(experiment.config.distribution(.two), role: .test, cache: cache))
            }
            let samples = group.map { experiments[$0].downstreamSample(cache: cache) }
            let trainings = lead.trainer.train(
                cells: samples, from: lead.freshInit(cache: cache), schedule: lead.baselineSchedule,
                evaluators: evaluators, shared: (cache, group.map { experiments[$0].drawKeys }))
            let tests = testedTogether(group.map { experiments[$0] }, trainings, cache: cache)
            for (position, index) in group.enumerated() {
                baselines[index] = (samples[position], trainings[position], tests[position])
            }
        }
        return experiments.indices.map { index in
            Result { try experiments[index].run(upstream: upstream, cache: cache, trainedBaseline: baselines[index]) }
        }
    }

    /// The test errors, with the draws they were estimated on, of `experiments`' trained baselines `trainings` that are
    /// finished small span-engine models tested by the sample estimator (``TestDraws/testsInBatches(_:)``), in one
    /// ``TestDraws/evaluate(_:_:on:keys:cache:)`` per set that shares its training and test noise (named by the draw
    /// keys) and clean test labels; nil for the others (``run(upstream:cache:trainedBaseline:)`` tests them).
    private static func testedTogether(
        _ experiments: [TransferExperiment], _ trainings: [TrainingResult], cache: DrawCache
    ) -> [(TestError, TestDraws)?] {
        var tests = [(TestError, TestDraws)?](repeating: nil, count: experiments.count)
        let tested = experiments.indices.filter { position in
            trainings[position].status == .ok && experiments[position].config.evaluation == .sample
                && TestDraws.testsInBatches(trainings[position].finalModel)
        }
        let draws = tested.map { position in
            let experiment = experiments[position]
            return experiment.testDraws(experiment.config.distribution(.two), role: .test, cache: cache)
        }
        let keys: [SpanRepresentation.Keys] = tested.map { experiments[$0].drawKeys }
        let batches = indexGroups(Array(zip(keys, draws))) { (left: (SpanRepresentation.Keys, TestDraws), right) in
            let sameLabels = left.1.points?.cleanLabels == right.1.points?.cleanLabels
            return left.0.training == right.0.training && left.0.test == right.0.test && sameLabels
        }
        for batch in batches {
            let errors = TestDraws.evaluate(
                experiments[tested[batch[0]]].config.architecture, batch.map { trainings[tested[$0]].finalModel },
                on: batch.map { draws[$0] }, keys: keys[batch[0]], cache: cache)
            for (member, error) in zip(batch, errors) { tests[tested[member]] = (error, draws[member]) }
        }
        return tests
    }

    /// Whether `other`'s baseline trains with the same trainer and schedule from the same fresh init (its training set
    /// may differ: ``GradientDescent/train(cells:from:schedule:evaluators:shared:)`` batches those that share `Ξ`).
    private func startsBaselineLike(_ other: TransferExperiment) -> Bool {
        trainerIdentity == other.trainerIdentity && drawKeys.initial == other.drawKeys.initial
            && baselineSchedule == other.baselineSchedule
    }

    /// The downstream fresh init (`downstream-init`), shared by the cells of a sweep row through `cache` (the same
    /// stream, init and sizes: ``drawKeys``' `initial`).
    private func freshInit(cache: DrawCache?) -> Parameters {
        let draw = {
            var initStream = Xoshiro256StarStar(seed: downstreamSeeds.initial)
            return config.initialization.draw(config.architecture, generator: &initStream)
        }
        return cache.map { $0.value(.freshInit(initial: drawKeys.initial), draw) } ?? draw()
    }

    /// The task-2 training set (`downstream-data`).
    private func downstreamSample(cache: DrawCache?) -> TaskSample {
        config.distribution(.two).sample(count: config.n2, seed: downstreamSeeds.data, cache: cache)
    }

    /// Stage 4's schedule: every filter stepped by `η_2` for `T_2` steps (or to the target loss).
    private var baselineSchedule: TrainingSchedule {
        var schedule = TrainingSchedule(
            stepSize: config.eta2, steps: config.steps2, filterCount: config.architecture.filterCount,
            logEvery: config.logEvery)
        schedule.targetLoss = config.targetLoss2
        schedule.recordsHistory = recordsDownstreamHistory
        return schedule
    }

    /// The transfer stage of one run by recipe (docs/model.md §11), from what the run has drawn.
    private struct TransferStage {
        let experiment: TransferExperiment
        let sample: TaskSample
        let draws: TestDraws
        /// The fresh init (the baseline's and a distillation student's start).
        let fresh: Parameters
        /// The downstream start: inherited rows from the upstream model, the rest fresh.
        let inherited: Parameters
        let inheritedRows: [Bool]
        let baselineSchedule: TrainingSchedule
        let baseline: StageOutcome

        var config: ExperimentConfig { experiment.config }

        /// §6's schedule: inherited filters frozen for `T_freeze` steps and stepped by `λ η_2` after.
        var finetuneSchedule: TrainingSchedule {
            var schedule = TrainingSchedule(
                stepSize: config.eta2, steps: config.steps2,
                rowStepScales: inheritedRows.map { $0 ? config.inheritedLrScale : 1 },
                frozenRows: inheritedRows, freezeSteps: config.freezeSteps, logEvery: config.logEvery)
            schedule.targetLoss = config.targetLoss2
            schedule.recordsHistory = experiment.recordsDownstreamHistory
            return schedule
        }

        /// Linear probing for `steps` steps: every filter and bias fixed, the head trained with step `h η_2`.
        func probeSchedule(steps: Int, head: Recipe.HeadTraining) -> TrainingSchedule {
            let rows = inheritedRows.count
            var schedule = TrainingSchedule(
                stepSize: config.eta2, steps: steps, rowStepScales: [Double](repeating: 1, count: rows),
                frozenRows: [Bool](repeating: true, count: rows), freezeSteps: steps, logEvery: config.logEvery)
            schedule.targetLoss = config.targetLoss2
            schedule.recordsHistory = experiment.recordsDownstreamHistory
            schedule.headStepScale = head.stepScale
            return schedule
        }

        /// The downstream start with a head `a = κ` or `0` (`head_init`).
        func withHead(_ head: Recipe.HeadTraining) -> Parameters {
            var start = inherited
            start.head = [Double](
                repeating: head.start == .kappa ? config.architecture.outputScale : 0, count: inheritedRows.count)
            return start
        }

        func train(_ initial: Parameters, _ schedule: TrainingSchedule) -> TrainingResult {
            experiment.trainer.train(
                from: initial, on: sample, schedule: schedule, evaluator: experiment.historyEvaluator(draws))
        }

        func tested(_ training: TrainingResult) throws -> StageOutcome {
            StageOutcome(
                training: training,
                test: try experiment.evaluate(training, on: draws, keys: nil, cache: nil))
        }

        /// The transfer stage; `teacher` receives the teacher stage of `distill` with `teacher: transfer`, `teacherLogits`
        /// the distillation teacher's `f_t(x_i)`.
        func outcome(
            upstream: Parameters?, teacher: inout StageOutcome, teacherLogits: inout [Double]?
        ) throws -> StageOutcome {
            switch config.recipe {
            case .finetune:
                return try tested(train(inherited, finetuneSchedule))
            case .l2sp(let strength):
                var schedule = finetuneSchedule
                schedule.anchorStrength = strength
                schedule.anchoredRows = inheritedRows
                return try tested(train(inherited, schedule))
            case .linearProbe(let head):
                return try tested(train(withHead(head), probeSchedule(steps: config.steps2, head: head)))
            case .lpFt(let head, let probeSteps):
                return try tested(lpFt(head: head, probeSteps: probeSteps))
            case .lora(let settings):
                var stream = Xoshiro256StarStar(seed: config.streamSeed(.loraInit))
                var schedule = baselineSchedule
                schedule.adapter = LowRankAdapter.draw(
                    config.architecture, rank: settings.rank, scale: settings.resolvedScale,
                    initScale: settings.resolvedInitScale(dimension: config.d), generator: &stream)
                return try tested(train(inherited, schedule))
            case .distill(let settings):
                let teacherModel: Parameters
                switch settings.teacher {
                case .upstream:
                    guard let upstream else {
                        throw ConfigError(
                            key: "recipe", "distill needs the upstream model as its teacher, and none was trained")
                    }
                    teacherModel = upstream
                case .transfer:
                    // The finetune transfer model (the baseline itself when nothing is inherited).
                    teacher = upstream == nil ? baseline : try tested(train(inherited, finetuneSchedule))
                    guard let model = teacher.training, model.status == .ok else { return .skipped }
                    teacherModel = model.final
                }
                var schedule = baselineSchedule
                let logits = Forward(architecture: config.architecture, parameters: teacherModel, sample: sample)
                    .outputs
                teacherLogits = logits
                schedule.distillation = Distillation(
                    teacherLogits: logits, weight: settings.weight, temperature: settings.temperature)
                return try tested(train(fresh, schedule))
            }
        }

        /// `lp-ft`: linear probing for `T_p` steps, then filters (as §6, `T_freeze` counted from here) and head together
        /// for `T_2` steps. One result: the probe's start, the history of both phases (the second's steps counted after
        /// the first's), the fine-tuning phase's decomposition (the filters do not move while probing), steps of both;
        /// a target loss reached while probing ends the stage there.
        func lpFt(head: Recipe.HeadTraining, probeSteps: Int) -> TrainingResult {
            let probe = train(withHead(head), probeSchedule(steps: probeSteps, head: head))
            guard probe.status == .ok, probe.converged != true else { return probe }
            var schedule = finetuneSchedule
            schedule.headStepScale = head.stepScale
            let tune = train(probe.final, schedule)
            let history =
                probe.history.dropLast()
                + tune.history.map { record in
                    var shifted = record
                    shifted.step += probe.steps
                    return shifted
                }
            return TrainingResult(
                initial: probe.initial, final: FinalModel(tune.final), decomposition: tune.decomposition,
                history: Array(history), status: tune.status, trainLoss: tune.trainLoss, trainError: tune.trainError,
                steps: probe.steps + tune.steps,
                converged: tune.converged, signalNoiseRatio: tune.signalNoiseRatio,
                rhoBarMax: tune.rhoBarMax)
        }
    }

    // MARK: - Helpers

    fileprivate var trainer: GradientDescent {
        GradientDescent(
            architecture: config.architecture, alignmentDirections: config.signals.alignmentDirections,
            engine: config.engine)
    }

    /// The evaluator of ``historyTestErrors`` on `draws`, or nil when it is off. A `LAPACKError` (`dsyevd` of the
    /// finite, symmetric test covariance not converging) leaves that step's history test error empty rather than
    /// stopping the training it observes; `TrainingRun` evaluates only finite filters (non-finite ones have made the
    /// run `diverged`), and the final evaluation, where the error would reach the row, throws.
    fileprivate func historyEvaluator(_ draws: TestDraws) -> HistoryEvaluator? {
        guard historyTestErrors else { return nil }
        let architecture = config.architecture
        return { try? draws.evaluate(architecture, FinalModel($0)) }
    }

    private func testDraws(
        _ distribution: TaskDistribution, role: StreamSeed.Role, cache: DrawCache? = nil
    ) -> TestDraws {
        let count = config.evaluation == .sample ? config.nTest : config.populationDraws
        return TestDraws(
            distribution: distribution, method: config.evaluation, count: count,
            filterCount: config.architecture.filterCount,
            seed: role == .test ? downstreamSeeds.test : config.streamSeed(role),
            cache: cache)
    }

    /// The test error of a finished run; `nil` for a diverged one (its filters are not finite). A span-engine
    /// run is evaluated through its span representation (`keys` let a sweep row share the products).
    fileprivate func evaluate(
        _ training: TrainingResult, on draws: TestDraws, keys: SpanRepresentation.Keys?, cache: DrawCache?
    ) throws -> TestError? {
        guard training.status == .ok else { return nil }
        return try draws.evaluate(config.architecture, training.finalModel, keys: keys, cache: cache)
    }
}
