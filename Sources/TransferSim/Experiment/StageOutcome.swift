/// The three stages of one transfer experiment (MODEL.md §6).
public enum Stage: String, Sendable, CaseIterable {
    /// Training on task 1 from a fresh init.
    case upstream
    /// Fine-tuning on task 2 from the inherited init.
    case transfer
    /// Training on task 2 from the same fresh init without inheritance ("w/o PT").
    case baseline
}

/// What one stage produced: its training run (absent when skipped) and its test error.
public struct StageOutcome: Sendable {
    /// The training run; `nil` when the stage was skipped.
    public let training: TrainingResult?
    /// Test error on the stage's task; `nil` when skipped or diverged.
    public let test: TestError?

    /// A skipped stage.
    public static let skipped = StageOutcome(training: nil, test: nil)

    /// `ok`, `diverged` or `skipped`.
    public var status: RunStatus { training?.status ?? .skipped }

    /// The metric columns `<stage>_train_loss`, `_train_error`, `_test_error`, `_clean_test_error`,
    /// `_clean_test_error_se`, `_test_accuracy` (CONFIG.md); NaN where the stage has no value.
    public func metrics(_ stage: Stage) -> [(key: String, value: Double)] {
        let name = stage.rawValue
        return [
            ("\(name)_train_loss", training?.trainLoss ?? .nan),
            ("\(name)_train_error", training?.trainError ?? .nan),
            ("\(name)_test_error", test?.error ?? .nan),
            ("\(name)_clean_test_error", test?.cleanError ?? .nan),
            ("\(name)_clean_test_error_se", test?.cleanStandardError ?? .nan),
            ("\(name)_test_accuracy", test?.accuracy ?? .nan),
        ]
    }
}
