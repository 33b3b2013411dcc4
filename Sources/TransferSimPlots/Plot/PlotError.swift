import TransferSimAnalysis
import TransferSimCore
import TransferSimFiles
import TransferSimSweeps

/// The kind of ``PlotError``.
package enum Plotting: ErrorKind {}

/// A figure that cannot be drawn from the results at hand (wrong dimensions, missing or malformed files).
package typealias PlotError = LayerError<Plotting>
