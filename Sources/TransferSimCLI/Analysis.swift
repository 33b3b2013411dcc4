import ArgumentParser
import Foundation
import TransferSim

struct Contrast: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "Paired difference A − B over replicates for every pair of cells that differ only in KEY; writes DIR/contrast_<KEY>_<A>_<B>.csv."
    )

    @Argument(help: "Sweep directory (config.resolved.yaml + results.csv).")
    var directory: String

    @Option(
        name: .long, help: ArgumentHelp("The key and its two values, e.g. alpha=1,0.5.", valueName: "KEY=A,B"),
        transform: optionValue(Variation.parse))
    var vary: Variation

    @OptionGroup var analysis: AnalysisOptions

    func execute() throws {
        let url = URL(fileURLWithPath: directory)
        let rows = try analysis.rows(url)
        let contrast = try TransferSimAnalysis.Contrast(
            rows, key: vary.key, a: vary.a, b: vary.b, metric: analysis.metric)
        try report(contrast.csv, as: contrast.fileName, in: url, coverage: rows.coverage)
        let identical = contrast.rows.filter {
            $0.comparison.count > 1 && $0.comparison.mean == 0 && $0.comparison.standardError == 0
        }
        if let first = identical.first {
            let setting = first.setting.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print(
                "note: \(identical.count) pair(s) of cells are identical in every replicate (e.g. \(setting)): \(vary.key) does not change them there, so their se is 0 and p = 1"
            )
        }
    }
}

struct Best: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "The value of KEY that maximises a metric for each combination of the --by axes, with the values not significantly worse (paired over replicates)."
    )

    @Argument(help: "Sweep directory (config.resolved.yaml + results.csv).")
    var directory: String

    @Option(name: .long, help: "The axis to optimise over.")
    var over: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The axes to optimise for separately, comma-separated (every other axis with several values must be named).",
            valueName: "KEY,..."))
    var by: String?

    @OptionGroup var analysis: AnalysisOptions

    func execute() throws {
        let url = URL(fileURLWithPath: directory)
        let keys = by.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        let rows = try analysis.rows(url)
        let best = try BestValue(rows, over: over, by: keys, metric: analysis.metric)
        try report(best.csv, as: best.fileName, in: url, coverage: rows.coverage)
    }
}

struct Diff: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "The difference A − B of two sweeps over the same grid (paired by replicate when their seeds agree): summary.csv, heatmaps and pictures in --out."
    )

    @Argument(help: "Sweep directory A.")
    var a: String

    @Argument(help: "Sweep directory B.")
    var b: String

    @Option(name: .long, help: "Output directory (new; written all-or-nothing).")
    var out: String

    func execute() throws {
        Interruption.install()
        let (paired, cells) = try SweepDiff.write(a: URL(fileURLWithPath: a), b: URL(fileURLWithPath: b), output: out)
        let directory = try OutputDirectory.resolve(out, key: "--out")
        try AtomicFile.write("difference\n", to: directory.appendingPathComponent("figure"))
        print(
            "\(cells) cells, A − B \(paired ? "paired over replicates (equal seeds)" : "as differences of means (the seeds differ)") in \(directory.path)"
        )
        let written = try Figure.recorded(in: directory).render(from: directory, into: directory)
        if written.isEmpty { print("no picture: pictures of differences are drawn for 1-D and 2-D grids") }
        for path in written { print("wrote \(path)") }
    }
}

/// `--metric` and `--partial`, shared by `contrast`, `best` and `table`.
struct AnalysisOptions: ParsableArguments {
    @Option(name: .long, help: "A metric column of results.csv.")
    var metric = "transfer_gain"

    @Flag(
        name: .long,
        help: "Analyse an unfinished sweep's rows present (the output says 'partial'; a file written ends in _partial)."
    )
    var partial = false

    /// The sweep's rows (``SweepRows``), refused when unfinished unless `--partial`.
    func rows(_ directory: URL) throws -> SweepRows { try SweepRows(directory: directory, partial: partial) }
}

