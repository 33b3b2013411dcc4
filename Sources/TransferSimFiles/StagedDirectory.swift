import Foundation
import TransferSimCore

/// An output directory written all-or-nothing, under a ``DirectoryLock``.
///
/// Files go into a hidden sibling `.<name>.partial-<pid>`; ``commit()`` puts it in place in one step: a new
/// destination by `rename(2)`, an existing one by `renameat2(RENAME_EXCHANGE)`, which swaps the two
/// directories atomically (the old output, now at the staging path, is then removed). At every instant the
/// destination is the old or the new output. Where the file system cannot exchange, the old output is first
/// renamed to `.<name>.old-<pid>`; a kill between the two renames leaves no destination, and the next command
/// on the same path moves the old output back (``recoverInterruptedReplacement(of:)``).
///
/// An existing non-empty destination is replaced only when the writer says it may be (`run --force`: it holds nothing
/// but a run's output); `/`, the home and working directories are never
/// replaced. If the run fails, ``discard()`` removes the staging directory and the parent directories it
/// created (when still empty).
package final class StagedDirectory {
    /// The final directory.
    package let destination: URL
    /// Where files are written until ``commit()``.
    package let staging: URL
    private let lock: DirectoryLock
    private let ownsLock: Bool
    private var createdParents: [URL] = []
    private var finished = false
    private var interruption: Interruption.Token?

    /// Prepares staging next to `path`, taking the directory's lock (or using `lock`, already held on it).
    ///
    /// - Parameter replaceable: nil never replaces a non-empty destination; else whether an existing non-empty
    ///   destination may be replaced at commit (`transfersim run --force`: it holds nothing but a run's output).
    /// - Throws: ``FileError`` (key `--out`) if `path` is in use, exists and is not replaceable, or is not writable.
    package init(path: String, replaceable: ((URL) -> Bool)? = nil, lock: DirectoryLock? = nil) throws {
        let manager = FileManager.default
        destination = try OutputDirectory.resolve(path, key: "--out")
        // Committing puts a new directory in the destination's place: never the root, home or working directory.
        try OutputDirectory.checkReplaceable(destination, key: "--out")
        let parent = destination.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())")
        var missing: [URL] = []
        var ancestor = parent
        while !manager.fileExists(atPath: ancestor.path) && ancestor.path != "/" {
            missing.append(ancestor)
            ancestor = ancestor.deletingLastPathComponent()
        }
        do {
            for directory in missing.reversed() {
                try manager.createDirectory(at: directory, withIntermediateDirectories: false)
                createdParents.append(directory)
            }
        } catch {
            Self.removeEmpty(createdParents)
            throw FileError(key: "--out", "cannot write '\(path)': \(Self.reason(error))")
        }
        do {
            self.lock = try lock ?? DirectoryLock(destination, key: "--out")
        } catch {
            Self.removeEmpty(createdParents)
            throw error
        }
        ownsLock = lock == nil
        do {
            Self.recoverInterruptedReplacement(of: destination)
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw FileError(key: "--out", "'\(path)' exists and is not a directory")
                }
                OutputDirectory.removeTemporaries(in: destination)
                if !OutputDirectory.contents(destination).isEmpty {
                    guard let replaceable else {
                        throw FileError(
                            key: "--out",
                            "'\(path)' already holds files; choose a new directory (run --force replaces an earlier run's output)"
                        )
                    }
                    guard replaceable(destination) else {
                        throw FileError(
                            key: "--out",
                            "'\(path)' holds files TransferSim did not write (only a run's output is replaced by --force); choose a new directory"
                        )
                    }
                }
            }
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            discard()
            if error is FileError { throw error }
            throw FileError(key: "--out", "cannot write '\(path)': \(Self.reason(error))")
        }
        let (staging, destination) = (self.staging, self.destination)
        interruption = Interruption.register {
            Self.removeTree(staging)
            return "interrupted: nothing written to \(destination.path)"
        }
    }

    /// Writes `data` to `name` inside the staging directory.
    ///
    /// - Throws: ``FileError`` on an I/O failure.
    package func write(_ data: Data, to name: String) throws {
        try AtomicFile.writeDirectly(data, to: staging.appendingPathComponent(name))
    }

    /// Writes `text` as UTF-8 to `name`.
    package func write(_ text: String, to name: String) throws {
        try write(Data(text.utf8), to: name)
    }

    /// Moves the staged files into place, replacing an existing destination atomically, and releases the lock.
    ///
    /// - Throws: ``FileError`` if the rename fails (the staging directory is then removed).
    package func commit() throws {
        FaultInjection.point("staged-before-commit")
        // rename(2) puts a directory over a missing or empty one; a non-empty destination is exchanged.
        if rename(staging.path, destination.path) != 0 {
            if Self.exchange(staging, destination) {
                FaultInjection.point("staged-after-exchange")
            } else {
                let old = destination.deletingLastPathComponent().appendingPathComponent(
                    ".\(destination.lastPathComponent).old-\(getpid())")
                guard rename(destination.path, old.path) == 0 else { throw failure(errno) }
                FaultInjection.point("staged-between-renames")
                guard rename(staging.path, destination.path) == 0 else {
                    let code = errno
                    _ = rename(old.path, destination.path)
                    throw failure(code)
                }
                Self.removeTree(old)
            }
        }
        Self.removeTree(staging)  // After an exchange it holds the old output.
        finished = true
        end()
    }

    private func failure(_ code: Int32) -> FileError {
        discard()
        return FileError(
            key: "--out", "cannot move results into '\(destination.path)': \(String(cString: strerror(code)))")
    }

    /// Removes the staging directory and the parents this object created (when empty), and releases the
    /// lock. Idempotent.
    package func discard() {
        guard !finished else { return }
        finished = true
        Self.removeTree(staging)
        end()
        Self.removeEmpty(createdParents)
    }

    deinit { discard() }

    private func end() {
        if let interruption { Interruption.unregister(interruption) }
        interruption = nil
        if ownsLock { lock.release() }
    }

    // MARK: - Recovery

    /// Finishes or undoes a replacement that a kill interrupted: `.<name>.old-<pid>` is moved back when the
    /// destination is missing (undo) and removed when it exists (finish); `.<name>.partial-<pid>` (a staged
    /// output never committed, or the old output after an exchange) is removed. Call only under the lock.
    package static func recoverInterruptedReplacement(of destination: URL) {
        let parent = destination.deletingLastPathComponent()
        let name = destination.lastPathComponent
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for sibling in siblings where isLeftover(sibling, of: name, kind: "old") {
            let old = parent.appendingPathComponent(sibling)
            if FileManager.default.fileExists(atPath: destination.path) {
                removeTree(old)
            } else {
                _ = rename(old.path, destination.path)
            }
        }
        for sibling in siblings where isLeftover(sibling, of: name, kind: "partial") {
            removeTree(parent.appendingPathComponent(sibling))
        }
    }

    /// Whether `sibling` is `.<name>.<kind>-<pid>`.
    private static func isLeftover(_ sibling: String, of name: String, kind: String) -> Bool {
        let prefix = ".\(name).\(kind)-"
        return sibling.hasPrefix(prefix) && Int32(sibling.dropFirst(prefix.count)) != nil
    }

    // MARK: - System calls

    private typealias RenameAt2 =
        @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's `renameat2` (Linux ≥ 3.15), looked up at run time: Swift's Glibc module does not export it.
    private static let renameat2: RenameAt2? = dlsym(dlopen(nil, RTLD_NOW), "renameat2")
        .map { unsafeBitCast($0, to: RenameAt2.self) }

    /// Swaps two existing paths atomically (`RENAME_EXCHANGE`); false where the system or file system cannot.
    static func exchange(_ a: URL, _ b: URL) -> Bool {
        guard let renameat2 else { return false }
        return renameat2(AT_FDCWD, a.path, AT_FDCWD, b.path, 2 /* RENAME_EXCHANGE */) == 0
    }

    /// Removes a file tree this object (or an interrupted TransferSim process) wrote.
    static func removeTree(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    private static func removeEmpty(_ directories: [URL]) {
        for directory in directories.reversed() { rmdir(directory.path) }
    }

    /// The system's reason for a Foundation file error (`Not a directory`, `Permission denied`, …).
    package static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        switch CocoaError.Code(rawValue: nsError.code) {
        case .fileWriteNoPermission, .fileReadNoPermission: return String(cString: strerror(EACCES))
        case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
        case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
        case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
        default: return nsError.localizedDescription
        }
    }
}
