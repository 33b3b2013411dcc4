import ArgumentParser
import Foundation
import TransferSim

struct FigureCommand: Command {
    static let configuration = CommandConfiguration(
        commandName: "figure",
        abstract: "Run (or reuse) a figure's sweep and render its SVG panels.",
        discussion: "Figures: " + Figure.all.map(\.name).joined(separator: ", ")
            + ". Configs are experiments/<name>[-quick].yaml.")

    @Argument(help: "Figure name.")
    var name: String

    @Flag(name: .long, help: "Use the small <name>-quick.yaml grid (seconds).")
    var quick = false

    @OptionGroup var grid: GridOptions

    @OptionGroup var cache: UpstreamCacheOptions

    @OptionGroup var pictures: FormatOptions

    @Option(name: .long, help: "Sweep directory (default: results/<name>[-quick]); finished rows are reused.")
    var out: String?

    @Option(name: .long, help: "Where the SVG files go (default: the sweep directory).")
    var plots: String?

    @Option(name: .long, help: "Folder of the figure configs (default: experiments/ here or above the executable).")
    var experiments: String?

    @Option(name: .long, help: "Worker threads (default: all cores).", transform: optionValue(ThreadCount.parse))
    var threads: Int?

    @Flag(name: .long, help: "No progress on stderr.")
    var quiet = false

    func execute() throws {
        Interruption.install()
        let figure = try Figure.named(name)
        let directory = out ?? "results/\(name)\(quick ? "-quick" : "")"
        let folder = try experiments ?? ProjectFiles.locate("experiments", option: "--experiments")
        // Run (or resume, or reuse) the sweep, record the figure's name for `plot`, then render.
        let plan = try SweepPlan.load(
            path: figure.configPath(experiments: folder, quick: quick), grids: grid.axes, replicates: grid.replicates)
        var runner = SweepRunner(plan: plan, directory: directory, progress: ProgressReporter.mode(quiet: quiet))
        if let threads { runner.threads = threads }
        runner.upstreamCacheDirectory = try cache.directory()
        let report = try runner.run()
        noteGrowth(report, in: runner.directory)
        try figure.record(in: runner.directory)
        if figure.drawsDynamics { try CellRuns.write(plan, into: runner.directory) }
        let formats = try pictures.formats()
        let written =
            report.stoppedEarly
            ? []
            : try FigureFormat.convert(
                try figure.render(
                    from: runner.directory, into: OutputDirectory.resolve(plots ?? directory, key: "--plots"),
                    pgf: formats.contains(.pgf)),
                to: formats)
        print(
            "\(report.pairs) rows (\(report.resumed) reused, \(report.computed) computed) in \(directory); "
                + TargetLossReport.describe(
                    try SweepRows(directory: runner.directory, columns: TargetLossReport.columns)))
        for path in written { print("wrote \(path)") }
        try finish(report)
    }
}