/// Repeated `--where KEY=VALUE` as a mapping (a key fixed twice is refused).
func whereSettings(_ assignments: [Assignment]) throws -> [String: String] {
    var settings: [String: String] = [:]
    for assignment in assignments {
        guard settings.updateValue(assignment.value, forKey: assignment.key) == nil else {
            throw ConfigError(key: "--where", "fixes \(assignment.key) twice")
        }
    }
    return settings
}

struct Table: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "A metric over the rows and columns of a sweep's axes: mean ± se (n) per cell, or with --vary the paired difference A − B with its 95% interval and p-value stars."
    )

    @Argument(help: "Sweep directory (config.resolved.yaml + results.csv).")
    var directory: String

    @Option(
        name: .long,
        help: ArgumentHelp("The axes down the table, comma-separated (the first outermost).", valueName: "KEY[,KEY]"))
    var rows: String

    @Option(name: .long, help: ArgumentHelp("The axis across the table.", valueName: "KEY"))
    var cols: String

    @Option(
        name: .customLong("where"),
        help: ArgumentHelp(
            "Fix an axis, e.g. --where d=800 (repeatable; every other axis with several values must be fixed).",
            valueName: "KEY=VALUE"),
        transform: optionValue(Assignment.parse))
    var fixed: [Assignment] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Paired differences A − B of the cells that differ only in KEY instead of means.", valueName: "KEY=A,B"),
        transform: optionValue(Variation.parse))
    var vary: Variation?

    @Option(name: .long, help: "md (Markdown), csv (long, full precision) or tex (LaTeX tabular).")
    var format = MeanTable.Format.md

    @Option(name: .long, help: "Also write the table to this file (atomically).")
    var out: String?

    @OptionGroup var analysis: AnalysisOptions

    func execute() throws {
        let sweep = try analysis.rows(URL(fileURLWithPath: directory))
        let table = try MeanTable(
            sweep, rows: rows.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, column: cols,
            metric: analysis.metric, where: try whereSettings(fixed), vary: vary.map { ($0.key, $0.a, $0.b) })
        var text = table.render(format)
        if let coverage = sweep.coverage {
            text = (format == .md ? "" : format == .tex ? "% " : "# ") + "\(coverage) (--partial)\n" + text
        }
        // Written first: a refused --out prints nothing but its error line.
        if let out { try AtomicFile.write(text, to: try OutputDirectory.resolve(out, key: "--out")) }
        print(text, terminator: "")
    }
}

/// Prints an analysis's CSV as a table (numbers shortened) and writes it, every digit kept, atomically to
/// `directory/fileName`; an analysis of part of a sweep (`coverage`, ``SweepRows/coverage``) says so first and writes
/// `…_partial.csv`.
func report(_ csv: String, as fileName: String, in directory: URL, coverage: String? = nil) throws {
    if let coverage { print("\(coverage) (--partial): computed on the rows present") }
    print(table(shortened(csv)))
    let file = directory.appendingPathComponent(
        coverage == nil ? fileName : fileName.replacingOccurrences(of: ".csv", with: "_partial.csv"))
    try AtomicFile.write(csv, to: file)
    print("wrote \(file.path)")
}

/// CSV text as an aligned table for the terminal.
func table(_ csv: String) -> String {
    let records = CSV.parse(csv)
    let widths = records.reduce(into: [Int]()) { widths, record in
        for (k, field) in record.enumerated() {
            if k < widths.count { widths[k] = max(widths[k], field.count) } else { widths.append(field.count) }
        }
    }
    return records.map { record in
        record.enumerated().map { k, field in field.padding(toLength: widths[k], withPad: " ", startingAt: 0) }.joined(
            separator: "  ")
    }.joined(separator: "\n")
}

/// CSV text with its long numbers shortened to 4 significant digits, for printing (the files keep every digit).
func shortened(_ csv: String) -> String {
    CSV.parse(csv).map { record in
        CSV.line(
            record.map { field in
                guard field.contains("."), let value = Double(field) else { return field }
                return String(format: "%.4g", value)
            })
    }.joined()
}
