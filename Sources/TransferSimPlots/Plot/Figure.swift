import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The paper's figures (docs/model.md §9, §10) and how each is drawn from its sweep.
///
/// A figure is a sweep config `experiments/<name>.yaml` (and `<name>-quick.yaml`, seconds to run) plus
/// the panels drawn from its `summary.csv`. Accuracies are against noisy labels, as the paper's figures.
public struct Figure: Sendable {
    /// One picture of a figure.
    package enum Panel: Sendable {
        /// A heatmap of a 2-D sweep.
        case heatmap(HeatmapPlot)
        /// Curves against a 1-D sweep's axis.
        case lines(LinePlot)
        /// γ and ρ̄ over training, from one run per cell (`cell-k/`).
        case dynamics(DynamicsPlot)
        /// A slice of a sweep of any dimension (heatmaps faceted by an axis, or lines by series; ``SlicePlot``).
        case slice(SlicePlot)
    }

    /// Figure name (`fig1a`, …); also the config file's stem.
    public let name: String
    /// What the figure asks.
    public let question: String
    /// Panels by file suffix: `<name>_<suffix>.svg`.
    package let panels: [(suffix: String, panel: Panel)]

    /// Figures in the order of `experiments/README.md`.
    public static let all: [Figure] = [
        accuracyLines(
            "fig1a", "Fig. 1a: downstream accuracy against the source sample size N₁",
            question: "Does transfer improve with more upstream data (Theorem 4.2)?"),
        accuracyLines(
            "fig1b", "Fig. 1b: downstream accuracy against the source noise σ_{p,1}",
            question: "Does a noisier source hurt transfer?"),
        accuracyLines(
            "fig1c", "Fig. 1c: downstream accuracy against ‖u‖ at fixed ‖u + v₂‖",
            question: "How much shared signal does transfer need to beat the baseline?"),
        Figure(
            name: "fig2",
            question: "Where in (‖u‖, d) is downstream accuracy above 0.65 / 0.70, with and without transfer?",
            panels: [
                (
                    "transfer_accuracy",
                    .heatmap(
                        HeatmapPlot(
                            title: "Fig. 2a: accuracy with transfer", column: "transfer_test_accuracy_mean",
                            colorMap: .sequential(low: 0.5, high: 0.9), contour: 0.7, legend: "test accuracy",
                            boundaries: [.transferGain]))
                ),
                (
                    "transfer_065",
                    .heatmap(
                        HeatmapPlot(
                            title: "Fig. 2b: transfer accuracy ≥ 0.65", column: "transfer_test_accuracy_mean",
                            colorMap: .binary(threshold: 0.65, below: false), contour: 0.65, legend: "accuracy"))
                ),
                (
                    "transfer_070",
                    .heatmap(
                        HeatmapPlot(
                            title: "Fig. 2c: transfer accuracy ≥ 0.70", column: "transfer_test_accuracy_mean",
                            colorMap: .binary(threshold: 0.70, below: false), contour: 0.70, legend: "accuracy"))
                ),
                (
                    "baseline_accuracy",
                    .heatmap(
                        HeatmapPlot(
                            title: "Accuracy without transfer (baseline)", column: "baseline_test_accuracy_mean",
                            colorMap: .sequential(low: 0.5, high: 0.9), contour: 0.7, legend: "test accuracy",
                            boundaries: [.baselineDichotomy]))
                ),
                (
                    "baseline_070",
                    .heatmap(
                        HeatmapPlot(
                            title: "Baseline accuracy ≥ 0.70", column: "baseline_test_accuracy_mean",
                            colorMap: .binary(threshold: 0.70, below: false), contour: 0.70, legend: "accuracy"))
                ),
                (
                    "gain",
                    gainPanel(
                        "Transfer gain (transfer − baseline accuracy)", boundaries: [.transferGain, .baselineDichotomy])
                ),
            ]),
        Figure(
            name: "alpha",
            question:
                "For which inherited fraction α and shared signal ‖u‖ does transfer help, and where does it hurt?",
            panels: [
                (
                    "gain",
                    gainPanel("Transfer gain over (α, ‖u‖); red = negative transfer", boundaries: [.transferGain])
                ),
                (
                    "transfer_accuracy",
                    .heatmap(
                        HeatmapPlot(
                            title: "Accuracy with transfer", column: "transfer_test_accuracy_mean",
                            colorMap: .sequential(low: 0.5, high: 0.9), contour: nil, legend: "test accuracy"))
                ),
            ]),
        Figure(
            name: "dynamics",
            question:
                "Does feature learning (γ) or noise memorisation (ρ̄) drive fine-tuning, in a harmful and a beneficial cell?",
            panels: [
                (
                    "gamma_rho",
                    .dynamics(DynamicsPlot(title: "Feature learning γ vs noise memorisation ρ̄ during fine-tuning"))
                )
            ]),
        Figure(
            name: "recipes",
            question:
                "Which transfer recipe (docs/model.md §11) avoids negative transfer at small ‖u‖, and what does it cost at large ‖u‖?",
            panels: [
                ("gain", .slice(SlicePlot(metric: "transfer_gain", x: "u_norm", y: "d", facet: "recipe"))),
                (
                    "gain_lines",
                    .slice(SlicePlot(metric: "transfer_gain", x: "u_norm", series: "recipe", fixed: ["d": "600"]))
                ),
            ]),
        Figure(
            name: "kou2023",
            question: "Kou et al.'s phase diagram: where does a network trained from scratch overfit benignly?",
            panels: [
                (
                    "test_error",
                    .heatmap(
                        HeatmapPlot(
                            title: "Test error (noisy labels), trained from scratch",
                            column: "baseline_test_error_mean",
                            colorMap: .sequential(low: 0.1, high: 0.5), contour: 0.2, legend: "test error",
                            boundaries: [.baselineDichotomy]))
                ),
                (
                    "test_error_020",
                    .heatmap(
                        HeatmapPlot(
                            title: "Test error ≤ 0.2 (benign overfitting)", column: "baseline_test_error_mean",
                            colorMap: .binary(threshold: 0.2, below: true), contour: 0.2, legend: "test error",
                            boundaries: [.baselineDichotomy]))
                ),
            ]),
    ]

