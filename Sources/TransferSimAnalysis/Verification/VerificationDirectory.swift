import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The output directory of `transfersim verify`, taken as the other commands take theirs: locked at once for the
/// command's life (``DirectoryLock``), and used only when it is new, empty or an earlier `verify` output.
///
/// An earlier output holds nothing but `verification.md` (starting with the report's title), `verification.csv`
/// (starting with ``ClaimResult/csvHeader``), `sweeps/` and `claims/`; a directory holding anything else — a
/// user's own `verification.md` included — is refused with nothing written.
package enum VerificationDirectory {
    /// The names a verify output may hold.
    static let names: Set<String> = ["verification.md", "verification.csv", "sweeps", "claims"]

    /// The first line of `verification.md` (``ClaimResult/markdown(_:source:)``).
    static let title = "# Numerical verification of the paper's claims\n"

    /// Resolves `path`, creates its parents, locks it and checks that it may be written.
    ///
    /// - Throws: ``FileError`` (key `--out`) for a directory in use, not a directory, or holding other files.
    package static func claim(_ path: String) throws -> (directory: URL, lock: DirectoryLock) {
        let directory = try OutputDirectory.resolve(path, key: "--out")
        do {
            try FileManager.default.createDirectory(
                at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw FileError(
                key: "--out", "cannot create the parent of '\(directory.path)': \(StagedDirectory.reason(error))")
        }
        let lock = try DirectoryLock(directory, key: "--out")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            return (directory, lock)
        }
        guard isDirectory.boolValue else {
            lock.release()
            throw FileError(key: "--out", "'\(directory.path)' exists and is not a directory")
        }
        let contents = OutputDirectory.contents(directory)
        let foreign = contents.filter { !names.contains($0) }
        let ownReport =
            starts(directory.appendingPathComponent("verification.md"), with: title)
            && starts(directory.appendingPathComponent("verification.csv"), with: CSV.line(ClaimResult.csvHeader))
        guard foreign.isEmpty, ownReport else {
            lock.release()
            let example =
                foreign.first ?? (contents.contains("verification.md") ? "verification.md" : "verification.csv")
            throw FileError(
                key: "--out",
                "'\(directory.path)' holds files transfersim verify did not write (e.g. \(example)); use a new or empty directory"
            )
        }
        return (directory, lock)
    }

    /// Whether `url` is absent or its text begins with `prefix`.
    private static func starts(_ url: URL, with prefix: String) -> Bool {
        guard FileManager.default.fileExists(atPath: url.path) else { return true }
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: prefix.utf8.count)) ?? Data()
        return head == Data(prefix.utf8)
    }
}
