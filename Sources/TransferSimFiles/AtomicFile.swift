import Foundation
import TransferSimCore

/// Whole-file writes that never leave a half-written file: write a hidden temporary sibling, then
/// `rename(2)` it over the target (atomic on one file system).
package enum AtomicFile {
    /// Writes `text` to `url` atomically.
    ///
    /// - Throws: ``FileError`` naming the file on an I/O failure.
    package static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Writes `data` to `url` atomically.
    ///
    /// - Throws: ``FileError`` naming the file on an I/O failure.
    package static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try writeDirectly(data, to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw FileError(key: url.path, "cannot write: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary.path)
            throw error
        }
    }

    /// Checks, before a long computation, that ``write(_:to:)-(String,_)`` will be able to put a file at `path`: it names a
    /// file (not a directory) in an existing folder this process may write.
    ///
    /// - Throws: ``FileError`` with key `option` (the command-line option that named the file) otherwise.
    package static func checkDestination(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw FileError(key: option, "must name a file, got ''") }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw FileError(key: option, "'\(url.path)' is a directory, not a file")
        }
        let folder = url.deletingLastPathComponent().path
        guard access(folder, W_OK) == 0 else {
            throw FileError(key: option, "cannot write in '\(folder)': \(String(cString: strerror(errno)))")
        }
    }

    /// Creates (or truncates) `url` and writes `data` with `open`/`write(2)`, no temporary file of its own.
    ///
    /// Foundation's `Data.write(to:)` on Linux goes through a hidden `.dat.nosync…` file that a kill leaves behind
    /// under a name no TransferSim command recognises; every file TransferSim writes goes through this instead.
    ///
    /// - Throws: ``FileError`` naming the file and the system's reason.
    package static func writeDirectly(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(key: url.path, "cannot write: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else {
                    throw FileError(key: url.path, "cannot write: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }
}

/// A file written piece by piece into a hidden temporary sibling and renamed over the target by
/// ``commit()``, for outputs too large to build in memory (a finished sweep's `results.csv`).
package final class StreamingFile {
    let url: URL
    private let temporary: URL
    private let handle: FileHandle
    /// Bytes not yet written (an array: appending a string's UTF-8 to `Data` went byte by byte, a tenth of finishing
    /// the Kou grid's `results.csv`).
    private var buffer: [UInt8] = []

    package init(_ url: URL) throws {
        self.url = url
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(key: url.path, "cannot write: \(String(cString: strerror(errno)))") }
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    package func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        do { try handle.write(contentsOf: buffer) } catch {
            throw FileError(key: url.path, "cannot write: \(error.localizedDescription)")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, closes, and renames the file into place.
    package func commit() throws {
        try flush()
        try? handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw FileError(key: url.path, "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }
}
