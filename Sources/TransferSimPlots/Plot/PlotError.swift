import TransferSimCore

/// The kind of ``PlotError``.
public enum Plotting: ErrorKind {}

/// A figure that cannot be drawn from the results at hand (wrong dimensions, missing or malformed files).
public typealias PlotError = LayerError<Plotting>
