import TransferSimCore

/// Everything one ``TransferExperiment`` produced.
public struct ExperimentResult: Sendable {
    /// The config that ran.
    public let config: ExperimentConfig
    /// Task-1 training set (`nil` when the upstream stage was skipped).
    package let upstreamSample: TaskSample?
    /// Task-2 training set, shared by transfer and baseline.
    package let downstreamSample: TaskSample
    /// Which parameters were inherited (`nil` when the upstream stage was skipped).
    package let mask: InheritanceMask?
    /// Upstream stage on task 1.
    package let upstream: StageOutcome
    /// Transfer stage on task 2.
    package let transfer: StageOutcome
    /// Baseline stage on task 2.
    package let baseline: StageOutcome
    /// The teacher of `distill` with `teacher: transfer` (docs/model.md §11); skipped otherwise.
    package var teacher: StageOutcome = .skipped
    /// `f_t(x_i)` of the distillation teacher on the task-2 training inputs (recipe `distill`), else nil.
    public var teacherLogits: [Double]?

    /// The outcome of `stage`.
    package func outcome(_ stage: Stage) -> StageOutcome {
        switch stage {
        case .upstream: return upstream
        case .transfer: return transfer
        case .baseline: return baseline
        case .teacher: return teacher
        }
    }

    /// The result columns, in output order (docs/outputs.md, `transfersim keys --columns`): each stage's status and
    /// `converged`, each stage's ``StageOutcome/metricColumns``, `transfer_gain` (transfer − baseline test accuracy;
    /// negative is negative transfer) and the §8 statistics of ``TheoryStatistic/all``. The one table of outputs.
    package static let columns: [OutputColumn] = {
        let (labels, metrics) = OutputColumn.stageColumns()
        let gain = OutputColumn(
            "transfer_gain", "`transfer_test_accuracy − baseline_test_accuracy` (negative: negative transfer)"
        ) {
            ($0.transfer.test?.accuracy ?? .nan) - ($0.baseline.test?.accuracy ?? .nan)
        }
        let statistics = TheoryStatistic.all.map { statistic in
            OutputColumn(statistic.name, statistic.meaning) { statistic.value($0.config) }
        }
        return labels + metrics + [gain] + statistics
    }()

    /// The metric columns of ``columns``.
    package static let metricColumns = columns.filter { $0.kind == .metric }
    /// The status and label columns of ``columns``.
    package static let labelColumns = columns.filter { $0.kind != .metric }

    /// Every metric column name, in ``metrics`` order.
    public static let metricNames = metricColumns.map(\.name)
    /// The `<stage>_status` column names.
    public static let statusNames = columns.filter { $0.kind == .status }.map(\.name)
    /// The text columns: `<stage>_status` for each stage, then `<stage>_converged` (docs/model.md §12).
    public static let labelNames = labelColumns.map(\.name)

    /// The result metrics with their column names, in output order.
    public var metrics: [(key: String, value: Double)] {
        Self.metricColumns.map { ($0.name, $0.number(self)) }
    }

    /// The values of ``metrics`` alone (a results row's).
    public var metricValues: [Double] { Self.metricColumns.map { $0.number(self) } }

    /// The values of ``labelNames``.
    public var labels: [(key: String, value: String)] { Self.labelColumns.map { ($0.name, $0.text(self)) } }

    /// `<stage>_status` for each stage.
    public var statuses: [(key: String, value: String)] {
        Self.columns.filter { $0.kind == .status }.map { ($0.name, $0.text(self)) }
    }
}
