import Foundation
import TransferSimCore

/// Rules every command follows for a directory it writes (`docs/reliability.md`): which paths may be
/// written or replaced, which files are TransferSim's own, and how leftovers of interrupted commands are
/// recognised and removed.
///
/// Every temporary name carries the writer's pid: `.<file>.tmp-<pid>` inside a directory (``AtomicFile``),
/// `.<dir>.partial-<pid>` and `.<dir>.old-<pid>` beside it (``StagedDirectory``). A command removes such
/// leftovers only while it holds the directory's ``DirectoryLock``, so no other TransferSim process can be
/// writing them.
package enum OutputDirectory {
    /// The directory named by `path`, absolute and standardised.
    ///
    /// - Throws: ``FileError`` for an empty path (an unset shell variable), the root, or a path holding a
    ///   control character.
    package static func resolve(_ path: String, key: String) throws -> URL {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw FileError(key: key, "must name a directory, got '' (an unset shell variable?)")
        }
        guard !path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw FileError(key: key, "must not contain control characters, got \(path.debugDescription)")
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        guard url.path != "/" else { throw FileError(key: key, "must not be the root directory") }
        // Room for the temporaries beside it (`.<name>.partial-<pid>`, `.<name>.lock`) and the files inside it.
        guard url.path.utf8.count <= Int(PATH_MAX) - 256 else {
            throw FileError(
                key: key, "is \(url.path.utf8.count) bytes long; a path may have at most \(Int(PATH_MAX) - 256)")
        }
        if let long = url.pathComponents.first(where: { $0.utf8.count > Int(NAME_MAX) - 32 }) {
            throw FileError(
                key: key,
                "has a name of \(long.utf8.count) bytes ('\(long.prefix(24))…'); a name may have at most \(Int(NAME_MAX) - 32)"
            )
        }
        var ancestor = url.deletingLastPathComponent()
        while ancestor.path != "/" {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw FileError(
                        key: key, "'\(ancestor.path)' is a file, so '\(url.path)' cannot be a directory inside it")
                }
                break
            }
            ancestor = ancestor.deletingLastPathComponent()
        }
        return url
    }

    /// Refuses paths that no command may replace wholesale: `/`, the home directory, the working directory
    /// and its ancestors (which `""` and `.` name).
    package static func checkReplaceable(_ url: URL, key: String) throws {
        let path = url.path
        let home = FileManager.default.homeDirectoryForCurrentUser.standardizedFileURL.path
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let protected =
            path == "/" || path == home || cwd == path || cwd.hasPrefix(path.hasSuffix("/") ? path : path + "/")
        if protected {
            throw FileError(
                key: key,
                "refusing to replace '\(path)' (the root, home or working directory, or one holding it); name a directory of its own"
            )
        }
    }

    /// Whether `name` is a temporary file of an interrupted write: `.<file>.tmp-<pid>`.
    static func isTemporary(_ name: String) -> Bool {
        temporaryOwner(name) != nil
    }

    /// The writer's pid of a temporary file `.<file>.tmp-<pid>`, if `name` has that form.
    static func temporaryOwner(_ name: String) -> Int32? {
        guard name.hasPrefix("."), let range = name.range(of: ".tmp-", options: .backwards) else { return nil }
        return Int32(name[range.upperBound...])
    }

    /// Removes `.<file>.tmp-<pid>` leftovers inside `directory` (call only while holding its lock).
    package static func removeTemporaries(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where isTemporary(name) {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    /// Removes this process's `.<file>.tmp-<pid>` files inside `directory` (on an interrupt).
    package static func removeOwnTemporaries(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where temporaryOwner(name) == getpid() {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    /// The entries of `directory` other than TransferSim's temporaries (empty if it does not exist).
    package static func contents(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !isTemporary($0) }
            .sorted()
    }
}