    /// The figure named `name`.
    ///
    /// - Throws: ``PlotError`` listing the known names.
    public static func named(_ name: String) throws -> Figure {
        guard let figure = all.first(where: { $0.name == name }) else {
            throw PlotError(
                key: "figure", "unknown figure '\(name)'; known: \(all.map(\.name).joined(separator: ", "))")
        }
        return figure
    }

    /// Panels for a `transfersim diff` directory, whose `*_mean` columns are differences `A − B`: the gain and both
    /// accuracies on diverging colour maps symmetric about 0, their range taken from the data, cells whose 95%
    /// interval contains 0 marked with a dot (1-D: lines). Titles name the two sweeps (`names`, from `diff.txt`).
    public static func difference(_ table: SweepTable, names: (a: String, b: String)? = nil) -> Figure {
        let which = names.map { " (A = \($0.a), B = \($0.b))" } ?? ""
        let metrics = [
            ("gain", "transfer_gain", "Transfer gain, A − B\(which)"),
            ("transfer_accuracy", "transfer_test_accuracy", "Accuracy with transfer, A − B\(which)"),
            ("baseline_accuracy", "baseline_test_accuracy", "Accuracy without transfer, A − B\(which)"),
        ]
        guard table.plan.spec.axes.count <= 2 else { return Figure(name: "difference", question: "", panels: []) }
        guard table.plan.spec.axes.count == 2 else {
            return Figure(
                name: "difference", question: "",
                panels: [
                    (
                        "lines",
                        .lines(
                            LinePlot(
                                title: "Differences A − B\(which), ±1 SE", yLabel: "difference A − B",
                                series: [
                                    LinePlot.Series(label: "transfer gain", metric: "transfer_gain", color: "#7570b3"),
                                    LinePlot.Series(
                                        label: "accuracy with transfer", metric: "transfer_test_accuracy",
                                        color: "#d95f02"),
                                    LinePlot.Series(
                                        label: "accuracy without transfer", metric: "baseline_test_accuracy",
                                        color: "#1b9e77"),
                                ]))
                    )
                ])
        }
        return Figure(
            name: "difference", question: "",
            panels: metrics.map { suffix, metric, title in
                let largest =
                    table.plan.cells.map { abs(table.value($0, "\(metric)_mean")) }.filter(\.isFinite).max() ?? 0
                var plot = HeatmapPlot(
                    title: title, column: "\(metric)_mean", colorMap: .diverging(limit: max(largest, 1e-12)),
                    legend: "A − B")
                plot.markUncertain = true
                return (suffix, .heatmap(plot))
            })
    }

