import Foundation

/// Whole-file writes that never leave a half-written file: write a hidden temporary sibling, then
/// `rename(2)` it over the target (atomic on one file system).
public enum AtomicFile {
    /// Writes `text` to `url` atomically.
    ///
    /// - Throws: ``ConfigError`` naming the file on an I/O failure.
    public static func write(_ text: String, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try Data(text.utf8).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw ConfigError(key: url.path, String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ConfigError(key: url.path, "cannot write: \(error.localizedDescription)")
        }
    }
}
