import TransferSimCore

/// The kind of ``ConfigError``.
public enum Configuration: ErrorKind {}

/// A configuration or input error: one line naming the key (or config file) and the allowed range.
public typealias ConfigError = LayerError<Configuration>
