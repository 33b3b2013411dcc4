import TransferSimCore

/// The kind of ``FitError``.
package enum Fitting: ErrorKind {}

/// A fit that cannot be made (too few or one-sided cells); the key names what was being fitted.
package typealias FitError = LayerError<Fitting>
