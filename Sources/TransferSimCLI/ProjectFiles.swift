import Foundation
import TransferSim

/// Finds the repository's own files (`experiments/`, `bench/reference.py`) from any working directory.
enum ProjectFiles {
    /// `relative` under the working directory if it exists there, else under the nearest ancestor of the
    /// executable's real path that holds it (`.build/release/transfersim` lives two levels below the root).
    ///
    /// - Throws: ``ConfigError`` naming `option` when neither has it.
    static func locate(_ relative: String, option: String) throws -> String {
        let manager = FileManager.default
        let cwd = URL(fileURLWithPath: manager.currentDirectoryPath)
        if manager.fileExists(atPath: cwd.appendingPathComponent(relative).path) { return relative }
        let executable = (try? manager.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable, relativeTo: cwd).standardizedFileURL
            .deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(relative)
            if manager.fileExists(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        throw ConfigError(
            key: option,
            "cannot find '\(relative)' in the working directory or above the executable; pass \(option) PATH")
    }
}
