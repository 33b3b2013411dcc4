import TransferSimCore

/// A configuration or input error: one line naming the key and the allowed range.
public struct ConfigError: KeyedError, Equatable {
    /// The offending key (or config file), as the user wrote it.
    public let key: String
    /// What is wrong and what is allowed.
    public let message: String

    /// An error about `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }
}
