import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Counts elements of an SVG by name and class; parsing fails on malformed XML.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        counts[name, default: 0] += 1
        if let cssClass = attributes["class"] { counts["\(name).\(cssClass)", default: 0] += 1 }
    }

    static func count(_ svg: String) -> [String: Int]? {
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        return parser.parse() ? counter.counts : nil
    }
}

@Suite struct PlotTests {
    static func sweep(_ grid: String, base: String = SweepTests.base) throws -> (root: URL, table: SweepTable) {
        let (root, config) = try SweepTests.setUp(base + grid)
        let out = root.appendingPathComponent("out")
        _ = try SweepRunner(plan: try SweepPlan.load(path: config), directory: out.path).run()
        return (root, try SweepTable(directory: out))
    }

    @Test("heatmaps are well-formed SVG with one cell per grid point and a threshold contour")
    func heatmap_wellFormed() throws {
        let (root, table) = try Self.sweep("grid:\n  alpha: [0, 0.5, 1]\n  u_norm: [0, 1, 2, 2.5]\n")
        defer { try? FileManager.default.removeItem(at: root) }
        for panel in Figure.generic(dimensions: 2).panels {
            guard case .heatmap(let plot) = panel.panel else { Issue.record("expected heatmaps"); continue }
            let counts = try #require(ElementCounter.count(plot.render(table)))
            #expect(counts["rect.cell"] == 12)
        }
        // summary.csv's `alpha` column crosses 0.25 between the first and second x columns: one contour.
        let plot = HeatmapPlot(
            title: "t", column: "alpha", colorMap: .sequential(low: 0, high: 1), contour: 0.25, legend: "α")
        let svg = plot.render(table)
        let counts = try #require(ElementCounter.count(svg))
        #expect(counts["path.contour"] == 1)
        // The contour's own path data: one vertical edge (a `V` command) per y row, between the first two columns.
        let contour = try #require(svg.split(separator: "<path ").first { $0.contains(##"class="contour""##) })
        let data = try #require(contour.split(separator: "\"").dropFirst().first)
        #expect(data.filter { $0 == "V" }.count == 4)
        let flat = HeatmapPlot(
            title: "t", column: "alpha", colorMap: .sequential(low: 0, high: 1), contour: 2, legend: "α")
        #expect(ElementCounter.count(flat.render(table))?["path.contour"] == nil)
        let binary = HeatmapPlot(
            title: "a < b & c", column: "transfer_test_accuracy_mean", colorMap: .binary(threshold: 0.7, below: false),
            legend: "x")
        #expect(ElementCounter.count(binary.render(table))?["rect.cell"] == 12)
    }

    @Test("line plots are well-formed SVG with a curve per series and ±1 SE bars per point")
    func linePlot_wellFormed() throws {
        let (root, table) = try Self.sweep("grid:\n  n1: [6, 12, 24]\nreplicates: 2\n")
        defer { try? FileManager.default.removeItem(at: root) }
        guard case .lines(let plot) = Figure.generic(dimensions: 1).panels[0].panel else {
            Issue.record("expected lines"); return
        }
        let counts = try #require(ElementCounter.count(plot.render(table)))
        #expect(counts["polyline.series"] == 2)
        #expect(counts["line.errorbar"] == 6)
    }

    @Test("figures render from a finished sweep directory and refuse a sweep of the wrong shape")
    func figure_rendersAndChecksShape() throws {
        let (root, _) = try Self.sweep("grid:\n  n1: [6, 12]\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let written = try Figure.recorded(in: out).render(from: out, into: root.appendingPathComponent("plots"))
        // A generic 1-D sweep: accuracies and the gain, named after the directory.
        #expect(written.map { URL(fileURLWithPath: $0).lastPathComponent } == ["out_accuracy.svg", "out_gain.svg"])
        #expect(written.allSatisfy { FileManager.default.fileExists(atPath: $0) })
        #expect(throws: PlotError.self) { try Figure.named("fig2").render(from: out, into: root) }
        #expect(throws: PlotError.self) { try Figure.named("nope") }
    }

    @Test("every figure has a full and a quick config that load as sweeps of the right shape")
    func figureConfigs_load() throws {
        let experiments = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("experiments").path
        for figure in Figure.all {
            for quick in [false, true] {
                let plan = try SweepPlan.load(path: figure.configPath(experiments: experiments, quick: quick))
                // Slices name every axis they use (plotted, faceted or fixed); heatmaps need two, lines one.
                let slices = figure.panels.compactMap { if case .slice(let slice) = $0.panel { slice } else { nil } }
                let expected =
                    slices.first.map { Set([$0.x, $0.y, $0.series, $0.facet].compactMap { $0 } + $0.fixed.keys).count }
                    ?? (figure.panels.contains { if case .heatmap = $0.panel { true } else { false } } ? 2 : 1)
                #expect(plan.spec.axes.count == expected, "\(figure.name) quick=\(quick)")
                for slice in slices {
                    #expect(
                        Set([slice.x, slice.y, slice.series, slice.facet].compactMap { $0 } + slice.fixed.keys)
                            == Set(plan.spec.axes.map(\.name)))
                }
            }
        }
    }

