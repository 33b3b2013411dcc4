/// An error that names what is wrong — a key, an option, a file — and says what is allowed: rendered as the
/// one line `<key>: <message>` (the CLI prefixes `error: `).
///
/// Each layer throws its own conforming type (``LAPACKError`` here; `ConfigError` and `FitError` in the
/// experiment layer, `FileError` and `SweepError` in the sweep layer, `PlotError` in plots); errors of a
/// lower layer pass through unchanged.
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
