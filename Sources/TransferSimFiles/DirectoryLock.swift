import Foundation
import TransferSimCore

/// An exclusive kernel advisory lock (`flock(2)`) on an output directory, held for a command's life.
///
/// The lock is taken on a hidden file beside the directory, `.<name>.lock` in its parent, so that it
/// outlives the directory being created, replaced or renamed. The kernel drops the lock when the process
/// ends however it ends (`kill -9` included), so a stale lock never blocks a later command; the file holds
/// the owner's pid for the error message and is removed on ``release()``. A second process asking for the
/// same directory fails at once, having written nothing.
///
/// Removing the file on release races with a process that opened it just before: after `flock` succeeds
/// the holder checks that the path still names the file it locked (same device and inode) and retries
/// otherwise, so two processes never both hold the lock.
package final class DirectoryLock: @unchecked Sendable {
    /// The locked directory.
    package let directory: URL
    /// The lock file, `.<name>.lock` beside ``directory``.
    package let file: URL
    private var descriptor: Int32
    private let mutex = NSLock()
    /// Releases the lock on SIGINT/SIGTERM (``Interruption``) at any instant of its life, whatever the command does.
    private var interruption: Interruption.Token?

    /// Takes the lock on `directory` (its parent must exist).
    ///
    /// - Parameter key: the option the error names (`--out`).
    /// - Throws: ``FileError`` `"<key>: DIR is in use by another transfersim process (pid N)"` if another
    ///   process holds it, or if the lock file cannot be created.
    package init(_ directory: URL, key: String) throws {
        self.directory = directory
        file = Self.lockFile(for: directory)
        descriptor = -1
        // The file created and its release registered with no interruption between (``Interruption/critical(_:)``).
        try Interruption.critical {
            descriptor = try Self.take(file, directory: directory, key: key)
            interruption = Interruption.register { [weak self] in
                self?.release()
                return nil
            }
        }
    }

    /// Opens (creating) and locks `file`, writes this process's pid into it and returns its descriptor.
    private static func take(_ file: URL, directory: URL, key: String) throws -> Int32 {
        while true {
            let fd = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw FileError(
                    key: key,
                    "cannot lock '\(directory.path)' (\(String(cString: strerror(errno))) creating \(file.lastPathComponent))"
                )
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let busy = errno == EWOULDBLOCK
                let reason = String(cString: strerror(errno))
                // The holder writes its pid right after locking: give it a moment.
                var owner = readOwner(fd)
                for _ in 0..<20 where owner == nil {
                    usleep(5_000)
                    owner = readOwner(fd)
                }
                close(fd)
                guard busy else { throw FileError(key: key, "cannot lock '\(directory.path)': \(reason)") }
                throw FileError(
                    key: key,
                    "\(directory.path) is in use by another transfersim process (pid \(owner.map(String.init) ?? "unknown"))"
                )
            }
            var opened = stat(), named = stat()
            if fstat(fd, &opened) == 0, stat(file.path, &named) == 0, opened.st_dev == named.st_dev,
                opened.st_ino == named.st_ino
            {
                let text = "\(getpid())\n"
                _ = ftruncate(fd, 0)
                _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
                return fd
            }
            close(fd)  // The holder removed the file between our open and flock: lock the new one.
        }
    }

    /// Removes the lock file and releases the lock. Idempotent; also done on deinit and by process exit.
    package func release() {
        mutex.lock()
        defer { mutex.unlock() }
        guard descriptor >= 0 else { return }
        if let interruption { Interruption.unregister(interruption) }
        unlink(file.path)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    /// `.<name>.lock` in the parent of `directory`.
    package static func lockFile(for directory: URL) -> URL {
        directory.deletingLastPathComponent().appendingPathComponent(".\(directory.lastPathComponent).lock")
    }

    private static func readOwner(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
