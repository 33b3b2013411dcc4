import TransferSimCore

/// A file or directory that cannot be read, written, locked or replaced (`docs/reliability.md`).
public struct FileError: KeyedError, Equatable {
    /// The option (`--out`) or the file's path.
    public let key: String
    /// What is wrong and what to do.
    public let message: String

    /// An error about `key`.
    public init(key: String, _ message: String) {
        self.key = key
        self.message = message
    }
}
