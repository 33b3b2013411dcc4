import TransferSimCore

/// The kind of ``FitError``.
public enum Fitting: ErrorKind {}

/// A fit that cannot be made (too few or one-sided cells); the key names what was being fitted.
public typealias FitError = LayerError<Fitting>
