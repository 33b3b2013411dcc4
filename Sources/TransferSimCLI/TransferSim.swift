import ArgumentParser
import Foundation
import TransferSim

@main
struct TransferSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfersim",
        abstract: "Simulate parameter transfer in a two-layer ReLU CNN (Yuan et al.; MODEL.md).",
        subcommands: [Run.self, Sweep.self, Merge.self, FigureCommand.self, Plot.self, Verify.self, Slurm.self, Bench.self, Boundary.self, Keys.self])
}

/// `--config`, `--set` and `--seed`, shared by `run` and `sweep`.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "YAML or JSON config with the flat keys of CONFIG.md (sweeps add grid:, zip:, replicates:).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one key, e.g. --set alpha=0.5 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Base seed; overrides the config's seed.")
    var seed: UInt64?
}

/// Prints a library error as one line on stderr and exits with status 1.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode.failure
}
