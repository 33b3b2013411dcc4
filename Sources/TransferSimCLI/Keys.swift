import ArgumentParser
import TransferSim

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print every config key with its theory default, kou2023-code default, meaning and range (Markdown).")

    func run() {
        print(ConfigField.markdownTable)
    }
}
