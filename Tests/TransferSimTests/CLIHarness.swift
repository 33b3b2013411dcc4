import Foundation

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// Runs the `transfersim` binary built beside the test bundle (the test target depends on the CLI target)
/// as a separate process: kills, locks and signals need a process of their own.
enum CLIHarness {
    /// The binary: `transfersim` in the directory of the running test executable.
    static var binary: URL {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The test bundle may sit inside `<name>.xctest/…`: walk up to the build products folder.
        while directory.path != "/"
            && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("transfersim").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("transfersim")
    }

    /// What a finished process left.
    struct Outcome {
        let status: Int32
        let reason: Process.TerminationReason
        let stdout: String
        let stderr: String
    }

    /// Starts `transfersim arguments` (or `executable`) in `directory` with `environment` added; the caller waits or kills.
    static func start(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
        executable: URL = binary
    ) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        // The upstream cache of the test process's own, never the user's.
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("transfersim-test-cache-\(getpid())")
            .path
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["XDG_CACHE_HOME": cache].merging(environment) { _, new in new }
        ) { _, new in new }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return (process, output, errors)
    }

    /// Starts `/bin/sh -c script` in `directory` (the test's upstream cache, as ``start(_:in:environment:executable:)``).
    static func startShell(_ script: String, in directory: URL) throws -> (Process, Pipe, Pipe) {
        try start(["-c", script], in: directory, executable: URL(fileURLWithPath: "/bin/sh"))
    }

    /// Runs `transfersim arguments` to its end.
    static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> Outcome {
        let (process, output, errors) = try start(arguments, in: directory, environment: environment)
        return finish(process, output, errors)
    }

    /// Waits for a started process and collects its output.
    static func finish(_ process: Process, _ output: Pipe, _ errors: Pipe) -> Outcome {
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, reason: process.terminationReason,
            stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ name: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "transfersim-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    /// Every file and directory under `root` (relative paths, hidden ones included), sorted.
    static func tree(_ root: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.sorted()
    }

    /// Relative paths under `root` that are temporaries, staging or lock files of TransferSim.
    static func leftovers(_ root: URL) -> [String] {
        tree(root).filter { path in
            let name = URL(fileURLWithPath: path).lastPathComponent
            return OutputDirectory.isTemporary(name) || name.hasSuffix(".lock") || name.contains(".partial-")
                || name.contains(".old-")
        }
    }

    /// Runs this test binary again in a child process with `environment` added, on the suites or tests `filter` names
    /// (for what must hold from a process's start: OpenBLAS reads its kernel and thread count when it loads); returns
    /// its status and its output and errors together.
    static func rerunTests(_ filter: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["--testing-library", "swift-testing", "--filter", filter]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// The rows of `results.csv` without the `seconds` column.
    static func rowsWithoutTiming(_ directory: URL) throws -> [[String]] {
        CSV.parse(try String(contentsOf: directory.appendingPathComponent("results.csv"), encoding: .utf8)).map {
            Array($0.dropLast(2))
        }
    }
}
