import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// What is wrong, said in one line naming the path or key, with nothing left behind.
@Suite(.serialized) struct MessageTests {
    static func expectOneLine(_ outcome: CLIHarness.Outcome, _ prefix: String, _ context: String) {
        #expect(outcome.status == 1, "\(context)")
        #expect(
            outcome.stderr.hasPrefix(prefix) && outcome.stderr.filter { $0 == "\n" }.count == 1,
            "\(context): \(outcome.stderr)")
        #expect(
            !outcome.stderr.contains("NSCocoaErrorDomain") && !outcome.stderr.contains("Code="),
            "\(context): \(outcome.stderr)")
    }

    @Test("bad paths, foreign directories and damaged files: one line each, naming what is wrong, nothing created")
    func messages_areOneLine() throws {
        let root = try CLIHarness.temporaryDirectory("messages")
        defer { try? FileManager.default.removeItem(at: root) }
        try (SweepTests.base + "grid:\n  alpha: [0, 1]\n").write(
            to: root.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        try "x\n".write(to: root.appendingPathComponent("file"), atomically: true, encoding: .utf8)
        let small = ["--set", "steps1=5", "--set", "steps2=5", "--set", "d=30", "--set", "population_draws=200"]
        let long =
            String(repeating: "d", count: 200) + String(repeating: "/" + String(repeating: "d", count: 200), count: 24)
        let before = CLIHarness.tree(root)
        for (arguments, prefix) in [
            (["run", "--out", "file/out"] + small, "error: --out: '\(root.path)/file' is a file"),
            (["sweep", "--config", "s.yaml", "--out", "file/out"], "error: --out: '\(root.path)/file' is a file"),
            (["run", "--out", long + "/out"] + small, "error: --out: is "),
            (["sweep", "--config", "s.yaml", "--out", long], "error: --out: is "),
            (["run", "--set", "alpha=0.5\nx", "--out", "r"], "error: alpha: "),
            (
                ["run", "--set", "u_norm=1e-400", "--out", "r"],
                "error: u_norm: '1e-400' is too small for double precision"
            ),
        ] as [([String], String)] {
            Self.expectOneLine(try CLIHarness.run(arguments, in: root), prefix, "\(arguments.prefix(3))")
            #expect(CLIHarness.tree(root) == before, "\(arguments.prefix(3))")
        }
        // Analyses of a run directory, of a sweep without results_version, of a results.csv saved with CRLF.
        let run = try CLIHarness.run(["run", "--out", "r"] + small, in: root)
        #expect(run.status == 0, "\(run.stderr)")
        Self.expectOneLine(
            try CLIHarness.run(["contrast", "r", "--vary", "alpha=0,1"], in: root),
            "error: grid: \(root.path)/r/config.resolved.yaml has no grid: or zip: axis", "run dir")
        let sweep = try CLIHarness.run(["sweep", "--config", "s.yaml", "--out", "s", "--quiet"], in: root)
        #expect(sweep.status == 0, "\(sweep.stderr)")
        let s = root.appendingPathComponent("s")
        let results = try SweepTests.read(s, "results.csv"), version = try SweepTests.read(s, ResultsVersion.fileName)
        try FileManager.default.removeItem(at: s.appendingPathComponent(ResultsVersion.fileName))
        let missing = try CLIHarness.run(["contrast", "s", "--vary", "alpha=0,1"], in: root)
        Self.expectOneLine(missing, "error: ", "no results_version")
        #expect(missing.stderr.contains("has no results_version file"))
        try version.write(to: s.appendingPathComponent(ResultsVersion.fileName), atomically: true, encoding: .utf8)
        try results.replacingOccurrences(of: "\n", with: "\r\n").write(
            to: s.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        let crlf = try CLIHarness.run(["contrast", "s", "--vary", "alpha=0,1"], in: root)
        Self.expectOneLine(crlf, "error: \(s.path)/results.csv: has Windows line ends", "CRLF")
    }

    @Test(
        "SIGINT while a large finished sweep is read back prints the interrupted line and leaves no lock file; the rerun tidies every leftover"
    )
    func earlyInterrupt_saysSoAndUnlocks() throws {
        let root = try CLIHarness.temporaryDirectory("early-interrupt")
        defer { try? FileManager.default.removeItem(at: root) }
        try
            (SweepTests.base.replacingOccurrences(of: "steps1: 20", with: "steps1: 1").replacingOccurrences(
                of: "steps2: 10", with: "steps2: 1")
            + "grid:\n  alpha: [0]\n  u_norm: {from: 0, to: 1, steps: 400}\nreplicates: 10\n")
            .write(to: root.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        let arguments = ["sweep", "--config", "s.yaml", "--out", "s", "--quiet", "--no-upstream-cache"]
        let first = try CLIHarness.run(arguments, in: root)
        #expect(first.status == 0, "\(first.stderr)")
        var landed = 0
        for attempt in 0..<12 {
            let (process, output, errors) = try CLIHarness.start(arguments, in: root)
            usleep(UInt32(20_000 + 15_000 * attempt))
            kill(process.processIdentifier, SIGINT)
            let outcome = CLIHarness.finish(process, output, errors)
            if outcome.reason == .exit && outcome.status == 130 {
                #expect(outcome.stderr.hasPrefix("interrupted"), "attempt \(attempt): \(outcome.stderr)")
                #expect(
                    !FileManager.default.fileExists(
                        atPath: DirectoryLock.lockFile(for: root.appendingPathComponent("s")).path),
                    "attempt \(attempt): a lock file is left")
                landed += 1
            }
        }
        #expect(landed > 0)
        let rerun = try CLIHarness.run(arguments, in: root)
        #expect(
            rerun.status == 0 && CLIHarness.leftovers(root).isEmpty, "\(rerun.stderr) \(CLIHarness.leftovers(root))")
    }

    @Test(
        "two dialects, one each: a usage error (unknown option, a malformed --shard) exits 64 with the usage line; a bad value exits 1 with one line 'error: <key>: …'"
    )
    func errorDialects() throws {
        let root = try CLIHarness.temporaryDirectory("dialects")
        defer { try? FileManager.default.removeItem(at: root) }
        try SweepTests.grid.write(to: root.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        for arguments in [["--bogus"], ["--shard", "5/4"], ["--shard", "x"]] {
            let outcome = try CLIHarness.run(["sweep", "--config", "s.yaml", "--out", "o"] + arguments, in: root)
            #expect(
                outcome.status == 64 && outcome.stderr.contains("Usage: transfersim sweep"),
                "\(arguments): \(outcome.stderr)")
        }
        for arguments in [["--rule", "bogus"], ["--stage", "upstream"], ["--delta", "0.5"], ["--bootstrap", "-1"]] {
            let outcome = try CLIHarness.run(["boundary", "o"] + arguments, in: root)
            #expect(
                outcome.status == 64 && outcome.stderr.contains("Usage: transfersim boundary"),
                "\(arguments): \(outcome.stderr)")
        }
        let shard = try CLIHarness.run(["sweep", "--config", "s.yaml", "--out", "o", "--shard", "5/4"], in: root)
        #expect(shard.stderr.contains("must be i/N with 0 ≤ i < N"))
        let value = try CLIHarness.run(["sweep", "--config", "s.yaml", "--out", "o", "--set", "alpha=2"], in: root)
        #expect(
            value.status == 1 && value.stderr.hasPrefix("error: ") && value.stderr.filter { $0 == "\n" }.count == 1,
            "\(value.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("o").path))
    }
}
