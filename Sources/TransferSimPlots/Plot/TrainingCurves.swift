import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim plot RUN_DIR`: the training curves of one run (a `transfersim run` directory or a kept cell run),
/// transfer against baseline over fine-tuning — the training loss (log scale), the training and test errors
/// (noisy labels), and feature learning `max γ` against noise memorisation `max ρ̄` (docs/model.md §5).
package enum TrainingCurves {
    /// Whether `directory` holds a run's output (`summary.json` and `history.csv`).
    package static func isRun(_ directory: URL) -> Bool {
        ["summary.json", "history.csv"].allSatisfy {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
    }

    /// The SVG: three panels side by side, transfer orange and baseline green; errors of the training set solid and
    /// of the test draws dashed; `γ` solid and `ρ̄` dashed.
    ///
    /// - Throws: ``PlotError`` for a missing or malformed `history.csv`.
    package static func render(_ directory: URL) throws -> String {
        let history = try HistoryTable(
            directory: directory,
            columns: [
                "step", "loss", "train_error", "test_error", "gamma_pos_max",
                "gamma_neg_max", "rho_bar_max",
            ])
        let stages = [(Stage.transfer.rawValue, "#d95f02"), (Stage.baseline.rawValue, "#1b9e77")]
        typealias Curve = (stage: String, color: String, dashed: Bool, values: [Double])
        let gamma = { (stage: String) in
            zip(history[stage, "gamma_pos_max"], history[stage, "gamma_neg_max"]).map { max($0, $1) }
        }
        let panels: [(title: String, logarithmic: Bool, curves: [Curve])] = [
            ("training loss (log scale)", true, stages.map { ($0.0, $0.1, false, history[$0.0, "loss"]) }),
            (
                "error: training (solid), test (dashed)", false,
                stages.flatMap {
                    [
                        ($0.0, $0.1, false, history[$0.0, "train_error"]),
                        ($0.0, $0.1, true, history[$0.0, "test_error"]),
                    ]
                }
            ),
            (
                "max γ (solid) vs max ρ̄ (dashed)", false,
                stages.flatMap { [($0.0, $0.1, false, gamma($0.0)), ($0.0, $0.1, true, history[$0.0, "rho_bar_max"])] }
            ),
        ]
        let panelWidth = 300.0, height = 260.0, left = 70.0, top = 56.0, gap = 80.0
        var svg = SVGDocument(width: left + 3 * (panelWidth + gap), height: top + height + 90)
        svg.text(
            "Training curves: transfer (orange) against baseline (green)", x: (left + 3 * (panelWidth + gap)) / 2,
            y: 24,
            size: 15, anchor: "middle", weight: "bold")
        let lastStep = stages.flatMap { history[$0.0, "step"] }.max() ?? 1
        for (k, panel) in panels.enumerated() {
            let x0 = left + Double(k) * (panelWidth + gap)
            let transform = { (v: Double) in panel.logarithmic ? log10(max(v, 1e-300)) : v }
            let finite = panel.curves.flatMap(\.values).filter { $0.isFinite && (!panel.logarithmic || $0 > 0) }.map(
                transform)
            // A log axis ticks at whole powers of ten.
            let ticks =
                panel.logarithmic
                ? Ticks.exponents(finite.min() ?? -1, finite.max() ?? 0)
                : Ticks.nice(finite.min() ?? 0, finite.max() ?? 1)
            let px = { (s: Double) in x0 + s / max(lastStep, 1) * panelWidth }
            let py = { (v: Double) in top + height - (transform(v) - ticks.low) / (ticks.high - ticks.low) * height }
            svg.rect(x: x0, y: top, width: panelWidth, height: height, fill: "none", stroke: "#333333")
            for v in ticks.values {
                let y = top + height - (v - ticks.low) / (ticks.high - ticks.low) * height
                svg.line(x0, y, x0 + panelWidth, y, stroke: "#e5e5e5")
                svg.text(Ticks.label(panel.logarithmic ? pow(10, v) : v), x: x0 - 6, y: y + 4, size: 10, anchor: "end")
            }
            for s in Ticks.nice(0, lastStep).values where s <= lastStep {
                svg.text(Ticks.label(s), x: px(s), y: top + height + 16, size: 10, anchor: "middle")
            }
            for curve in panel.curves {
                let points = zip(history[curve.stage, "step"], curve.values).filter {
                    $0.1.isFinite && (!panel.logarithmic || $0.1 > 0)
                }
                .map { (px($0.0), py($0.1)) }
                guard !points.isEmpty else { continue }
                svg.path(
                    points.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(SVGDocument.n(p.0)) \(SVGDocument.n(p.1))"
                    }.joined(),
                    stroke: curve.color, width: 2, dash: curve.dashed ? "5 3" : nil, cssClass: "series")
            }
            svg.text(panel.title, x: x0 + panelWidth / 2, y: top - 10, size: 12, anchor: "middle")
            svg.text("step t", x: x0 + panelWidth / 2, y: top + height + 36, size: 12, anchor: "middle")
        }
        return svg.text
    }
}
