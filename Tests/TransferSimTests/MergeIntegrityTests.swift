import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// What `merge` and a resume combine is checked: inputs, conflicts, and rows the plan does not contain.
@Suite struct MergeIntegrityTests {
    /// A finished sweep in `root/name`.
    static func sweep(_ plan: SweepPlan, _ root: URL, _ name: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        _ = try SweepRunner(plan: plan, directory: url.path, threads: 1).run()
        return url
    }

    @Test(
        "two inputs with different rows for one (cell, replicate) are refused whatever the argument order, naming the pair and both inputs; equal rows merge"
    )
    func conflictingRows_areRefused() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let a = try Self.sweep(plan, root, "a"), b = try Self.sweep(plan, root, "b")
        // Equal rows (seconds aside): one merge, the same rows.
        let same = root.appendingPathComponent("same")
        let merged = try SweepMerge.merge(directories: [a.path, b.path], output: same.path)
        #expect(merged.rows == 12 && merged.dropped.isEmpty)
        #expect(try SweepTests.rowsWithoutTiming(same) == SweepTests.rowsWithoutTiming(a))
        // One metric of one row of b changed in its last digit.
        var lines = try SweepTests.read(b, "results.csv").components(separatedBy: "\n")
        var fields = CSV.parse(lines[5] + "\n")[0]
        let column = ResultColumns.index("transfer_train_loss")
        let cell = fields[0], replicate = fields[ResultColumns.index("replicate")]
        fields[column] = String(Double(fields[column])!.nextUp)
        lines[5] = String(SweepTests.resealed(fields).dropLast())
        try lines.joined(separator: "\n").write(
            to: b.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        for order in [[a.path, b.path], [b.path, a.path]] {
            let out = root.appendingPathComponent("conflict")
            let error = try #require(throws: SweepError.self) {
                try SweepMerge.merge(directories: order, output: out.path)
            }
            #expect(
                error.message.contains("cell \(cell) replicate \(replicate)") && error.message.contains(a.path)
                    && error.message.contains(b.path))
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }

    @Test(
        "a missing path, a file, a directory without a sweep and --out among the inputs are refused by name, nothing written"
    )
    func badInputs_areRefused() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let a = try Self.sweep(plan, root, "a")
        let file = root.appendingPathComponent("file.txt"), empty = root.appendingPathComponent("empty")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let out = root.appendingPathComponent("out")
        for bad in [root.appendingPathComponent("nowhere").path, file.path, empty.path] {
            let error = try #require(throws: SweepError.self) {
                try SweepMerge.merge(directories: [a.path, bad], output: out.path)
            }
            #expect(error.key == bad, "\(error)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
        let before = try SweepTests.read(a, "results.csv")
        let into = try #require(throws: SweepError.self) {
            try SweepMerge.merge(directories: [a.path], output: a.path + "/.")
        }
        #expect(into.key == "--out" && into.message.contains("one of the directories merged"))
        #expect(try SweepTests.read(a, "results.csv") == before)
        // Through the command line: one line, exit 1.
        let outcome = try CLIHarness.run(["merge", a.path, file.path, "--out", out.path])
        #expect(
            outcome.status == 1 && outcome.stderr.hasPrefix("error: \(file.path): ")
                && outcome.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test(
        "rows whose (cell, replicate) the plan does not contain are left out of results.csv and summary.csv, never counted, and reported"
    )
    func foreignRows_areDropped() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let a = try Self.sweep(plan, root, "a")
        let summary = try SweepTests.read(a, "summary.csv")
        let text = try SweepTests.read(a, "results.csv")
        var fields = CSV.parse(text)[1]
        fields[ResultColumns.index("replicate")] = "7"
        var stray = fields
        stray[0] = "0123456789abcdef"
        try (text + SweepTests.resealed(fields) + SweepTests.resealed(stray)).write(
            to: a.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        let report = try SweepRunner(plan: plan, directory: a.path).run()
        #expect(report.droppedRows.count == 2 && report.resumed == 12 && report.computed == 0)
        #expect(try SweepTests.read(a, "summary.csv") == summary)
        #expect(try SweepTests.read(a, "results.csv") == text)
    }
}
