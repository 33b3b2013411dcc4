import ArgumentParser
import Foundation
import TransferSim

@main
struct TransferSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfersim",
        abstract: "Simulate parameter transfer in a two-layer ReLU CNN (Yuan et al.; MODEL.md).",
        subcommands: [Run.self, Keys.self])
}

/// Options shared by every command that reads an experiment config.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "YAML or JSON config file with the flat keys of CONFIG.md (default: theory preset).")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one key, e.g. --set alpha=0.5 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: "Base seed; overrides the config's seed.")
    var seed: UInt64?

    /// The resolved, validated config.
    func resolve() throws -> ExperimentConfig {
        var layers: [[ConfigLoader.Entry]] = []
        if let config { layers.append(try ConfigLoader.readFlat(path: config)) }
        var commandLine = try overrides.map(ConfigLoader.parseAssignment)
        if let seed { commandLine.append(("seed", String(seed))) }
        layers.append(commandLine)
        return try ConfigLoader.resolve(layers)
    }
}

/// Prints a library error as one line on stderr and exits with status 1.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode.failure
}
