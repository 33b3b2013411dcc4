import ArgumentParser
import TransferSim

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print every config key with its theory default, kou2023-code default, meaning and range (Markdown); --columns: every results.csv column."
    )

    @Flag(
        name: .long,
        help:
            "Print the columns of results.csv with their meanings instead (Markdown; docs/outputs.md holds the same table)."
    )
    var columns = false

    func run() {
        print(columns ? ResultColumns.markdownTable : ConfigField.markdownTable)
    }
}
