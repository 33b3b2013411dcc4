import TransferSimCore

/// The stages of one transfer experiment (docs/model.md §6), and the teacher of `distill` with `teacher: transfer` (§11).
package enum Stage: String, Sendable, CaseIterable {
    /// Training on task 1 from a fresh init.
    case upstream
    /// Fine-tuning on task 2 from the inherited init.
    case transfer
    /// Training on task 2 from the same fresh init without inheritance ("w/o PT").
    case baseline
    /// The `finetune` transfer model that teaches `distill` with `teacher: transfer` (§11); skipped otherwise.
    case teacher
}

/// What one stage produced: its training run (absent when skipped) and its test error.
package struct StageOutcome: Sendable {
    /// The training run; `nil` when the stage was skipped.
    package let training: TrainingResult?
    /// Test error on the stage's task; `nil` when skipped or diverged.
    package let test: TestError?

    /// A stage from its parts.
    package init(training: TrainingResult?, test: TestError?) {
        self.training = training
        self.test = test
    }

    /// A skipped stage.
    package static let skipped = StageOutcome(training: nil, test: nil)

    /// `ok`, `diverged` or `skipped`.
    package var status: RunStatus { training?.status ?? .skipped }

    /// The metric columns of a stage, `<stage>_<suffix>`, in output order: the one table of what a stage reports
    /// (``OutputColumn/stageColumns()``); `value` is nil where the stage has none (skipped, diverged, `lora`'s `γ`/`ρ`).
    package static let metricColumns: [(suffix: String, meaning: String, value: @Sendable (StageOutcome) -> Double?)] = [
        (
            "train_loss", "final training loss `L(W⁽ᵀ⁾)` on the stage's training set (observed labels)",
            { $0.training?.trainLoss }
        ),
        ("train_error", "final training error against observed labels", { $0.training?.trainError }),
        ("test_error", "test error against noisy labels (Bayes-optimal `p`)", { $0.test?.error }),
        ("clean_test_error", "test error against clean labels (Bayes-optimal 0)", { $0.test?.cleanError }),
        ("clean_test_error_se", "Monte-Carlo standard error of the clean test error", { $0.test?.cleanStandardError }),
        ("test_accuracy", "`1 − <stage>_test_error`", { $0.test?.accuracy }),
        (
            "steps",
            "gradient-descent steps the stage took: `T`, or the first step whose training loss was ≤ ε, or the step at which it diverged",
            { $0.training.map { Double($0.steps) } }
        ),
        (
            "signal_noise_ratio",
            "for the filter attaining `max_{j,r} γ_{j,r}`, `γ_{j,r} / Σ_{i: y_i = j} ρ̄_{j,r,i}` at the end of the stage (§5); empty when that sum is 0 and for `lora`",
            { $0.training?.signalNoiseRatio }
        ),
        (
            "rho_bar_max",
            "`max ρ̄ = max_{j = y_i} max(ρ_{j,r,i}, 0)` at the end of the stage (noise memorised, §5; the proofs bound it by `4 log T`); empty for `lora`",
            { $0.training?.rhoBarMax }
        ),
    ]

    /// The stage's metrics (``metricColumns``) with their column names; NaN where the stage has no value.
    package func metrics(_ stage: Stage) -> [(key: String, value: Double)] {
        Self.metricColumns.map { ("\(stage.rawValue)_\($0.suffix)", $0.value(self) ?? .nan) }
    }

    /// `<stage>_converged` (docs/model.md §12): `true` when the target loss was reached, `false` when not, empty when no
    /// target was set or the stage was skipped.
    package var converged: String {
        training?.converged.map { $0 ? "true" : "false" } ?? ""
    }
}
