import TransferSimCore

/// A figure that cannot be drawn from the results at hand (wrong dimensions, missing or malformed files).
public struct PlotError: KeyedError, Equatable {
    /// The figure or file at fault.
    public let key: String
    /// What is wrong and what to do.
    public let message: String

    /// An error about `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }
}