struct Plot: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "Render the SVG panels of a finished sweep directory without rerunning it, or any slice of it (--x, --y, --series, --where)."
    )

    @Argument(help: "Sweep directory (config.resolved.yaml + summary.csv).")
    var directory: String

    @Option(
        name: .long,
        help: "Figure whose panels to draw (default: the one recorded in the directory, else by dimension).")
    var figure: String?

    @Option(name: .long, help: "Where the SVG files go (default: the sweep directory).")
    var plots: String?

    @Option(name: .long, help: "Slice: the x axis (a line plot, or with --y a heatmap).")
    var x: String?

    @Option(name: .long, help: "Slice: the y axis of a heatmap.")
    var y: String?

    @Option(name: .long, help: "Slice: one line per value of this axis.")
    var series: String?

    @Option(name: .long, help: "Slice: one panel per value of this axis, side by side.")
    var facet: String?

    @Option(
        name: .customLong("where"),
        help: ArgumentHelp(
            "Slice: fix an axis, e.g. --where d=800 (repeatable; every axis not plotted must be fixed).",
            valueName: "KEY=VALUE"),
        transform: optionValue(Assignment.parse))
    var fixed: [Assignment] = []

    @Option(name: .long, help: "Slice: the summary.csv metric drawn (without _mean).")
    var metric = "transfer_gain"

    @Option(name: .long, help: "Slice: the SVG file (default: <directory>/<name>_<metric>_<axes>.svg).")
    var out: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Slice: the paired difference A − B of the cells that differ only in KEY along --x, with its paired 95% band and zero line (results.csv metric).",
            valueName: "KEY=A,B"),
        transform: optionValue(Variation.parse))
    var contrast: Variation?

    @OptionGroup var pictures: FormatOptions

    /// Writes a slice's `svg` to `--out` (default `directory/name`) atomically, with its other `formats`.
    private func write(_ svg: String, named name: String, in directory: URL, formats: [FigureFormat]) throws {
        let file =
            try out.map { try OutputDirectory.resolve($0, key: "--out") } ?? directory.appendingPathComponent(name)
        try AtomicFile.write(svg, to: file)
        for path in try FigureFormat.convert([file.path], to: formats) { print("wrote \(path)") }
    }

    func validate() throws {
        if contrast != nil {
            guard x != nil else {
                throw ValidationError("--contrast: needs --x: the axis the difference is drawn along")
            }
            guard y == nil else { throw ValidationError("--contrast: draws lines along --x; it takes no --y") }
        }
    }

    func execute() throws {
        let url = URL(fileURLWithPath: directory)
        let formats = try pictures.formats()
        if let contrast, let x {
            guard !formats.contains(.pgf) else {
                throw PlotError(key: "--format", "pgf is written for figure panels, not for contrast plots")
            }
            let plot = ContrastPlot(
                metric: metric, key: contrast.key, a: contrast.a, b: contrast.b, x: x, series: series, facet: facet,
                fixed: try whereSettings(fixed))
            return try write(
                plot.render(SweepRows(directory: url)),
                named: plot.fileName(sweep: url.standardizedFileURL.lastPathComponent),
                in: url, formats: formats)
        }
        if formats.contains(.pgf), x != nil || (figure == nil && TrainingCurves.isRun(url)) {
            throw PlotError(
                key: "--format",
                "pgf is written for figure panels (heatmaps and line plots of plot DIR or figure NAME), not for slices or training curves"
            )
        }
        if let x {
            let slice = SlicePlot(
                metric: metric, x: x, y: y, series: series, facet: facet, fixed: try whereSettings(fixed))
            return try write(
                slice.render(SweepTable(directory: url)),
                named: slice.fileName(sweep: url.standardizedFileURL.lastPathComponent),
                in: url, formats: formats)
        }
        if figure == nil, TrainingCurves.isRun(url) {
            let file = try OutputDirectory.resolve(plots ?? directory, key: "--plots").appendingPathComponent(
                "training_curves.svg")
            try AtomicFile.write(try TrainingCurves.render(url), to: file)
            for path in try FigureFormat.convert([file.path], to: formats) { print("wrote \(path)") }
            return
        }
        let chosen = try figure.map(Figure.named) ?? Figure.recorded(in: url)
        let written = try chosen.render(
            from: url, into: OutputDirectory.resolve(plots ?? directory, key: "--plots"), pgf: formats.contains(.pgf))
        for path in try FigureFormat.convert(written, to: formats) { print("wrote \(path)") }
    }
}

/// `--format`, shared by `figure` and `plot`.
struct FormatOptions: ParsableArguments {
    @Option(
        name: .long,
        help:
            "Picture formats, comma-separated: svg, pdf, png, pgf (pdf and png are converted from the svg by rsvg-convert; pgf writes pgfplots .tex + .dat for heatmaps and line plots)."
    )
    var format = "svg"

    func formats() throws -> [FigureFormat] { try FigureFormat.parse(format) }
}
