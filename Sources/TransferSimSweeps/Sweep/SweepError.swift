import TransferSimCore

/// A sweep, merge or Slurm job that cannot go on: a directory holding another sweep or results version,
/// missing rows, an invalid scheduler option, a failed submission.
public struct SweepError: KeyedError, Equatable {
    /// The option or directory at fault.
    public let key: String
    /// What is wrong and what to do.
    public let message: String

    /// An error about `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }
}
