import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// Feature learning against noise memorisation over fine-tuning (docs/model.md §5): for each cell, max γ and
/// max ρ̄ of the transfer and baseline stages against the step, read from the cells' `history.csv`.
///
/// A dynamics figure's directory holds one run directory per cell (`cell-0`, `cell-1`, …, each as
/// `transfersim run` writes it for replicate 0 of that cell of the figure's sweep config).
package struct DynamicsPlot: Sendable {
    /// Title above the panels.
    package var title: String

    /// A plot; see the properties.
    package init(title: String) {
        self.title = title
    }

    /// One cell's curves.
    struct Panel {
        let caption: String
        let steps: [String: [Double]]
        let gamma: [String: [Double]]
        let rho: [String: [Double]]
    }

    /// Reads `cell-*/history.csv` and `summary.json` under `directory`.
    static func panels(_ directory: URL) throws -> [Panel] {
        let manager = FileManager.default
        let cells = ((try? manager.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("cell-") }
            .sorted()
        guard !cells.isEmpty else {
            throw PlotError(
                key: directory.path, "holds no cell-*/history.csv (run `transfersim figure dynamics` first)")
        }
        return try cells.map { cell in
            let runDirectory = directory.appendingPathComponent(cell)
            let history = try HistoryTable(
                directory: runDirectory, columns: ["step", "gamma_pos_max", "gamma_neg_max", "rho_bar_max"])
            var steps: [String: [Double]] = [:], gamma: [String: [Double]] = [:], rho: [String: [Double]] = [:]
            for stage in [Stage.transfer.rawValue, Stage.baseline.rawValue] where !history[stage, "step"].isEmpty {
                steps[stage] = history[stage, "step"]
                gamma[stage] = zip(history[stage, "gamma_pos_max"], history[stage, "gamma_neg_max"]).map { max($0, $1) }
                rho[stage] = history[stage, "rho_bar_max"]
            }
            let summary = try String(contentsOf: runDirectory.appendingPathComponent("summary.json"), encoding: .utf8)
            let gain =
                summary.split(separator: "\n").first { $0.contains("\"transfer_gain\"") }
                .flatMap { $0.split(separator: ":").dropFirst().first }
                .flatMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: " ,"))) } ?? .nan
            let config = try ConfigLoader.readFlat(
                path: runDirectory.appendingPathComponent("config.resolved.yaml").path)
            let value = { (key: String) in config.first { $0.key == key }?.value ?? "?" }
            let regime = gain < 0 ? "negative transfer" : "beneficial transfer"
            let caption =
                "‖u‖ = \(value("u_norm")), d = \(value("d")): gain \(String(format: "%+.3f", gain)) (\(regime))"
            return Panel(caption: caption, steps: steps, gamma: gamma, rho: rho)
        }
    }

    /// The figure as SVG: one panel per cell, `<polyline class="series">` per curve (γ solid, ρ̄ dashed;
    /// transfer orange, baseline green).
    package func render(from directory: URL) throws -> String {
        let panels = try Self.panels(directory)
        let panelWidth = 360.0, height = 300.0, left = 70.0, top = 56.0, gap = 80.0
        var svg = SVGDocument(width: left + Double(panels.count) * (panelWidth + gap), height: top + height + 110)
        svg.text(
            title, x: (left + Double(panels.count) * (panelWidth + gap)) / 2, y: 26, size: 15, anchor: "middle",
            weight: "bold")
        let colors = [Stage.transfer.rawValue: "#d95f02", Stage.baseline.rawValue: "#1b9e77"]
        for (k, panel) in panels.enumerated() {
            let x0 = left + Double(k) * (panelWidth + gap)
            let allValues = (Array(panel.gamma.values.joined()) + Array(panel.rho.values.joined())).filter(\.isFinite)
            let high = max(allValues.max() ?? 1, 1e-9) * 1.05
            let lastStep = panel.steps.values.joined().max() ?? 1
            let px = { (s: Double) in x0 + s / max(lastStep, 1) * panelWidth }
            let py = { (v: Double) in top + height - v / high * height }
            svg.rect(x: x0, y: top, width: panelWidth, height: height, fill: "none", stroke: "#333333")
            for t in 0...4 {
                let v = high * Double(t) / 4
                svg.line(x0, py(v), x0 + panelWidth, py(v), stroke: "#e5e5e5")
                svg.text(String(format: "%.3g", v), x: x0 - 6, y: py(v) + 4, size: 10, anchor: "end")
                let s = lastStep * Double(t) / 4
                svg.text(String(format: "%.0f", s), x: px(s), y: top + height + 16, size: 10, anchor: "middle")
            }
            for stage in [Stage.transfer.rawValue, Stage.baseline.rawValue] {
                guard let steps = panel.steps[stage] else { continue }
                let color = colors[stage] ?? "#000000"
                svg.polyline(
                    zip(steps, panel.gamma[stage] ?? []).map { (px($0), py($1)) }, stroke: color, width: 2,
                    cssClass: "series")
                svg.path(
                    zip(steps, panel.rho[stage] ?? []).enumerated().map { i, p in
                        "\(i == 0 ? "M" : "L")\(SVGDocument.n(px(p.0))) \(SVGDocument.n(py(p.1)))"
                    }.joined(),
                    stroke: color, width: 2, dash: "5 3", cssClass: "series")
            }
            svg.text(panel.caption, x: x0 + panelWidth / 2, y: top - 10, size: 12, anchor: "middle")
            svg.text("fine-tuning step t", x: x0 + panelWidth / 2, y: top + height + 36, size: 12, anchor: "middle")
        }
        let legend = [
            ("max γ (feature learning), transfer", "#d95f02", false),
            ("max ρ̄ (noise memorisation), transfer", "#d95f02", true),
            ("max γ, baseline", "#1b9e77", false), ("max ρ̄, baseline", "#1b9e77", true),
        ]
        for (i, entry) in legend.enumerated() {
            let x = left + Double(i % 2) * 320, y = top + height + 64 + Double(i / 2) * 18
            svg.line(x, y - 4, x + 26, y - 4, stroke: entry.1, width: 2, dash: entry.2 ? "5 3" : nil)
            svg.text(entry.0, x: x + 32, y: y, size: 11)
        }
        return svg.text
    }
}
