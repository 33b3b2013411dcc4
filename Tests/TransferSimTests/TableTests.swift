import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// `transfersim table`, and every analysis on a zip axis.
@Suite struct TableTests {
    @Test(
        "table's means, standard errors and counts are summary.csv's, bit for bit; --vary gives contrast's paired differences"
    )
    func table_equalsSummary() throws {
        let (root, out) = try AnalysisTests.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let sweep = try SweepRows(directory: out)
        let table = try MeanTable(sweep, rows: ["u_norm", "n2"], column: "alpha", metric: "transfer_gain")
        #expect(
            table.rowLabels == [["0.5", "6"], ["0.5", "10"], ["1.5", "6"], ["1.5", "10"]]
                && table.columnLabels == ["0", "0.5", "1"])
        let summary = CSV.parse(try SweepTests.read(out, "summary.csv"))
        let column = { (name: String) in summary[0].firstIndex(of: name)! }
        var compared = 0
        for row in summary.dropFirst() {
            let r = try #require(table.rowLabels.firstIndex(of: [row[column("u_norm")], row[column("n2")]]))
            let c = try #require(table.columnLabels.firstIndex { Double($0) == Double(row[column("alpha")]) })
            guard case let .mean(mean, se, n) = table.entries[r][c] else { Issue.record("not a mean"); continue }
            #expect(
                CSV.number(mean) == row[column("transfer_gain_mean")]
                    && CSV.number(se) == row[column("transfer_gain_se")]
                    && String(n) == row[column("transfer_gain_n")])
            compared += 1
        }
        #expect(compared == 12)
        let paired = try MeanTable(
            sweep, rows: ["u_norm"], column: "n2", metric: "transfer_gain", vary: ("alpha", "1", "0.5"))
        let contrast = try Contrast(sweep, key: "alpha", a: "1", b: "0.5", metric: "transfer_gain")
        for row in contrast.rows {
            let r = try #require(paired.rowLabels.firstIndex { Double($0[0]) == Double(row.setting[0].value) })
            let c = try #require(paired.columnLabels.firstIndex { Double($0) == Double(row.setting[1].value) })
            guard case let .difference(d) = paired.entries[r][c] else { Issue.record("not a difference"); continue }
            #expect(
                d.mean == row.comparison.mean && d.interval == row.comparison.interval
                    && d.pValue == row.comparison.pValue)
        }
        #expect(paired.render(.csv).split(separator: "\n").count == 1 + 4)
        #expect(paired.render(.md).contains("paired difference alpha=1 − 0.5"))
        // An axis left loose, an unknown axis, one axis named twice: refused naming the option.
        #expect(throws: SweepError.self) {
            try MeanTable(sweep, rows: ["u_norm"], column: "alpha", metric: "transfer_gain")
        }
        #expect(throws: SweepError.self) {
            try MeanTable(sweep, rows: ["bogus"], column: "alpha", metric: "transfer_gain")
        }
        #expect(throws: SweepError.self) {
            try MeanTable(
                sweep, rows: ["alpha", "n2"], column: "alpha", metric: "transfer_gain", where: ["u_norm": "0.5"])
        }
        let outcome = try CLIHarness.run([
            "table", out.path, "--rows", "u_norm,n2", "--cols", "alpha", "--format", "csv",
        ])
        #expect(outcome.status == 0 && outcome.stdout == table.render(.csv), "\(outcome.stderr)")
    }

    @Test(
        "contrast, best and table on a zip axis (named by any of its keys or by key+key) equal them on the equivalent grid axis"
    )
    func zipAxis_equalsGridAxis() throws {
        let zipped =
            SweepTests.base
            + "grid:\n  u_norm: [0.5, 1.5]\nzip:\n  alpha: [0, 0.5, 1]\n  freeze_steps: [0, 0, 0]\nreplicates: 3\n"
        let gridded =
            SweepTests.base + "freeze_steps: 0\ngrid:\n  u_norm: [0.5, 1.5]\n  alpha: [0, 0.5, 1]\nreplicates: 3\n"
        let (root, zipConfig) = try SweepTests.setUp(zipped)
        defer { try? FileManager.default.removeItem(at: root) }
        let gridConfig = root.appendingPathComponent("grid.yaml").path
        try gridded.write(toFile: gridConfig, atomically: true, encoding: .utf8)
        let z = root.appendingPathComponent("zip"), g = root.appendingPathComponent("grid")
        _ = try SweepRunner(plan: try SweepPlan.load(path: zipConfig), directory: z.path, threads: 2).run()
        _ = try SweepRunner(plan: try SweepPlan.load(path: gridConfig), directory: g.path, threads: 2).run()
        let zipRows = try SweepRows(directory: z), gridRows = try SweepRows(directory: g)
        let reference = try Contrast(gridRows, key: "alpha", a: "1", b: "0.5", metric: "transfer_gain").csv
        #expect(try Contrast(zipRows, key: "alpha", a: "1", b: "0.5", metric: "transfer_gain").csv == reference)
        #expect(
            try Contrast(zipRows, key: "alpha+freeze_steps", a: "1", b: "0.5", metric: "transfer_gain").csv == reference
        )
        #expect(
            try BestValue(zipRows, over: "alpha", by: ["u_norm"], metric: "transfer_gain").csv
                == BestValue(gridRows, over: "alpha", by: ["u_norm"], metric: "transfer_gain").csv)
        #expect(
            try MeanTable(zipRows, rows: ["u_norm"], column: "alpha", metric: "transfer_gain").render(.csv)
                == MeanTable(gridRows, rows: ["u_norm"], column: "alpha", metric: "transfer_gain").render(.csv))
        // The zip axis's other key names the same axis: its values are that key's.
        let byFreeze = try MeanTable(zipRows, rows: ["alpha"], column: "u_norm", metric: "transfer_gain")
        #expect(byFreeze.rowLabels.map(\.[0]) == ["0", "0.5", "1"])
        let refusal = try #require(throws: SweepError.self) {
            try Contrast(zipRows, key: "freeze_steps", a: "0", b: "5", metric: "transfer_gain")
        }
        #expect(refusal.message.contains("not a value of freeze_steps"))
    }

    @Test("a paired contrast plot's band is contrast's 95% interval at every point; loose axes and a --y are refused")
    func contrastPlot_bandIsContrastInterval() throws {
        let (root, out) = try AnalysisTests.setUp()
        defer { try? FileManager.default.removeItem(at: root) }
        let sweep = try SweepRows(directory: out)
        let plot = ContrastPlot(metric: "transfer_gain", key: "alpha", a: "1", b: "0.5", x: "u_norm", series: "n2")
        let (curves, axis) = try plot.curves(sweep, fixed: [:])
        let contrast = try Contrast(sweep, key: "alpha", a: "1", b: "0.5", metric: "transfer_gain")
        #expect(curves.count == 2 && axis.keys == ["u_norm"])
        var compared = 0
        for row in contrast.rows {
            let u = try #require(axis.pointIndex(of: row.setting[0].value))
            let curve = try #require(curves.first { $0.label == "n2 = \(Int(Double(row.setting[1].value)!))" })
            let point = try #require(curve.points.first { $0.index == u })
            #expect(
                point.mean == row.comparison.mean && point.low == row.comparison.interval.low
                    && point.high == row.comparison.interval.high)
            compared += 1
        }
        #expect(compared == 4)
        #expect(throws: SweepError.self) {
            try ContrastPlot(metric: "transfer_gain", key: "alpha", a: "1", b: "0.5", x: "u_norm").render(sweep)
        }
        let svg = try plot.render(sweep)
        #expect(svg.contains("alpha = 1 − 0.5") && svg.contains("class=\"band\""))
        let refused = try CLIHarness.run(["plot", out.path, "--x", "u_norm", "--y", "n2", "--contrast", "alpha=1,0.5"])
        #expect(
            refused.status == 64 && refused.stderr.hasPrefix("Error: --contrast: draws lines along --x"),
            "\(refused.stderr)")
        let drawn = try CLIHarness.run([
            "plot", out.path, "--x", "u_norm", "--facet", "n2", "--contrast", "alpha=1,0.5",
        ])
        #expect(
            drawn.status == 0
                && FileManager.default.fileExists(
                    atPath: out.appendingPathComponent("out_contrast_alpha_1_0.5_transfer_gain_u_norm_facet_n2.svg")
                        .path),
            "\(drawn.stderr)")
    }
}
