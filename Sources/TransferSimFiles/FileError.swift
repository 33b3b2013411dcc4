import TransferSimCore

/// The kind of ``FileError``.
package enum Files: ErrorKind {}

/// A file or directory that cannot be read, written, locked or replaced (`docs/reliability.md`); the key is
/// the option (`--out`) or the file's path.
package typealias FileError = LayerError<Files>
