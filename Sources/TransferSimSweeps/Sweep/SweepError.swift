import TransferSimCore

/// The kind of ``SweepError``.
public enum Sweeps: ErrorKind {}

/// A sweep, merge or Slurm job that cannot go on: a directory holding another sweep or results version,
/// missing rows, an invalid scheduler option, a failed submission.
public typealias SweepError = LayerError<Sweeps>
