import TransferSimCore

/// Everything one ``TransferExperiment`` produced.
public struct ExperimentResult: Sendable {
    /// The config that ran.
    public let config: ExperimentConfig
    /// Task-1 training set (`nil` when the upstream stage was skipped).
    public let upstreamSample: TaskSample?
    /// Task-2 training set, shared by transfer and baseline.
    public let downstreamSample: TaskSample
    /// Which parameters were inherited (`nil` when the upstream stage was skipped).
    public let mask: InheritanceMask?
    /// Upstream stage on task 1.
    public let upstream: StageOutcome
    /// Transfer stage on task 2.
    public let transfer: StageOutcome
    /// Baseline stage on task 2.
    public let baseline: StageOutcome
    /// The teacher of `distill` with `teacher: transfer` (docs/model.md §11); skipped otherwise.
    public var teacher: StageOutcome = .skipped
    /// `f_t(x_i)` of the distillation teacher on the task-2 training inputs (recipe `distill`), else nil.
    public var teacherLogits: [Double]?

    /// The outcome of `stage`.
    public func outcome(_ stage: Stage) -> StageOutcome {
        switch stage {
        case .upstream: return upstream
        case .transfer: return transfer
        case .baseline: return baseline
        case .teacher: return teacher
        }
    }

    /// The result metrics with the CSV column names of docs/config.md, in output order: per stage the
    /// ``StageOutcome/metrics(_:)``, then `transfer_gain` (= transfer − baseline test accuracy; negative
    /// is negative transfer) and the §8 statistics of ``TheoryStatistic/all`` (`kou_stat_1`, `kou_stat_2`,
    /// `transfer_stat`, `inherited_strength`).
    public var metrics: [(key: String, value: Double)] {
        Array(zip(Self.metricNames, metricValues))
    }

    /// The values of ``metrics`` alone (a results row's).
    public var metricValues: [Double] {
        let gain = (transfer.test?.accuracy ?? .nan) - (baseline.test?.accuracy ?? .nan)
        return Stage.allCases.flatMap { outcome($0).metricValues } + [gain] + TheoryStatistic.all.map { $0.value(config) }
    }

    /// Every metric column name, in ``metrics`` order.
    public static let metricNames = Stage.allCases.flatMap(StageOutcome.metricNames) + ["transfer_gain"] + TheoryStatistic.all.map(\.name)

    /// The `<stage>_status` column names.
    public static let statusNames = Stage.allCases.map { "\($0.rawValue)_status" }

    /// The text columns: `<stage>_status` for each stage, then `<stage>_converged` (docs/model.md §12).
    public static let labelNames = statusNames + Stage.allCases.map { "\($0.rawValue)_converged" }

    /// The values of ``labelNames``.
    public var labels: [(key: String, value: String)] {
        statuses + zip(Self.labelNames.dropFirst(Self.statusNames.count), Stage.allCases).map { ($0, outcome($1).converged) }
    }

    /// `<stage>_status` for each stage.
    public var statuses: [(key: String, value: String)] {
        zip(Self.statusNames, Stage.allCases).map { ($0, outcome($1).status.rawValue) }
    }
}