    /// Panels for a sweep that is not a named figure: accuracy lines (1-D) or accuracy and gain heatmaps (2-D).
    public static func generic(dimensions: Int) -> Figure {
        if dimensions == 1 {
            let accuracy = accuracyLines("sweep", "Test accuracy with and without transfer", question: "")
            return Figure(
                name: "sweep", question: "",
                panels: accuracy.panels + [
                    (
                        "gain",
                        .lines(
                            LinePlot(
                                title: "Transfer gain (negative: negative transfer)", yLabel: "transfer gain, ±1 SE",
                                series: [
                                    LinePlot.Series(
                                        label: "transfer gain = accuracy with − without transfer",
                                        metric: "transfer_gain", color: "#7570b3")
                                ]))
                    )
                ])
        }
        return Figure(
            name: "sweep", question: "",
            panels: [
                (
                    "transfer_accuracy",
                    .heatmap(
                        HeatmapPlot(
                            title: "Accuracy with transfer", column: "transfer_test_accuracy_mean",
                            colorMap: .sequential(low: 0.5, high: 1), contour: nil, legend: "test accuracy"))
                ),
                (
                    "baseline_accuracy",
                    .heatmap(
                        HeatmapPlot(
                            title: "Accuracy without transfer", column: "baseline_test_accuracy_mean",
                            colorMap: .sequential(low: 0.5, high: 1), contour: nil, legend: "test accuracy"))
                ),
                ("gain", gainPanel("Transfer gain; red = negative transfer")),
            ])
    }

    private static func gainPanel(_ title: String, boundaries: [BoundarySpec] = []) -> Panel {
        .heatmap(
            HeatmapPlot(
                title: title, column: "transfer_gain_mean", colorMap: .diverging(limit: 0.2), contour: 0,
                legend: "gain", boundaries: boundaries))
    }

    private static func accuracyLines(_ name: String, _ title: String, question: String) -> Figure {
        Figure(
            name: name, question: question,
            panels: [
                (
                    "accuracy",
                    .lines(
                        LinePlot(
                            title: title, yLabel: "test accuracy (noisy labels), ±1 SE",
                            series: [
                                LinePlot.Series(
                                    label: "with transfer", metric: "transfer_test_accuracy", color: "#d95f02"),
                                LinePlot.Series(
                                    label: "without transfer (baseline)", metric: "baseline_test_accuracy",
                                    color: "#1b9e77"),
                            ]))
                )
            ])
    }

    /// Renders every panel that fits the sweep in `directory` and writes `<name>_<suffix>.svg` into
    /// `plots` (atomically). Returns the written paths.
    ///
    /// - Throws: ``PlotError`` if the sweep's dimensions do not fit the panels or a file cannot be written.
    ///
    /// With `pgf`, each heatmap and line panel is also written as `<name>_<suffix>.tex` and `.dat` (``PGFPicture``).
    public func render(from directory: URL, into plots: URL, pgf: Bool = false) throws -> [String] {
        let table = try SweepTable(directory: directory)
        let dimensions = table.plan.spec.axes.count
        try FileManager.default.createDirectory(at: plots, withIntermediateDirectories: true)
        var written: [String] = []
        for (suffix, panel) in panels {
            let text: String
            switch panel {
            case .heatmap(let plot):
                guard dimensions == 2 else {
                    throw PlotError(key: name, "heatmaps need a 2-D sweep, this one has \(dimensions) axes")
                }
                text = plot.render(table)
            case .lines(let plot):
                guard dimensions == 1 else {
                    throw PlotError(key: name, "line plots need a 1-D sweep, this one has \(dimensions) axes")
                }
                text = plot.render(table)
            case .dynamics(let plot):
                text = try plot.render(from: directory)
            case .slice(let plot):
                text = try plot.render(table)
            }
            // A sweep that is no named figure names its pictures after its directory.
            let prefix = name == "sweep" ? directory.standardizedFileURL.lastPathComponent : name
            let url = plots.appendingPathComponent("\(prefix)_\(suffix).svg")
            try AtomicFile.write(text, to: url)
            written.append(url.path)
            guard pgf else { continue }
            let dataName = "\(prefix)_\(suffix).dat"
            let picture: PGFPicture?
            switch panel {
            case .heatmap(let plot): picture = PGFPicture(heatmap: plot, table: table, dataFile: dataName)
            case .lines(let plot): picture = PGFPicture(lines: plot, table: table, dataFile: dataName)
            case .dynamics, .slice: picture = nil
            }
            if let picture {
                let tex = plots.appendingPathComponent("\(prefix)_\(suffix).tex"),
                    dat = plots.appendingPathComponent(dataName)
                try AtomicFile.write(picture.data, to: dat)
                try AtomicFile.write(picture.tex, to: tex)
                written += [tex.path, dat.path]
            }
        }
        return written
    }
}
