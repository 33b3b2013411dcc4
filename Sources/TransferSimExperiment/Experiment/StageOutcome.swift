import TransferSimCore

/// The stages of one transfer experiment (docs/model.md §6), and the teacher of `distill` with `teacher: transfer` (§11).
public enum Stage: String, Sendable, CaseIterable {
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
public struct StageOutcome: Sendable {
    /// The training run; `nil` when the stage was skipped.
    public let training: TrainingResult?
    /// Test error on the stage's task; `nil` when skipped or diverged.
    public let test: TestError?

    /// A stage from its parts.
    package init(training: TrainingResult?, test: TestError?) {
        self.training = training
        self.test = test
    }

    /// A skipped stage.
    public static let skipped = StageOutcome(training: nil, test: nil)

    /// `ok`, `diverged` or `skipped`.
    public var status: RunStatus { training?.status ?? .skipped }

    /// The metric columns `<stage>_train_loss`, `_train_error`, `_test_error`, `_clean_test_error`,
    /// `_clean_test_error_se`, `_test_accuracy` (docs/config.md), `_steps` (§12), `_signal_noise_ratio`
    /// (``TrainingResult/signalNoiseRatio``), `_rho_bar_max` (``TrainingResult/rhoBarMax``); NaN where the stage has no value.
    public func metrics(_ stage: Stage) -> [(key: String, value: Double)] {
        Array(zip(Self.metricNames(stage), metricValues))
    }

    /// The values of ``metrics(_:)`` alone.
    public var metricValues: [Double] {
        [training?.trainLoss, training?.trainError, test?.error, test?.cleanError, test?.cleanStandardError, test?.accuracy,
         training.map { Double($0.steps) }, training?.signalNoiseRatio, training?.rhoBarMax].map { $0 ?? .nan }
    }

    /// `<stage>_converged` (docs/model.md §12): `true` when the target loss was reached, `false` when not, empty when no
    /// target was set or the stage was skipped.
    public var converged: String {
        training?.converged.map { $0 ? "true" : "false" } ?? ""
    }

    /// The metric column names of `stage`, in ``metrics(_:)`` order.
    public static func metricNames(_ stage: Stage) -> [String] {
        ["train_loss", "train_error", "test_error", "clean_test_error", "clean_test_error_se", "test_accuracy", "steps", "signal_noise_ratio", "rho_bar_max"]
            .map { "\(stage.rawValue)_\($0)" }
    }
}
