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

    @Flag(
        name: .long,
        help: "With --columns: each column's kind as JSON (python/transfersim/columns.json holds the same).")
    var json = false

    func run() {
        guard columns else { return print(ConfigField.markdownTable) }
        print(json ? ResultColumns.kindsJSON : ResultColumns.markdownTable, terminator: json ? "" : "\n")
    }
}
