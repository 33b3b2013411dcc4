import ArgumentParser
import Foundation
import TransferSim

struct Run: Command {
    static let configuration = CommandConfiguration(
        abstract: "Run one experiment: upstream, inheritance, transfer and baseline; write results to --out.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Output directory (created; written all-or-nothing).")
    var out: String

    @Option(
        name: .long, help: "Reproduce a row of this sweep directory (with --cell and --replicate) instead of --config.")
    var from: String?

    @Option(name: .long, help: "The row's cell_id (with --from).")
    var cell: String?

    @Option(name: .long, help: "The row's replicate (with --from; default 0).")
    var replicate: Int = 0

    @Flag(name: .long, help: "Also write the data sets and filters as NumPy .npy files.")
    var exportState = false

    @Flag(name: .long, help: "Replace --out if it holds the output of an earlier run (and nothing else).")
    var force = false

    @Option(
        name: .long, help: "Memory the run may use, e.g. 8G (default: the memory available).",
        transform: optionValue(MemoryEstimate.parseSize))
    var maxMemory: Double?

    func validate() throws {
        guard (from == nil) == (cell == nil) else {
            throw ValidationError("\(from == nil ? "--cell" : "--from"): --from DIR and --cell ID go together")
        }
    }

    func execute() throws {
        Interruption.install()
        var job = RunJob(
            configPath: options.config, overrides: options.overrides.map(\.text), seed: options.seed, output: out,
            exportState: exportState, force: force, memoryLimit: maxMemory)
        if let from, let cell { job.sweepCell = SweepCell(directory: from, cellID: cell, replicate: replicate) }
        let (result, directory) = try job.execute()
        print(Report.lines(result, directory: directory).joined(separator: "\n"))
    }
}

/// The short text report `run` prints.
enum Report {
    static func lines(_ result: ExperimentResult, directory: String) -> [String] {
        let metrics = Dictionary(result.metrics, uniquingKeysWith: { a, _ in a })
        func show(_ key: String) -> String {
            guard let value = metrics[key], value.isFinite else { return "—" }
            return String(format: abs(value) < 1e6 ? "%.4f" : "%.4g", value)
        }
        func column(_ text: String, _ width: Int) -> String {
            text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
        }
        var lines = [
            column("stage", 10) + column("status", 10) + column("train_loss", 12) + column("test_acc", 10)
                + "clean_test_err"
        ]
        for stage in Stage.allCases where stage != .teacher || result.teacher.status != .skipped {
            let name = stage.rawValue
            lines.append(
                column(name, 10) + column(result.outcome(stage).status.rawValue, 10)
                    + column(show("\(name)_train_loss"), 12)
                    + column(show("\(name)_test_accuracy"), 10) + show("\(name)_clean_test_error"))
        }
        lines.append(
            "transfer_gain = \(show("transfer_gain"))   S_1 = \(show("kou_stat_1"))   S_2 = \(show("kou_stat_2"))")
        lines.append("BLAS: \(BLASIdentity.current)")
        lines.append("results in \(directory)")
        return lines
    }
}
