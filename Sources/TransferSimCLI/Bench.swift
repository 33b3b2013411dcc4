import ArgumentParser
import Foundation
import TransferSim
import TransferSimBench

struct Bench: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "Measure dgemm, step times of both engines, sweep throughput, and the numpy reference; print a table and CSV."
    )

    @Flag(name: .long, help: "Smaller sizes (seconds).")
    var quick = false

    @Option(
        name: .long, help: "Worker threads of the sweep workloads (default: all cores).",
        transform: optionValue(ThreadCount.parse))
    var threads: Int?

    @Option(name: .long, help: "Also write the rows as CSV to this file.")
    var csv: String?

    @Option(
        name: .long,
        help:
            "Folder of the figure configs (default: experiments/ here or above the executable); bench/reference.py is read beside it."
    )
    var experiments: String?

    func execute() throws {
        // Refused before the measurements (minutes without --quick), not after them.
        if let csv { try AtomicFile.checkDestination(csv, option: "--csv") }
        let folder = try experiments ?? ProjectFiles.locate("experiments", option: "--experiments")
        let bench = Benchmark(
            quick: quick, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
            experiments: folder,
            reference: URL(fileURLWithPath: folder).deletingLastPathComponent().appendingPathComponent(
                "bench/reference.py"
            ).path)
        let rows = try bench.run { row in
            let name = row.name.padding(toLength: max(36, row.name.count), withPad: " ", startingAt: 0)
            print(
                "\(name) \(String(format: "%12.3f", row.value)) \(row.unit.padding(toLength: 12, withPad: " ", startingAt: 0)) \(row.note)"
            )
        }
        if let csv {
            let text =
                CSV.line(["name", "value", "unit", "note"])
                + rows.map { CSV.line([$0.name, "\($0.value)", $0.unit, $0.note]) }.joined()
            try AtomicFile.write(text, to: URL(fileURLWithPath: csv))
            print("wrote \(csv)")
        }
    }
}
