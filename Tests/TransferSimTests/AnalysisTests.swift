import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// `contrast`, `best` and `diff` on finished sweeps.
@Suite struct AnalysisTests {
    static let sweep =
        SweepTests.base + """
            grid:
              alpha: [0, 0.5, 1]
              u_norm: [0.5, 1.5]
              n2: [6, 10]
            replicates: 4

            """

    static func setUp() throws -> (root: URL, out: URL) {
        let (root, config) = try SweepTests.setUp(sweep)
        let out = root.appendingPathComponent("out")
        _ = try SweepRunner(plan: try SweepPlan.load(path: config), directory: out.path, threads: 2).run()
        return (root, out)
    }

    @Test("a paired contrast equals the hand computation from results.csv, for every pair of cells")
    func contrast_equalsHandComputation() throws {
        let (root, out) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let contrast = try Contrast(SweepRows(directory: out), key: "alpha", a: "1", b: "0.5", metric: "transfer_gain")
        #expect(contrast.rows.count == 4 && contrast.fileName == "contrast_alpha_1_0.5.csv")
        // By hand: group results.csv rows by (u_norm, n2, replicate), difference of alpha 1 and alpha 0.5.
        let records = CSV.parse(try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8))
            .dropFirst()
        let column = { (name: String) in ResultColumns.index(name) }
        var gains: [String: Double] = [:]
        for row in records {
            gains["\(row[column("alpha")])|\(row[column("u_norm")])|\(row[column("n2")])|\(row[column("replicate")])"] =
                Double(row[column("transfer_gain")])
        }
        for row in contrast.rows {
            let u = row.setting[0].value, n2 = row.setting[1].value
            let differences = (0..<4).map { r in gains["1.0|\(u)|\(n2)|\(r)"]! - gains["0.5|\(u)|\(n2)|\(r)"]! }
            let mean = differences.reduce(0, +) / 4
            let sd = (differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
            #expect(row.comparison.count == 4)
            #expect(
                abs(row.comparison.mean - mean) <= 1e-15 && abs(row.comparison.standardError - sd / 2) <= 1e-15,
                "u=\(u), n2=\(n2)")
            // t(3) 97.5% quantile = 3.182446305…
            #expect(abs(row.comparison.interval.high - (mean + 3.182446305284263 * sd / 2)) < 1e-9)
        }
        #expect(throws: SweepError.self) {
            try Contrast(SweepRows(directory: out), key: "alpha", a: "1", b: "0.7", metric: "transfer_gain")
        }
        #expect(throws: SweepError.self) {
            try Contrast(SweepRows(directory: out), key: "d", a: "1", b: "2", metric: "transfer_gain")
        }
        #expect(throws: SweepError.self) {
            try Contrast(SweepRows(directory: out), key: "alpha", a: "1", b: "0", metric: "colour")
        }
    }

    @Test(
        "rows read with a few columns give those columns' values as rows read whole; the target-loss report is the same"
    )
    func sweepRows_columnSubset() throws {
        let (root, out) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try SweepRows(directory: out)
        let some = try SweepRows(directory: out, columns: TargetLossReport.columns + ["transfer_gain"])
        for cell in whole.plan.cells {
            #expect(
                some.values("transfer_gain", cell: cell.index).mapValues(\.bitPattern)
                    == whole.values("transfer_gain", cell: cell.index).mapValues(\.bitPattern))
            #expect(
                some.labels("baseline_converged", cell: cell.index)
                    == whole.labels("baseline_converged", cell: cell.index))
            #expect(whole.values("transfer_gain", cell: cell.index).count == 4)
        }
        #expect(TargetLossReport.describe(some) == TargetLossReport.describe(whole))
        #expect(TargetLossReport.describe(whole) == "fixed step counts (no target loss)")
    }

    @Test("best finds a known argmax on a synthetic table and keeps only the values not significantly worse")
    func best_knownArgmax() throws {
        let (root, out) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        // Overwrite transfer_gain: u = 0.5 peaks at α = 0.5 with identical noise (differences exact); u = 1.5 has α = 1
        // ahead of α = 0.5 by 0.001 with opposite noise of ±0.02 (not significant), α = 0 far behind.
        let url = out.appendingPathComponent("results.csv")
        var records = CSV.parse(try String(contentsOf: url, encoding: .utf8))
        let (alpha, u, r, gain) = (
            ResultColumns.index("alpha"), ResultColumns.index("u_norm"), ResultColumns.index("replicate"),
            ResultColumns.index("transfer_gain")
        )
        for k in records.indices.dropFirst() {
            let a = Double(records[k][alpha])!, replicate = Double(records[k][r])!,
                sign = Int(replicate) % 2 == 0 ? 1.0 : -1.0
            let value: Double
            if records[k][u] == "0.5" {
                value = -(a - 0.5) * (a - 0.5) + 0.01 * replicate
            } else {
                value = a == 0 ? -1 : (a == 0.5 ? 0.1 + 0.02 * sign : 0.101 - 0.02 * sign)
            }
            records[k][gain] = "\(value)"
        }
        try (CSV.line(records[0]) + records.dropFirst().map(SweepTests.resealed).joined()).write(
            to: url, atomically: true, encoding: .utf8)
        let best = try BestValue(
            SweepRows(directory: out), over: "alpha", by: ["u_norm", "n2"], metric: "transfer_gain")
        #expect(best.rows.map(\.best) == ["0.5", "0.5", "1", "1"])
        #expect(best.rows.map(\.plausible) == [["0.5"], ["0.5"], ["0.5", "1"], ["0.5", "1"]])
        #expect(abs(best.rows[0].mean - 0.015) < 1e-15)
        #expect(throws: SweepError.self) {
            try BestValue(SweepRows(directory: out), over: "alpha", by: ["u_norm"], metric: "transfer_gain")
        }
    }

    @Test(
        "an unfinished sweep is refused by contrast, best and diff naming its rows present of planned; --partial says 'partial' in every output"
    )
    func partialSweep_isRefusedOrSaid() throws {
        let (root, out) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        // What an interrupted sweep leaves: the header and the first 20 of 48 rows, no summary.
        let lines = try SweepTests.read(out, "results.csv").split(separator: "\n")
        try (lines[0...20].joined(separator: "\n") + "\n").write(
            to: out.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: out.appendingPathComponent("summary.csv"))
        let refusal = try #require(throws: SweepError.self) { try SweepRows(directory: out) }
        #expect(
            refusal.key == out.path && refusal.message.contains("holds 20 of 48 rows")
                && refusal.message.contains("--partial"))
        #expect(try SweepRows(directory: out, partial: true).coverage == "partial: 20 of 48 rows")
        for arguments in [
            ["contrast", out.path, "--vary", "alpha=1,0.5"],
            ["best", out.path, "--over", "alpha", "--by", "u_norm,n2"],
            ["diff", out.path, out.path, "--out", root.appendingPathComponent("d").path],
        ] {
            let outcome = try CLIHarness.run(arguments)
            #expect(
                outcome.status == 1 && outcome.stderr.contains("holds 20 of 48 rows")
                    && outcome.stderr.filter { $0 == "\n" }.count == 1,
                "\(arguments[0]): \(outcome.stderr)")
        }
        let contrast = try CLIHarness.run(["contrast", out.path, "--vary", "alpha=1,0.5", "--partial"])
        #expect(
            contrast.status == 0 && contrast.stdout.hasPrefix("partial: 20 of 48 rows"),
            "\(contrast.stdout) \(contrast.stderr)")
        #expect(
            FileManager.default.fileExists(atPath: out.appendingPathComponent("contrast_alpha_1_0.5_partial.csv").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("contrast_alpha_1_0.5.csv").path))
        let best = try CLIHarness.run(["best", out.path, "--over", "alpha", "--by", "u_norm,n2", "--partial"])
        #expect(best.status == 0 && best.stdout.hasPrefix("partial: 20 of 48 rows"), "\(best.stdout) \(best.stderr)")
    }

    @Test("diff of a sweep with itself is zero, paired; grids that differ are refused")
    func diff_withItselfIsZero() throws {
        let (root, out) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try SweepDiff.write(a: out, b: out, output: root.appendingPathComponent("diff").path)
        #expect(result.paired && result.cells == 12)
        let summary = CSV.parse(
            try String(contentsOf: root.appendingPathComponent("diff/summary.csv"), encoding: .utf8))
        #expect(summary[0] == SweepSummary.header && summary.count == 13)
        for metric in ["transfer_gain", "transfer_test_accuracy", "baseline_test_accuracy"] {
            let mean = SweepSummary.header.firstIndex(of: "\(metric)_mean")!,
                n = SweepSummary.header.firstIndex(of: "\(metric)_n")!
            for row in summary.dropFirst() { #expect(row[mean] == "0.0" && row[n] == "4", "\(metric)") }
        }
        let (other, config) = try SweepTests.setUp(
            Self.sweep.replacingOccurrences(of: "n2: [6, 10]", with: "n2: [6, 12]"))
        defer { try? FileManager.default.removeItem(at: other) }
        _ = try SweepRunner(
            plan: try SweepPlan.load(path: config), directory: other.appendingPathComponent("out").path, threads: 2
        ).run()
        #expect(throws: SweepError.self) {
            try SweepDiff.write(
                a: out, b: other.appendingPathComponent("out"), output: root.appendingPathComponent("bad").path)
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("bad").path))
    }

    @Test("diff pictures name both sweeps and mark the cells whose interval contains 0 instead of contouring them")
    func diffPictures_nameTheSweeps() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try SweepRunner(
            plan: try SweepPlan.load(path: config), directory: root.appendingPathComponent("g").path, threads: 2
        ).run()
        let outcome = try CLIHarness.run(["diff", "g", "g", "--out", "d"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let svg = try SweepTests.read(root.appendingPathComponent("d"), "difference_gain.svg")
        #expect(
            svg.contains("A = g, B = g") && svg.contains("class=\"uncertain\"") && !svg.contains("class=\"contour\""))
    }
}

