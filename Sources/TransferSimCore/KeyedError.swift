/// An error that names what is wrong — a key, an option, a file — and says what is allowed: rendered as the
/// one line `<key>: <message>` (the CLI prefixes `error: `).
///
/// Each layer throws its own type: ``LAPACKError`` here, and one ``LayerError`` per layer above
/// (`ConfigError` and `FitError` in the experiment layer, `FileError` and `SweepError` in the sweep layer,
/// `PlotError` in plots); errors of a lower layer pass through unchanged.
public protocol KeyedError: Error, CustomStringConvertible, Sendable {
    /// The offending key, option or file, as the user wrote it.
    var key: String { get }
    /// What is wrong and what is allowed.
    var message: String { get }
}

extension KeyedError {
    /// `<key>: <message>`.
    public var description: String { "\(key): \(message)" }
}

/// Marks the kind of a ``LayerError`` (an empty enum per kind), so that each kind is a type of its own.
public protocol ErrorKind: Sendable {}

/// A ``KeyedError`` of one kind: `LayerError<Configuration>` is `ConfigError`, and so on. One definition
/// serves every layer; the kind keeps them apart for `catch` and for tests.
public struct LayerError<Kind: ErrorKind>: KeyedError, Equatable {
    /// The offending key, option or file, as the user wrote it.
    public let key: String
    /// What is wrong and what is allowed.
    public let message: String

    /// An error about `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }
}
