import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// A picture as pgfplots code for a LaTeX paper (`--format pgf`): `<name>.tex` holds one `tikzpicture` to `\input`
/// (the paper's preamble loads `pgfplots`), typeset in the paper's own fonts, and `<name>.dat` its data table. The
/// same ranges, ticks, labels and colour maps as the SVG (a heatmap's contour is the sign change of its colours).
/// Heatmaps and line plots; the dynamics and training-curve pictures have no pgf form.
struct PGFPicture {
    /// The `tikzpicture`.
    let tex: String
    /// The data table (whitespace-separated, header line, `nan` for a missing value).
    let data: String

    /// The Unicode the titles use, as LaTeX math that every engine (pdfLaTeX included) typesets.
    private static let math: [Character: String] = [
        "−": "-", "±": "\\pm", "×": "\\times", "·": "\\cdot", "≤": "\\le", "≥": "\\ge", "‖": "\\|", "→": "\\to",
        "α": "\\alpha", "β": "\\beta", "γ": "\\gamma", "Γ": "\\Gamma", "δ": "\\delta", "ε": "\\varepsilon",
        "η": "\\eta",
        "κ": "\\kappa", "λ": "\\lambda", "Λ": "\\Lambda", "μ": "\\mu", "ξ": "\\xi", "ρ": "\\rho", "σ": "\\sigma",
        "τ": "\\tau",
        "₀": "_0", "₁": "_1", "₂": "_2", "₃": "_3", "₄": "_4", "⁰": "^0", "¹": "^1", "²": "^2", "³": "^3", "⁴": "^4",
    ]

    /// LaTeX-escaped text: special characters escaped, the Unicode of ``math`` as inline math (a combining macron,
    /// as in `ρ̄`, as `\bar`), anything else dropped to `?` so that pdfLaTeX never stops on a title.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if let math = math[character] {
                escaped += "$\(math)$"
                continue
            }
            let scalars = character.unicodeScalars
            if scalars.count == 2, scalars.last == "\u{0304}", let base = math[Character(scalars.first!)] {
                escaped += "$\\bar{\(base)}$"
                continue
            }
            switch character {
            case "_", "%", "&", "#", "$", "{", "}": escaped += "\\" + String(character)
            default: escaped += character.isASCII ? String(character) : "?"
            }
        }
        return escaped.replacingOccurrences(of: "$$", with: "")
    }

    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "nan" }

    /// A heatmap: cell `(i, j)` of the 2-D table, coloured by `plot.colorMap`.
    init(heatmap plot: HeatmapPlot, table: SweepTable, dataFile: String) {
        let plan = table.plan
        let xAxis = plan.spec.axes[0], yAxis = plan.spec.axes[1]
        var rows = ["i j value"]
        for j in yAxis.points.indices {
            for i in xAxis.points.indices {
                rows.append(
                    "\(i) \(j) \(Self.number(table.value(plan.cells[plan.cellIndex(x: i, y: j)], plot.column)))")
            }
        }
        data = rows.joined(separator: "\n") + "\n"
        let colormap: String, low: Double, high: Double
        switch plot.colorMap {
        case .sequential(let a, let b): (colormap, low, high) = ("colormap/viridis", a, b)
        case .diverging(let limit):
            (colormap, low, high) = (
                "colormap={redwhiteblue}{rgb255=(178,24,43) rgb255=(255,255,255) rgb255=(33,102,172)}", -limit, limit
            )
        case .binary(let threshold, let below):
            let (dark, light) = ("rgb255=(44,62,122)", "rgb255=(242,230,184)")
            (colormap, low, high) = (
                "colormap={binary}{\(below ? dark : light) \(below ? dark : light) \(below ? light : dark) \(below ? light : dark)}",
                threshold - 1, threshold + 1
            )
        }
        let ticks = { (axis: SweepSpec.Axis) in
            (
                HeatmapPlot.tickIndices(axis.points.count).map(String.init).joined(separator: ","),
                HeatmapPlot.tickIndices(axis.points.count).map { Self.escape(axis.points[$0][0]) }.joined(
                    separator: ",")
            )
        }
        let (xt, xl) = ticks(xAxis), (yt, yl) = ticks(yAxis)
        tex = """
            % pgfplots picture written by transfersim; \\input it in a document whose preamble has \\usepackage{pgfplots}.
            \\begin{tikzpicture}
            \\begin{axis}[
              title={\(Self.escape(plot.title))}, xlabel={\(Self.escape(HeatmapPlot.axisLabel(xAxis)))}, ylabel={\(Self.escape(HeatmapPlot.axisLabel(yAxis)))},
              \(colormap), colorbar, colorbar style={ylabel={\(Self.escape(plot.legend))}},
              point meta min=\(low), point meta max=\(high), enlargelimits=false, axis on top,
              xtick={\(xt)}, xticklabels={\(xl)}, ytick={\(yt)}, yticklabels={\(yl)},
              unbounded coords=jump]
            \\addplot[matrix plot*, mesh/cols=\(xAxis.points.count), point meta=explicit] table[x=i, y=j, meta=value] {\(dataFile)};
            \\end{axis}
            \\end{tikzpicture}

            """
    }

    /// A line plot: each series' mean with ±1 standard-error bars against the sweep's one axis.
    init(lines plot: LinePlot, table: SweepTable, dataFile: String) {
        let plan = table.plan
        let axis = plan.spec.axes[0]
        let xs = axis.points.map { Double($0[0]) ?? .nan }
        var rows = ["x " + plot.series.indices.map { "mean\($0) se\($0)" }.joined(separator: " ")]
        var all: [Double] = []
        for (i, cell) in plan.cells.enumerated() {
            var fields = [Self.number(xs[i])]
            for series in plot.series {
                let mean = table.value(cell, "\(series.metric)_mean"), se = table.value(cell, "\(series.metric)_se")
                fields += [Self.number(mean), Self.number(se.isFinite ? se : 0)]
                if mean.isFinite { all += [mean - (se.isFinite ? se : 0), mean + (se.isFinite ? se : 0)] }
            }
            rows.append(fields.joined(separator: " "))
        }
        data = rows.joined(separator: "\n") + "\n"
        let ticks = Ticks.nice(all.min() ?? 0, all.max() ?? 1)
        let logarithmic = xs.allSatisfy { $0 > 0 } && (xs.max() ?? 1) / (xs.min() ?? 1) >= 20
        let plots = plot.series.enumerated().map { k, series -> String in
            let color = series.color.dropFirst()
            return "\\definecolor{series\(k)}{HTML}{\(color.uppercased())}\n"
                + "\\addplot[color=series\(k), mark=*, error bars/.cd, y dir=both, y explicit] table[x=x, y=mean\(k), y error=se\(k)] {\(dataFile)};\n"
                + "\\addlegendentry{\(Self.escape(series.label))}"
        }.joined(separator: "\n")
        tex = """
            % pgfplots picture written by transfersim; \\input it in a document whose preamble has \\usepackage{pgfplots}.
            \\begin{tikzpicture}
            \\begin{axis}[
              title={\(Self.escape(plot.title))}, xlabel={\(Self.escape(HeatmapPlot.axisLabel(axis)))}, ylabel={\(Self.escape(plot.yLabel))},
              \(logarithmic ? "xmode=log, " : "")ymin=\(ticks.low), ymax=\(ticks.high), ytick={\(ticks.values.map(Ticks.label).joined(separator: ","))},
              legend pos=outer north east, unbounded coords=jump]
            \(plots)
            \\end{axis}
            \\end{tikzpicture}

            """
    }
}
