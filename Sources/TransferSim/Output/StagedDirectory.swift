import Foundation

/// An output directory written all-or-nothing.
///
/// Files go into a hidden sibling `.<name>.partial-<pid>`; ``commit()`` renames it to the final path in
/// one step. If the run fails, ``discard()`` removes the staging directory and any parent directories it
/// had to create, so nothing half-written is left behind.
public final class StagedDirectory {
    /// The final directory.
    public let destination: URL
    /// Where files are written until ``commit()``.
    public let staging: URL
    private var createdParents: [URL] = []
    private var finished = false

    /// Prepares staging next to `path`.
    ///
    /// - Parameter replace: allow replacing an existing non-empty `path` at commit.
    /// - Throws: ``ConfigError`` (key `--out`) if `path` exists and is not replaceable, or is not writable.
    public init(path: String, replace: Bool) throws {
        let manager = FileManager.default
        destination = URL(fileURLWithPath: path).standardizedFileURL
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: destination.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ConfigError(key: "--out", "'\(path)' exists and is not a directory")
            }
            let contents = (try? manager.contentsOfDirectory(atPath: destination.path)) ?? []
            if !contents.isEmpty && !replace {
                throw ConfigError(key: "--out", "'\(path)' already holds files; choose a new directory or pass --force to replace it")
            }
        }
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
            try? manager.removeItem(at: staging)
            try manager.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            discard()
            throw ConfigError(key: "--out", "cannot write '\(path)': \(Self.reason(error))")
        }
    }

    /// Writes `data` to `name` inside the staging directory.
    ///
    /// - Throws: ``ConfigError`` on an I/O failure.
    public func write(_ data: Data, to name: String) throws {
        do {
            try data.write(to: staging.appendingPathComponent(name))
        } catch {
            throw ConfigError(key: "--out", "cannot write '\(name)': \(Self.reason(error))")
        }
    }

    /// Writes `text` as UTF-8 to `name`.
    public func write(_ text: String, to name: String) throws {
        try write(Data(text.utf8), to: name)
    }

    /// Moves the staged files into place, replacing an existing destination.
    ///
    /// - Throws: ``ConfigError`` if the rename fails (the staging directory is then removed).
    public func commit() throws {
        let manager = FileManager.default
        do {
            if manager.fileExists(atPath: destination.path) {
                let old = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).old-\(getpid())")
                try manager.moveItem(at: destination, to: old)
                try manager.moveItem(at: staging, to: destination)
                try? manager.removeItem(at: old)
            } else {
                try manager.moveItem(at: staging, to: destination)
            }
            finished = true
        } catch {
            discard()
            throw ConfigError(key: "--out", "cannot move results into '\(destination.path)': \(Self.reason(error))")
        }
    }

    /// Removes the staging directory and the parents this object created. Idempotent.
    public func discard() {
        guard !finished else { return }
        finished = true
        let manager = FileManager.default
        try? manager.removeItem(at: staging)
        for directory in createdParents.reversed() { try? manager.removeItem(at: directory) }
    }

    deinit { discard() }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           let posix = POSIXErrorCode(rawValue: Int32(underlying.code)), underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(posix.rawValue))
        }
        return nsError.localizedDescription
    }
}
