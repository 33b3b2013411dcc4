import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// Commands under an address-space limit (`ulimit -v`) run or stop at once with one line; never hang or trap.
@Suite(.serialized) struct ResourceLimitTests {
    /// Runs `transfersim arguments` under `ulimit -v kib` in `root`; nil if it had not ended after `seconds`
    /// (then it is killed: a hang, not a slow run — the commands here take well under a second).
    static func limited(
        _ kib: Int, _ arguments: [String], in root: URL, seconds: Double = 60
    ) throws -> CLIHarness.Outcome? {
        let quoted = ([CLIHarness.binary.path] + arguments).map {
            "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        let (process, output, errors) = try CLIHarness.startShell(
            "ulimit -v \(kib) && exec " + quoted.joined(separator: " "), in: root)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            _ = CLIHarness.finish(process, output, errors)
            return nil
        }
        return CLIHarness.finish(process, output, errors)
    }

    @Test(
        "under ulimit -v from 100 MB to 400 MB every command ends: it runs, or stops at once with its error (OpenBLAS's buffer named)"
    )
    func addressSpaceLimits_neverHang() throws {
        let root = try CLIHarness.temporaryDirectory("ulimit")
        defer { try? FileManager.default.removeItem(at: root) }
        try (SweepTests.base + "grid:\n  alpha: [0, 1]\n").write(
            to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            ["keys"], ["blas"], ["run", "--set", "steps1=5", "--set", "steps2=5", "--set", "d=30", "--out", "r"],
            ["sweep", "--config", "sweep.yaml", "--out", "s", "--quiet", "--no-upstream-cache", "--max-memory", "64G"],
        ]
        var ran = 0, refused = 0
        for mib in [100, 150, 200, 250, 300, 400] {
            for arguments in commands {
                try? FileManager.default.removeItem(at: root.appendingPathComponent("r"))
                try? FileManager.default.removeItem(at: root.appendingPathComponent("s"))
                let outcome = try #require(
                    try Self.limited(mib * 1024, arguments, in: root), "hung: ulimit -v \(mib) MB, \(arguments)")
                #expect(outcome.reason == .exit, "\(mib) MB \(arguments): \(outcome.stderr)")
                if outcome.status == 0 {
                    ran += 1
                } else {
                    refused += 1
                    #expect(!outcome.stderr.isEmpty, "\(mib) MB \(arguments)")
                    #expect(!outcome.stderr.contains("Fatal error"), "\(mib) MB \(arguments): \(outcome.stderr)")
                }
                #expect(CLIHarness.leftovers(root).isEmpty, "\(mib) MB \(arguments)")
            }
            // Where OpenBLAS's buffer does not fit, our own one line says so.
            if mib == 200 {
                let outcome = try #require(try Self.limited(mib * 1024, ["keys"], in: root))
                #expect(
                    outcome.status == 1 && outcome.stderr.hasPrefix("error: ulimit -v: ")
                        && outcome.stderr.contains("OpenBLAS")
                        && outcome.stderr.filter { $0 == "\n" }.count == 1, "\(outcome.stderr)")
            }
        }
        #expect(ran > 0 && refused > 0)
    }

    @Test(
        "a cell too large for the address space, under a --max-memory above it, is its error row; the other cells finish"
    )
    func oversizedCell_underAddressLimit_isAnErrorRow() throws {
        let root = try CLIHarness.temporaryDirectory("ulimit-cell")
        defer { try? FileManager.default.removeItem(at: root) }
        // d = 2·10⁵ with 2000 test points needs gigabytes; d = 30 a few MiB.
        try (SweepTests.base + "evaluation: sample\nn_test: 2000\ngrid:\n  d: [30, 200000]\n")
            .write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let outcome = try #require(
            try Self.limited(
                600 * 1024,
                [
                    "sweep", "--config", "sweep.yaml", "--out", "s", "--quiet", "--no-upstream-cache",
                    "--max-memory", "64G", "--threads", "2",
                ], in: root))
        #expect(
            outcome.reason == .exit && outcome.status == 1 && !outcome.stderr.contains("Fatal error"),
            "\(outcome.stderr)")
        let rows = CSV.parse(try SweepTests.read(root.appendingPathComponent("s"), "results.csv")).dropFirst()
        let d = ResultColumns.index("d"), status = ResultColumns.index("baseline_status")
        #expect(rows.count == 2)
        #expect(rows.first { $0[d] == "30" }?[status] == "ok")
        #expect(rows.first { $0[d] == "200000" }?[status] == "error")
    }
}
