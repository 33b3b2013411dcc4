import TransferSimCore
import TransferSimFiles

/// The kind of ``SweepError``.
package enum Sweeps: ErrorKind {}

/// A sweep, merge or Slurm job that cannot go on: a directory holding another sweep or results version,
/// missing rows, an invalid scheduler option, a failed submission.
package typealias SweepError = LayerError<Sweeps>
