import TransferSimCore

/// One result column of a run's `summary.json` and a sweep's `results.csv` (docs/outputs.md): its name, its meaning
/// and how it is read from an ``ExperimentResult``. ``ExperimentResult/columns`` is the one table of them: the names,
/// the values, the CSV header and the documentation's table (`transfersim keys --columns`) all come from it, so a
/// metric is added in one place.
package struct OutputColumn: Sendable {
    /// What the column holds.
    package enum Kind: Sendable, Equatable {
        /// A stage's status (`ok`, `diverged`, `skipped`; `error` for a sweep row that threw).
        case status
        /// Another text column (`<stage>_converged`).
        case label
        /// A number (empty or `null` where undefined).
        case metric
    }

    /// The column name.
    package let name: String
    /// What it means, for docs/outputs.md.
    package let meaning: String
    /// Status, label or metric.
    package let kind: Kind
    /// The stage a per-stage column (`<stage>_…`) reports on; nil for the others.
    package private(set) var stage: Stage?
    /// The text of a status or label column.
    let text: @Sendable (ExperimentResult) -> String
    /// The value of a metric column (NaN where it has none).
    let number: @Sendable (ExperimentResult) -> Double

    /// A status or label column.
    init(_ name: String, _ kind: Kind, _ meaning: String, text: @escaping @Sendable (ExperimentResult) -> String) {
        (self.name, self.kind, self.meaning, self.text, number) = (name, kind, meaning, text, { _ in .nan })
    }

    /// A metric column.
    init(_ name: String, _ meaning: String, number: @escaping @Sendable (ExperimentResult) -> Double) {
        (self.name, kind, self.meaning, self.number, text) = (name, .metric, meaning, number, { _ in "" })
    }

    /// The per-stage columns of every stage, in output order: each stage's status, then each stage's `converged`
    /// (the label columns), then each stage's ``StageOutcome/metricColumns``.
    static func stageColumns() -> (labels: [OutputColumn], metrics: [OutputColumn]) {
        let statuses = Stage.allCases.map { stage in
            OutputColumn(
                stage: stage, "\(stage.rawValue)_status", .status,
                "`ok`, `diverged` (a training output exceeded 10¹⁰⁰ in magnitude, or a parameter became NaN/±∞) or `skipped` (upstream when α = 0; teacher unless `distill` with `teacher: transfer`); `error` in a sweep row whose computation threw"
            ) { $0.outcome(stage).status.rawValue }
        }
        let converged = Stage.allCases.map { stage in
            OutputColumn(
                stage: stage, "\(stage.rawValue)_converged", .label,
                "with a target loss (docs/model.md §12): `true` when the stage reached ε, `false` when it ran to its step cap (or diverged) without; empty when no target was set or the stage was skipped"
            ) { $0.outcome(stage).converged }
        }
        let metrics = Stage.allCases.flatMap { stage in
            StageOutcome.metricColumns.map { column in
                OutputColumn(stage: stage, "\(stage.rawValue)_\(column.suffix)", column.meaning) {
                    column.value($0.outcome(stage)) ?? .nan
                }
            }
        }
        return (statuses + converged, metrics)
    }

    /// A per-stage status or label column of `stage`.
    private init(
        stage: Stage, _ name: String, _ kind: Kind, _ meaning: String,
        text: @escaping @Sendable (ExperimentResult) -> String
    ) {
        self.init(name, kind, meaning, text: text)
        self.stage = stage
    }

    /// A per-stage metric column.
    private init(
        stage: Stage, _ name: String, _ meaning: String, number: @escaping @Sendable (ExperimentResult) -> Double
    ) {
        self.init(name, meaning, number: number)
        self.stage = stage
    }
}
