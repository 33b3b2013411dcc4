import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// A sweep grows in place by replicates and axis values (``SweepPlan/grows(_:)``).
@Suite struct GrowthTests {
    static let larger = SweepTests.grid.replacingOccurrences(of: "alpha: [0, 0.5, 1]", with: "alpha: [0, 0.25, 0.5, 1]")
        .replacingOccurrences(of: "replicates: 2", with: "replicates: 3")

    /// Every file of `directory` but `results.csv`, whose rows are compared without `seconds`.
    static func expectSame(_ grown: URL, _ fresh: URL, _ context: String) throws {
        #expect(try SweepTests.rowsWithoutTiming(grown) == SweepTests.rowsWithoutTiming(fresh), "\(context)")
        #expect(CLIHarness.tree(grown) == CLIHarness.tree(fresh), "\(context)")
        for name in CLIHarness.tree(fresh) where name != "results.csv" {
            #expect(
                FileManager.default.contents(atPath: grown.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: fresh.appendingPathComponent(name).path),
                "\(context): \(name)")
        }
    }

    @Test(
        "a finished and an interrupted sweep grown by a grid value and a replicate equal the fresh larger sweep, file for file; the kept rows are untouched"
    )
    func grown_equalsFresh() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let largerPath = root.appendingPathComponent("larger.yaml").path
        try Self.larger.write(toFile: largerPath, atomically: true, encoding: .utf8)
        let small = try SweepPlan.load(path: config), large = try SweepPlan.load(path: largerPath)
        #expect(large.grows(small) && !small.grows(large) && large.grows(large))
        let fresh = root.appendingPathComponent("fresh")
        _ = try SweepRunner(plan: large, directory: fresh.path, threads: 2).run()
        // Finished, then grown: 12 rows kept byte for byte, 24 − 12 computed.
        let finished = root.appendingPathComponent("finished")
        _ = try SweepRunner(plan: small, directory: finished.path, threads: 2).run()
        let kept = Set(try SweepTests.read(finished, "results.csv").split(separator: "\n").dropFirst())
        let report = try SweepRunner(plan: large, directory: finished.path, threads: 2).run()
        #expect(report.grew && report.resumed == 12 && report.computed == 12)
        #expect(kept.isSubset(of: Set(try SweepTests.read(finished, "results.csv").split(separator: "\n"))))
        try Self.expectSame(finished, fresh, "finished")
        #expect(try !SweepRunner(plan: large, directory: finished.path).run().grew)
        // Interrupted (5 rows and a torn line), then grown.
        let cut = root.appendingPathComponent("cut")
        _ = try SweepRunner(plan: small, directory: cut.path, threads: 2).run()
        let lines = try SweepTests.read(cut, "results.csv").split(separator: "\n", omittingEmptySubsequences: false)
        try (lines[0..<6].joined(separator: "\n") + "\n" + lines[6].prefix(30)).write(
            to: cut.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        for name in ["summary.csv", "heatmap_transfer_gain.csv"] {
            try? FileManager.default.removeItem(at: cut.appendingPathComponent(name))
        }
        let resumed = try SweepRunner(plan: large, directory: cut.path, threads: 1).run()
        #expect(resumed.grew && resumed.resumed == 5 && resumed.computed == 19)
        try Self.expectSame(cut, fresh, "interrupted")
    }

    @Test(
        "fewer replicates or values, another fixed value, other axes and --set replicate are refused naming what differs; --replicates works from the command line"
    )
    func otherChanges_areRefused() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        _ = try SweepRunner(plan: try SweepPlan.load(path: config), directory: out.path).run()
        for (text, named) in [
            (SweepTests.grid.replacingOccurrences(of: "alpha: [0, 0.5, 1]", with: "alpha: [0, 1]"), "grid.alpha"),
            (SweepTests.grid.replacingOccurrences(of: "steps2: 10", with: "steps2: 11"), "steps2"),
            (SweepTests.grid.replacingOccurrences(of: "alpha: [0, 0.5, 1]", with: "n2: [8, 9]"), "grid."),
        ] {
            let path = root.appendingPathComponent("other.yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let error = try #require(throws: SweepError.self) {
                try SweepRunner(plan: try SweepPlan.load(path: path), directory: out.path).run()
            }
            #expect(
                error.message.contains("holds another sweep") && error.message.contains(named)
                    && error.message.contains("grows in place"), "\(error)")
        }
        let set = try #require(throws: ConfigError.self) {
            try SweepPlan.load(path: config, overrides: ["replicate=4"])
        }
        #expect(set.key == "--set" && set.message.contains("--replicates"))
        // The CLI runs the kernel this process runs (the test binary may run under another than the pinned one).
        let grown = try CLIHarness.run(
            ["sweep", "--config", config, "--out", out.path, "--replicates", "3", "--quiet"],
            environment: [BLASKernel.environmentVariable: BLASIdentity.current.kernel])
        #expect(
            grown.status == 0 && grown.stdout.contains("grew the sweep")
                && grown.stdout.contains("18 rows (12 resumed, 6 computed)"), "\(grown.stdout) \(grown.stderr)")
        // Grown, then killed before it finishes: the smaller sweep's summary is gone, never read as the larger one's.
        let killed = try CLIHarness.run(
            ["sweep", "--config", config, "--out", out.path, "--replicates", "4", "--quiet"],
            environment: [
                BLASKernel.environmentVariable: BLASIdentity.current.kernel,
                "TRANSFERSIM_FAULT": "finalize-before-results",
            ])
        #expect(killed.reason == .uncaughtSignal, "\(killed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.csv").path))
        #expect(throws: SweepError.self) { try SweepTable(directory: out) }
        let bad = try CLIHarness.run(["sweep", "--config", config, "--out", out.path, "--replicates", "0"])
        #expect(bad.status == 1 && bad.stderr.hasPrefix("error: replicates:"), "\(bad.stderr)")
    }

    @Test(
        "verify --replicates N sets every claim sweep's replicates, and a rerun with more grows the kept sweeps in place"
    )
    func verifyReplicates_growClaimSweeps() throws {
        let root = try CLIHarness.temporaryDirectory("verify-replicates")
        defer { try? FileManager.default.removeItem(at: root) }
        let sweep =
            "{preset: theory, seed: 0, d: 30, m: 3, n1: 12, n2: 8, steps1: 20, steps2: 10, sigma0: 0.2, population_draws: 500, log_every: 10, grid: {alpha: [0, 1]}, replicates: 2}"
        try
            "claims:\n  - id: small\n    claim: \"the gain is at most 1\"\n    sweep: \(sweep)\n    condition: \"alpha >= 0\"\n    conclusion: \"transfer_gain_mean <= 1\"\n"
            .write(to: root.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        for replicates in [3, 5] {
            let outcome = try CLIHarness.run(
                [
                    "verify", "--claims", "c.yaml", "--out", "v", "--replicates", String(replicates),
                    "--no-upstream-cache",
                ], in: root)
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let kept = root.appendingPathComponent("v/sweeps/small")
            #expect(try SweepTests.read(kept, "config.resolved.yaml").contains("replicates: \(replicates)"))
            #expect(try SweepTests.rowsWithoutTiming(kept).count == 2 * replicates)
        }
        let bad = try CLIHarness.run(["verify", "--claims", "c.yaml", "--out", "w", "--replicates", "0"], in: root)
        #expect(bad.status == 1 && bad.stderr.hasPrefix("error: --replicates:"), "\(bad.stderr)")
    }
}
