import ArgumentParser
import Foundation
import TransferSim

@main
struct TransferSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfersim",
        abstract: "Simulate parameter transfer in a two-layer ReLU CNN (Yuan et al.; docs/model.md).",
        discussion: """
            Every command takes --blas-kernel NAME (or the environment variable TRANSFERSIM_BLAS_KERNEL): the OpenBLAS \
            kernel family that computes the results. Default: Haswell on every x86-64 CPU with AVX2 and FMA, so that \
            such machines, Intel and AMD, give the same bits; 'native' is OpenBLAS's own pick (faster on AVX-512 \
            CPUs, bits follow the CPU). `transfersim blas` prints the kernel in use; every results directory records it.
            """,
        subcommands: [
            Run.self, Sweep.self, Merge.self, FigureCommand.self, Plot.self, Contrast.self, Best.self, Table.self,
            Diff.self, Verify.self, Slurm.self, Bench.self, Boundary.self, Keys.self, BLASInfo.self,
        ])

    /// Makes OpenBLAS run the kernel asked for on one thread (``KernelPin``, which may execute the program again),
    /// stops any OpenBLAS pool before anything else runs (``BLAS/stopThreadPoolAtStart()``), has OpenBLAS's work
    /// buffer allocated while there is room for it (``BLAS/reserveBuffer()``: one error line under a too-small
    /// `ulimit -v`, never a hang) and keeps large freed blocks for reuse (``LargeAllocations``), then parses the
    /// command line and runs the command.
    static func main() {
        let arguments = KernelPin.apply(Array(CommandLine.arguments.dropFirst()))
        BLAS.stopThreadPoolAtStart()
        do {
            try BLAS.reserveBuffer()
        } catch {
            FileHandle.standardError.write(Data("error: \(oneLine(error))\n".utf8))
            Foundation.exit(1)
        }
        LargeAllocations.keepForReuse()
        main(arguments)
    }
}

/// `--config`, `--set` and `--seed`, shared by `run` and `sweep`.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "YAML or JSON config with the flat keys of docs/config.md (sweeps add grid:, zip:, replicates:).")
    var config: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp("Override one key, e.g. --set alpha=0.5 (repeatable).", valueName: "key=value"),
        transform: optionValue(Assignment.parse))
    var overrides: [Assignment] = []

    @Option(name: .long, help: "Base seed; overrides the config's seed.")
    var seed: UInt64?
}

/// `--upstream-cache DIR` / `--no-upstream-cache`, shared by the commands that run sweeps.
struct UpstreamCacheOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Keep and reuse trained upstream models here (default: $XDG_CACHE_HOME/transfersim or ~/.cache/transfersim)."
    )
    var upstreamCache: String?

    @Flag(name: .long, help: "Train every upstream model afresh and keep none.")
    var noUpstreamCache = false

    func validate() throws {
        guard !(noUpstreamCache && upstreamCache != nil) else {
            throw ValidationError("--no-upstream-cache: cannot be combined with --upstream-cache")
        }
    }

    /// The cache directory, or nil when turned off.
    func directory() throws -> URL? {
        if noUpstreamCache { return nil }
        return try upstreamCache.map { try OutputDirectory.resolve($0, key: "--upstream-cache") }
            ?? UpstreamCache.defaultDirectory
    }
}

/// `--grid`, shared by the commands that run sweeps.
struct GridOptions: ParsableArguments {
    @Option(
        name: .customLong("grid"),
        help: ArgumentHelp(
            "Add or replace a grid axis: KEY=V1,V2,…, KEY=FROM:TO:STEP or KEY=FROM:TO:nSTEPS (repeatable; recorded in config.resolved.yaml).",
            valueName: "axis"))
    var axes: [String] = []

    @Option(
        name: .long,
        help:
            "Seeds per cell, replacing the file's replicates: (1 to 10⁷ rows in all). A finished or interrupted sweep rerun with more replicates or more grid values grows in place."
    )
    var replicates: Int?
}

/// `error`'s text on one line: a newline or carriage return the user typed (e.g. in `--set`) shown as `\n`, `\r`.
func oneLine(_ error: Error) -> String {
    "\(error)".replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
}

/// Prints a library error as one line on stderr and exits with status 1 (an `ExitCode` passes through).
func fail(_ error: Error) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    FileHandle.standardError.write(Data("error: \(oneLine(error))\n".utf8))
    return ExitCode.failure
}

/// One note on stderr for rows that are not (cell, replicate) pairs of the plan, when there are any.
func noteDropped(_ rows: [String]) {
    guard let example = rows.first else { return }
    FileHandle.standardError.write(
        Data(
            "note: \(rows.count) row(s) of results.csv are not cells of this sweep's plan (e.g. \(example)); left out\n"
                .utf8))
}

/// One line on stdout when the run grew a smaller sweep in `directory` (``SweepReport/grew``).
func noteGrowth(_ report: SweepReport, in directory: URL) {
    guard report.grew else { return }
    print(
        "grew the sweep in \(directory.path): kept its \(report.resumed) rows, computed only the new (cell, replicate) pairs"
    )
}

/// One note on stderr for rows of results.csv that failed their checksum or did not parse, when there are any.
func noteCorrupt(_ rows: [String], fate: String) {
    guard let example = rows.first else { return }
    FileHandle.standardError.write(
        Data(
            "note: \(rows.count) row(s) of results.csv fail their checksum (row_crc32) or do not parse (e.g. \(example)): \(fate)\n"
                .utf8))
}

/// Reports corrupt rows (computed again), corrupt upstream-cache entries (retrained), a sweep's diverged or failed rows (the first 10) and an early stop on stderr, and exits with
/// status 1 if there were any; the sweep's files are complete either way.
func finish(_ report: SweepReport) throws {
    noteDropped(report.droppedRows)
    noteCorrupt(report.corruptRows, fate: "computed again")
    if let first = report.corruptCacheEntries.first {
        let count = report.corruptCacheEntries.count
        FileHandle.standardError.write(
            Data(
                "note: \(count) upstream-cache entr\(count == 1 ? "y" : "ies") failed the checksum (e.g. \(first)): trained again and rewritten\n"
                    .utf8))
    }
    if !report.failures.isEmpty {
        let lines = report.failures.prefix(10).joined(separator: "\n")
        FileHandle.standardError.write(Data("\(report.failures.count) row(s) diverged or failed:\n\(lines)\n".utf8))
    }
    if report.stoppedEarly {
        FileHandle.standardError.write(Data("stopped early (--fail-fast); rerun to resume\n".utf8))
    }
    if !report.failures.isEmpty || report.stoppedEarly { throw ExitCode.failure }
}
