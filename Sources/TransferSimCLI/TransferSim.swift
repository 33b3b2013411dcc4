import ArgumentParser
import Foundation
import TransferSim

@main
struct TransferSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfersim",
        abstract: "Simulate parameter transfer in a two-layer ReLU CNN (Yuan et al.; MODEL.md).",
        subcommands: [Run.self, Sweep.self, Merge.self, FigureCommand.self, Plot.self, Keys.self])
}

/// Prints a library error as one line on stderr and exits with status 1.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode.failure
}