/// `plot --x [--y] [--series] [--where]` on a 3-axis sweep.
@Suite struct SlicePlotTests {
    @Test(
        "slices of a 3-axis sweep: one line per series value, one cell per grid point, the sweep's own values; unfixed axes are refused"
    )
    func slices_ofThreeAxes() throws {
        let (root, out) = try AnalysisTests.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let table = try SweepTable(directory: out)
        let lines = try SlicePlot(metric: "transfer_gain", x: "u_norm", series: "alpha", fixed: ["n2": "10"]).render(
            table)
        let lineCounts = try #require(ElementCounter.count(lines))
        #expect(lineCounts["polyline.series"] == 3 && lineCounts["polygon.band"] == 3)
        let heatmap = try SlicePlot(metric: "transfer_gain", x: "alpha", y: "u_norm", fixed: ["n2": "6"]).render(table)
        #expect(try #require(ElementCounter.count(heatmap))["rect.cell"] == 6)
        #expect(heatmap.contains("transfer gain — n2 = 6"))
        // The slice's cells are the sweep's: same ids, same values.
        let slice = try table.slice(axes: [("--x", "alpha"), ("--y", "u_norm")], fixed: ["n2": "6.0"])
        let full = Dictionary(uniqueKeysWithValues: table.plan.cells.map { ($0.id, $0) })
        for cell in slice.plan.cells {
            let original = try #require(full[cell.id])
            #expect(
                original.config.n2 == 6
                    && slice.value(cell, "transfer_gain_mean") == table.value(original, "transfer_gain_mean"))
        }
        // Facets: one panel per n2 value, side by side.
        let faceted = try SlicePlot(metric: "transfer_gain", x: "alpha", y: "u_norm", facet: "n2").render(table)
        #expect(
            try #require(ElementCounter.count(faceted))["rect.cell"] == 12 && faceted.contains("n2 = 6")
                && faceted.contains("n2 = 10"))
        let facetLines = try SlicePlot(metric: "transfer_gain", x: "u_norm", series: "alpha", facet: "n2").render(table)
        #expect(try #require(ElementCounter.count(facetLines))["polyline.series"] == 6)
        #expect(throws: SweepError.self) {
            try SlicePlot(metric: "transfer_gain", x: "u_norm", y: "n2", facet: "n2").render(table)
        }
        #expect(throws: SweepError.self) {
            try SlicePlot(metric: "transfer_gain", x: "u_norm", series: "alpha").render(table)
        }
        #expect(throws: SweepError.self) {
            try SlicePlot(metric: "transfer_gain", x: "u_norm", fixed: ["u_norm": "0.5", "alpha": "0", "n2": "6"])
                .render(table)
        }
        #expect(throws: SweepError.self) {
            try SlicePlot(metric: "transfer_gain", x: "u_norm", y: "alpha", fixed: ["n2": "7"]).render(table)
        }
        #expect(throws: SweepError.self) {
            try SlicePlot(metric: "transfer_gain", x: "d", fixed: ["n2": "6", "alpha": "0"]).render(table)
        }
        #expect(throws: PlotError.self) {
            try SlicePlot(metric: "colour", x: "u_norm", fixed: ["n2": "6", "alpha": "0"]).render(table)
        }
    }

    @Test("round ticks: multiples of 1, 2 or 5 × 10ᵏ covering the range")
    func ticks_round() {
        let ticks = Ticks.nice(0.471, 0.553)
        #expect(ticks.values.map(Ticks.label) == ["0.46", "0.48", "0.5", "0.52", "0.54", "0.56"])
        #expect(ticks.low <= 0.471 && ticks.high >= 0.553)
        #expect(Ticks.nice(-0.275, 0.13).values.map(Ticks.label) == ["-0.3", "-0.2", "-0.1", "0", "0.1", "0.2"])
    }
}
