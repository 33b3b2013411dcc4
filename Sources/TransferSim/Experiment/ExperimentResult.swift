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

    /// The outcome of `stage`.
    public func outcome(_ stage: Stage) -> StageOutcome {
        switch stage {
        case .upstream: return upstream
        case .transfer: return transfer
        case .baseline: return baseline
        }
    }

    /// The result metrics with the CSV column names of CONFIG.md, in output order: per stage the
    /// ``StageOutcome/metrics(_:)``, then `transfer_gain` (= transfer − baseline test accuracy; negative
    /// is negative transfer), `kou_stat_1`, `kou_stat_2` (S_k of §8) and `inherited_strength` (Λ).
    public var metrics: [(key: String, value: Double)] {
        let c = config
        var result = Stage.allCases.flatMap { outcome($0).metrics($0) }
        let gain = (transfer.test?.accuracy ?? .nan) - (baseline.test?.accuracy ?? .nan)
        result.append(("transfer_gain", gain))
        result.append(("kou_stat_1", PhaseStatistics.kou(sampleSize: c.n1, muNorm: c.signals.muNorm(.one), noiseLevel: c.sigmaP1, dimension: c.d)))
        result.append(("kou_stat_2", PhaseStatistics.kou(sampleSize: c.n2, muNorm: c.signals.muNorm(.two), noiseLevel: c.sigmaP2, dimension: c.d)))
        result.append(("inherited_strength", PhaseStatistics.inheritedStrength(alpha: c.alpha, n1: c.n1, uNorm: c.uNorm, noiseLevel1: c.sigmaP1, dimension: c.d)))
        return result
    }

    /// Every metric column name, in ``metrics`` order.
    public static let metricNames = Stage.allCases.flatMap(StageOutcome.metricNames) + ["transfer_gain", "kou_stat_1", "kou_stat_2", "inherited_strength"]

    /// The `<stage>_status` column names.
    public static let statusNames = Stage.allCases.map { "\($0.rawValue)_status" }

    /// `<stage>_status` for each stage.
    public var statuses: [(key: String, value: String)] {
        zip(Self.statusNames, Stage.allCases).map { ($0, outcome($1).status.rawValue) }
    }
}
