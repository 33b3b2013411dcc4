import TransferSimCore

/// A fit that cannot be made (too few or one-sided cells) or did not converge.
public struct FitError: KeyedError, Equatable {
    /// What was being fitted, e.g. `boundary`.
    public let key: String
    /// What is wrong.
    public let message: String

    /// An error about the fit `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }
}