    @Test("the dynamics figure writes one run per cell and draws γ and ρ̄ of both stages in each panel")
    func dynamics_rendersEveryCell() throws {
        let (root, _) = try SweepTests.setUp("")
        defer { try? FileManager.default.removeItem(at: root) }
        try (SweepTests.base + "alpha: 1\ngrid:\n  u_norm: [0, 2]\n").write(
            to: root.appendingPathComponent("dynamics.yaml"), atomically: true, encoding: .utf8)
        let out = root.appendingPathComponent("out")
        let figure = try Figure.named("dynamics")
        let plan = try SweepPlan.load(path: figure.configPath(experiments: root.path, quick: false))
        _ = try SweepRunner(plan: plan, directory: out.path, threads: 1).run()
        #expect(figure.drawsDynamics)
        try CellRuns.write(plan, into: out)
        try figure.record(in: out)
        let written = try figure.render(from: out, into: out)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("cell-1/history.csv").path))
        let counts = try #require(ElementCounter.count(try String(contentsOfFile: written[0], encoding: .utf8)))
        #expect(counts["polyline.series"] == 4 && counts["path.series"] == 4)
        // `plot` redraws it from the directory alone.
        #expect(try Figure.recorded(in: out).name == "dynamics")
    }
}

@Suite struct ClippingTests {
    @Test("cells beyond a heatmap's colour scale are marked, with a legend; cells within it are not")
    func clippedCells_marked() throws {
        let (root, table) = try PlotTests.sweep("grid:\n  alpha: [0, 0.5, 1]\n  u_norm: [0, 1, 2, 2.5]\n")
        defer { try? FileManager.default.removeItem(at: root) }
        // α itself as the column: a sequential map over [0.2, 0.8] clips α = 0 and α = 1 (4 cells each).
        let svg = HeatmapPlot(title: "t", column: "alpha", colorMap: .sequential(low: 0.2, high: 0.8), legend: "α")
            .render(table)
        #expect(try #require(ElementCounter.count(svg))["path.clipped"] == 8)
        #expect(svg.contains("beyond the colour scale"))
        let unclipped = HeatmapPlot(title: "t", column: "alpha", colorMap: .sequential(low: 0, high: 1), legend: "α")
            .render(table)
        #expect(try #require(ElementCounter.count(unclipped))["path.clipped"] == nil)
    }
}

@Suite struct PGFTests {
    @Test(
        "pgf: each heatmap and line panel becomes a tikzpicture and its data table, with the SVG's ranges and tick labels"
    )
    func pgf_heatmapsAndLines() throws {
        let (root, _) = try PlotTests.sweep("grid:\n  alpha: [0, 0.5, 1]\n  u_norm: [0, 1, 2, 2.5]\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out"), plots = root.appendingPathComponent("pgf")
        let written = try Figure.generic(dimensions: 2).render(from: out, into: plots, pgf: true)
        #expect(
            written.filter { $0.hasSuffix(".tex") }.count == 3 && written.filter { $0.hasSuffix(".dat") }.count == 3)
        let tex = try String(contentsOf: plots.appendingPathComponent("out_gain.tex"), encoding: .utf8)
        #expect(
            tex.contains("\\begin{tikzpicture}") && tex.contains("\\end{tikzpicture}")
                && tex.contains("{out_gain.dat};"))
        #expect(
            tex.contains("point meta min=-0.2, point meta max=0.2") && tex.contains("xticklabels={0,0.5,1}")
                && tex.contains("mesh/cols=3"))
        let data = try String(contentsOf: plots.appendingPathComponent("out_gain.dat"), encoding: .utf8).split(
            separator: "\n")
        #expect(data.count == 13 && data[0] == "i j value")
        let svg = try String(contentsOf: plots.appendingPathComponent("out_gain.svg"), encoding: .utf8)
        for label in ["0.5", "2.5"] { #expect(svg.contains(">\(label)<") && tex.contains(label)) }
        let (lineRoot, _) = try PlotTests.sweep("grid:\n  n1: [6, 12, 24]\nreplicates: 2\n")
        defer { try? FileManager.default.removeItem(at: lineRoot) }
        let lines = try Figure.generic(dimensions: 1).render(
            from: lineRoot.appendingPathComponent("out"), into: lineRoot.appendingPathComponent("pgf"), pgf: true)
        let lineTex = try String(
            contentsOfFile: try #require(lines.first { $0.hasSuffix("out_accuracy.tex") }), encoding: .utf8)
        #expect(lineTex.components(separatedBy: "\\addplot[").count - 1 == 2 && lineTex.contains("y error=se1"))
        // Typeset when a TeX engine is installed (Debian: texlive-latex-base, texlive-pictures); else the checks above.
        if let engine = ["/usr/bin/pdflatex", "/usr/bin/lualatex"].first(where: {
            FileManager.default.isExecutableFile(atPath: $0)
        }) {
            try
                "\\documentclass{article}\\usepackage{pgfplots}\\pgfplotsset{compat=1.17}\\begin{document}\\input{out_gain.tex}\\end{document}\n"
                .write(to: plots.appendingPathComponent("paper.tex"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: engine)
            process.arguments = ["-interaction=nonstopmode", "paper.tex"]
            process.currentDirectoryURL = plots
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(
                process.terminationStatus == 0
                    && FileManager.default.fileExists(atPath: plots.appendingPathComponent("paper.pdf").path))
        }
    }
}
