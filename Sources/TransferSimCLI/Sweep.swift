import ArgumentParser
import Foundation
import TransferSim

struct Sweep: Command {
    static let configuration = CommandConfiguration(
        abstract: "Run a grid of experiments (grid:, zip:, replicates:) into --out; resumes an interrupted run.")

    @OptionGroup var options: ConfigOptions

    @OptionGroup var grid: GridOptions

    @Option(
        name: .long, help: "Worker threads (default: all cores). Results do not depend on it.",
        transform: optionValue(ThreadCount.parse))
    var threads: Int?

    @Option(
        name: .long, help: ArgumentHelp("Run only cells with index ≡ i (mod N), e.g. 0/4.", valueName: "i/N"),
        transform: Shard.parse)
    var shard: Shard?

    @Option(name: .long, help: "Output directory (created; rerun the same command to resume).")
    var out: String

    @Flag(name: .long, help: "Stop at the first cell that diverges or fails.")
    var failFast = false

    @Flag(name: .long, help: "No progress on stderr.")
    var quiet = false

    @Option(
        name: .long,
        help: "Memory the sweep may use, e.g. 8G (default: the memory available); larger cells become error rows.",
        transform: optionValue(MemoryEstimate.parseSize))
    var maxMemory: Double?

    @OptionGroup var cache: UpstreamCacheOptions

    func validate() throws {
        guard options.config != nil else {
            throw ValidationError("--config: a sweep needs a config file with grid: or zip:")
        }
    }

    func execute() throws {
        Interruption.install()
        let config = options.config ?? ""
        let plan = try SweepPlan.load(
            path: config, overrides: options.overrides.map(\.text), seed: options.seed, grids: grid.axes,
            replicates: grid.replicates)
        var runner = SweepRunner(
            plan: plan, directory: out, failFast: failFast, progress: ProgressReporter.mode(quiet: quiet))
        if let threads { runner.threads = threads }
        if let shard { runner.shard = shard }
        runner.memoryLimit = maxMemory
        runner.upstreamCacheDirectory = try cache.directory()
        let report = try runner.run()
        noteGrowth(report, in: runner.directory)
        print(
            "\(report.pairs) rows (\(report.resumed) resumed, \(report.computed) computed), \(report.upstreamTrainings) upstream models trained, \(report.upstreamReuses) reused; results in \(runner.directory.path)"
        )
        try finish(report)
    }
}

struct Merge: Command {
    static let configuration = CommandConfiguration(
        abstract: "Combine the directories of `sweep --shard i/N` into the files an unsharded sweep writes.")

    @Argument(help: "Shard output directories.")
    var directories: [String]

    @Option(
        name: .long,
        help:
            "Merged output: a new directory (written all-or-nothing) or one of this sweep (files replaced atomically).")
    var out: String

    func execute() throws {
        Interruption.install()
        let (plan, rows, dropped, corrupt) = try SweepMerge.merge(directories: directories, output: out)
        noteDropped(dropped)
        noteCorrupt(corrupt, fate: "left out (another shard holds the same rows)")
        print("merged \(rows) rows of \(plan.cells.count) cells into \(out)")
    }
}
