import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimFiles
@testable import TransferSimPlots
@testable import TransferSimSweeps

/// `docs/reliability.md`: kills at any instant, concurrent commands, destructive paths, signals and
/// oversized cells, through the real binary.
@Suite(.serialized) struct ReliabilityTests {
    static let sweep = """
        preset: theory
        d: 30
        m: 3
        n1: 12
        n2: 8
        steps1: 40
        steps2: 20
        sigma0: 0.2
        eta1: 0.5
        eta2: 0.5
        population_draws: 2000
        log_every: 10
        grid:
          alpha: [0, 0.5, 1]
          u_norm: [0.25, 0.5, 0.75, 1]
        replicates: 3

        """

    /// A directory with `sweep.yaml` and the uninterrupted sweep `reference/`.
    static func setUp(_ name: String) throws -> URL {
        let root = try CLIHarness.temporaryDirectory(name)
        try sweep.write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let outcome = try CLIHarness.run(
            ["sweep", "--config", "sweep.yaml", "--out", "reference", "--quiet", "--threads", "2"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return root
    }

    /// Checks that `directory` holds exactly the files of `reference/`, with the same rows and summaries.
    static func expectSameAsReference(_ root: URL, _ directory: String, _ context: String) throws {
        let reference = root.appendingPathComponent("reference"), other = root.appendingPathComponent(directory)
        #expect(CLIHarness.tree(other) == CLIHarness.tree(reference), "\(context)")
        #expect(try CLIHarness.rowsWithoutTiming(other) == CLIHarness.rowsWithoutTiming(reference), "\(context)")
        for name in CLIHarness.tree(reference) where name != "results.csv" {
            #expect(
                FileManager.default.contents(atPath: other.appendingPathComponent(name).path)
                    == FileManager.default.contents(atPath: reference.appendingPathComponent(name).path),
                "\(context): \(name)")
        }
        #expect(CLIHarness.leftovers(root).isEmpty, "\(context): \(CLIHarness.leftovers(root))")
    }

    static func resume(_ root: URL, _ directory: String) throws -> CLIHarness.Outcome {
        try CLIHarness.run(
            ["sweep", "--config", "sweep.yaml", "--out", directory, "--quiet", "--threads", "2"], in: root)
    }

    @Test(
        "SIGKILL at each named point (first milliseconds, final rewrite of results, summary and heatmaps) resumes to the uninterrupted files"
    )
    func kill_namedPoints_resume() throws {
        let root = try Self.setUp("faults")
        defer { try? FileManager.default.removeItem(at: root) }
        let points = [
            "sweep-after-mkdir", "sweep-after-version", "finalize-before-results", "finalize-after-results",
            "finalize-after-summary", "finalize-after-heatmap",
        ]
        for (k, point) in points.enumerated() {
            let directory = "fault-\(k)"
            let killed = try CLIHarness.run(
                ["sweep", "--config", "sweep.yaml", "--out", directory, "--quiet", "--threads", "2"],
                in: root, environment: ["TRANSFERSIM_FAULT": point])
            #expect(
                killed.reason == .uncaughtSignal && killed.status == SIGKILL,
                "\(point): \(killed.status) \(killed.stderr)")
            let resumed = try Self.resume(root, directory)
            #expect(resumed.status == 0, "\(point): \(resumed.stderr)")
            try Self.expectSameAsReference(root, directory, point)
            try FileManager.default.removeItem(at: root.appendingPathComponent(directory))
        }
    }

    @Test(
        "SIGKILL at 16 instants spread over a sweep (each resumed), and 8 kills in a row on one directory, end in the uninterrupted files"
    )
    func kill_randomInstants_resume() throws {
        let root = try Self.setUp("kills")
        defer { try? FileManager.default.removeItem(at: root) }
        let start = Date()
        _ = try Self.resume(root, "timed")
        let duration = Date().timeIntervalSince(start)
        try FileManager.default.removeItem(at: root.appendingPathComponent("timed"))
        var generator = Xoshiro256StarStar(seed: 2026)
        /// Starts a sweep into `directory`, kills it after `delay` seconds; whether the kill landed before it ended.
        func killed(_ directory: String, after delay: Double) throws -> Bool {
            let (process, output, errors) = try CLIHarness.start(
                ["sweep", "--config", "sweep.yaml", "--out", directory, "--quiet", "--threads", "2"], in: root)
            usleep(UInt32(delay * 1e6))
            kill(process.processIdentifier, SIGKILL)
            let outcome = CLIHarness.finish(process, output, errors)
            if outcome.reason != .uncaughtSignal { #expect(outcome.status == 0, "\(outcome.stderr)") }
            return outcome.reason == .uncaughtSignal
        }
        for k in 0..<16 {
            // The first milliseconds, then instants spread over the whole run. A run that ends before its instant (this
            // one faster than the timed run, on a loaded machine) is done again with half the delay, so that every
            // instant is a kill whatever the machine's speed, without a timing in the assertion.
            var delay = k < 4 ? Double(k) * 0.003 : (Double(k - 4) + generator.uniform()) / 12 * duration
            var landed = try killed("killed-\(k)", after: delay)
            for _ in 0..<4 where !landed {
                try FileManager.default.removeItem(at: root.appendingPathComponent("killed-\(k)"))
                delay /= 2
                landed = try killed("killed-\(k)", after: delay)
            }
            #expect(landed, "instant \(k): the sweep ended before \(delay) s (the timed run took \(duration) s)")
            #expect(try Self.resume(root, "killed-\(k)").status == 0)
            try Self.expectSameAsReference(root, "killed-\(k)", "killed after \(delay) s of \(duration) s")
        }
        for k in 0..<8 { _ = try killed("chain", after: (Double(k) + generator.uniform()) * 0.02 * duration) }
        #expect(try Self.resume(root, "chain").status == 0)
        try Self.expectSameAsReference(root, "chain", "after 8 kills in a row")
    }

    @Test(
        "a second sweep on a locked directory refuses at once, naming the holder, and writes nothing; racing sweeps leave the right files"
    )
    func concurrentSweeps_oneRefuses() throws {
        let root = try Self.setUp("lock")
        defer { try? FileManager.default.removeItem(at: root) }
        let target = root.appendingPathComponent("busy")
        let lock = try DirectoryLock(target, key: "--out")
        let refused = try Self.resume(root, "busy")
        #expect(refused.status == 1)
        #expect(
            refused.stderr
                == "error: --out: \(target.path) is in use by another transfersim process (pid \(getpid()))\n")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        lock.release()
        for attempt in 0..<3 {
            let directory = "race-\(attempt)"
            let first = try CLIHarness.start(
                ["sweep", "--config", "sweep.yaml", "--out", directory, "--quiet", "--threads", "1"], in: root)
            let second = try CLIHarness.start(
                ["sweep", "--config", "sweep.yaml", "--out", directory, "--quiet", "--threads", "1"], in: root)
            let outcomes = [
                CLIHarness.finish(first.0, first.1, first.2), CLIHarness.finish(second.0, second.1, second.2),
            ]
            #expect(outcomes.contains { $0.status == 0 })
            for outcome in outcomes where outcome.status != 0 {
                #expect(outcome.stderr.contains("is in use by another transfersim process (pid "), "\(outcome.stderr)")
            }
            try Self.expectSameAsReference(root, directory, "race \(attempt)")
        }
    }

    @Test("SIGINT and SIGTERM stop a sweep with a report and status 130/143; the rerun completes it")
    func signals_reportAndResume() throws {
        let root = try Self.setUp("signals")
        defer { try? FileManager.default.removeItem(at: root) }
        var interrupted = 0
        for (signal, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let (process, output, errors) = try CLIHarness.start(
                ["sweep", "--config", "sweep.yaml", "--out", "signalled", "--quiet", "--threads", "1"], in: root)
            Self.waitForRows(root.appendingPathComponent("signalled"), process)
            kill(process.processIdentifier, signal)
            let outcome = CLIHarness.finish(process, output, errors)
            let rows = try CLIHarness.rowsWithoutTiming(root.appendingPathComponent("signalled")).count - 1
            if outcome.status != 0, rows == 36, outcome.stderr.contains("with nothing in progress") {
                // The signal landed after the sweep had finished (under load): its files are complete, and the line says so.
                #expect(outcome.reason == .exit && outcome.status == status)
            } else if outcome.status != 0 {
                interrupted += 1
                #expect(outcome.reason == .exit && outcome.status == status)
                let saved = rows
                #expect(
                    outcome.stderr.hasSuffix(
                        "interrupted: \(saved) of 36 rows saved in \(root.appendingPathComponent("signalled").path); rerun the same command to resume\n"
                    ),
                    "\(outcome.stderr)")
            }
            try FileManager.default.removeItem(at: root.appendingPathComponent("signalled"))
        }
        // A sweep that finished before its signal is allowed, but the report must have been seen at least once.
        #expect(interrupted >= 1)
        let (process, output, errors) = try CLIHarness.start(
            ["sweep", "--config", "sweep.yaml", "--out", "signalled", "--quiet", "--threads", "1"], in: root)
        Self.waitForRows(root.appendingPathComponent("signalled"), process)
        kill(process.processIdentifier, SIGTERM)
        _ = CLIHarness.finish(process, output, errors)
        #expect(try Self.resume(root, "signalled").status == 0)
        try Self.expectSameAsReference(root, "signalled", "after SIGTERM")
    }

    /// Waits until the sweep in `directory` has appended a row (its workers, and its signal handler, are
    /// running), or the process has ended.
    static func waitForRows(_ directory: URL, _ process: Process) {
        for _ in 0..<2000 where process.isRunning {
            let text = (try? String(contentsOf: directory.appendingPathComponent("results.csv"), encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count >= 2 { return }
            usleep(2_000)
        }
    }

    @Test("run --out \"\" --force and --out . --force are refused with the directory untouched")
    func force_destructivePathsRefused() throws {
        let root = try CLIHarness.temporaryDirectory("force")
        defer { try? FileManager.default.removeItem(at: root) }
        try "precious\n".write(to: root.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("data"), withIntermediateDirectories: false)
        let before = CLIHarness.tree(root)
        for out in ["", ".", "./", "data/.."] {
            let outcome = try CLIHarness.run(
                ["run", "--set", "d=24", "--set", "steps1=5", "--set", "steps2=5", "--out", out, "--force"], in: root)
            #expect(outcome.status == 1, "\(out)")
            #expect(
                outcome.stderr.hasPrefix("error: --out: ") && outcome.stderr.split(separator: "\n").count == 1,
                "\(outcome.stderr)")
            #expect(CLIHarness.tree(root) == before, "\(out)")
        }
        #expect(try String(contentsOf: root.appendingPathComponent("notes.txt"), encoding: .utf8) == "precious\n")
    }

    @Test(
        "--force replaces a run's output only; killed replacements leave the old or the new output and are tidied by the next command"
    )
    func force_replacesOnlyRunOutput() throws {
        let root = try CLIHarness.temporaryDirectory("replace")
        defer { try? FileManager.default.removeItem(at: root) }
        let arguments = { (seed: String, out: String) in
            [
                "run", "--set", "d=24", "--set", "m=2", "--set", "n1=10", "--set", "steps1=5",
                "--set", "steps2=5", "--set", "population_draws=500", "--seed", seed, "--out", out, "--force",
            ]
        }
        let config = { (out: String) in
            try String(contentsOf: root.appendingPathComponent("\(out)/config.resolved.yaml"), encoding: .utf8)
        }
        // A directory holding anything else is never replaced.
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("mine"), withIntermediateDirectories: false)
        try "x".write(to: root.appendingPathComponent("mine/thesis.tex"), atomically: true, encoding: .utf8)
        let foreign = try CLIHarness.run(arguments("1", "mine"), in: root)
        #expect(foreign.status == 1 && foreign.stderr.contains("did not write"))
        #expect(CLIHarness.tree(root.appendingPathComponent("mine")) == ["thesis.tex"])
        // A run's output is replaced.
        #expect(try CLIHarness.run(arguments("1", "out"), in: root).status == 0)
        #expect(try config("out").contains("seed: 1\n"))
        #expect(try CLIHarness.run(arguments("2", "out"), in: root).status == 0)
        #expect(try config("out").contains("seed: 2\n"))
        // Killed before and after the exchange: the old and then the new output is in place; the next command tidies.
        for (point, seed) in [("staged-before-commit", "2"), ("staged-after-exchange", "3")] {
            let killed = try CLIHarness.run(arguments("3", "out"), in: root, environment: ["TRANSFERSIM_FAULT": point])
            #expect(killed.reason == .uncaughtSignal, "\(point)")
            #expect(try config("out").contains("seed: \(seed)\n"), "\(point)")
            #expect(!CLIHarness.leftovers(root).isEmpty, "\(point)")
            #expect(try CLIHarness.run(arguments("4", "out"), in: root).status == 0)
            #expect(CLIHarness.leftovers(root).isEmpty, "\(point): \(CLIHarness.leftovers(root))")
        }
        // The fallback's state between its two renames (no destination, the old output aside) is undone.
        try FileManager.default.moveItem(
            at: root.appendingPathComponent("out"), to: root.appendingPathComponent(".out.old-4194300"))
        let refused = try CLIHarness.run(Array(arguments("5", "out").dropLast()), in: root)
        #expect(refused.status == 1 && refused.stderr.contains("already holds files"))
        #expect(try config("out").contains("seed: 4\n"))
        #expect(CLIHarness.leftovers(root).isEmpty)
    }

    @Test(
        "a cell too large for the memory limit becomes an error row naming its keys; the others finish, and resuming does not retry it"
    )
    func oversizedCell_errorRow() throws {
        let root = try CLIHarness.temporaryDirectory("memory")
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.sweep.replacingOccurrences(
            of: "  alpha: [0, 0.5, 1]\n  u_norm: [0.25, 0.5, 0.75, 1]\nreplicates: 3",
            with: "  d: [30, 400000000]\n  u_norm: [0.5, 1]\nreplicates: 2")
        try text.write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let plan = try SweepPlan.load(path: root.appendingPathComponent("sweep.yaml").path)
        var runner = SweepRunner(plan: plan, directory: root.appendingPathComponent("out").path, threads: 2)
        runner.memoryLimit = 1_073_741_824
        let report = try runner.run()
        #expect(report.computed == 8 && report.failures.count == 4)
        let rows = try CLIHarness.rowsWithoutTiming(root.appendingPathComponent("out")).dropFirst()
        let status = ResultColumns.index("baseline_status"), message = ResultColumns.index("message"),
            d = ResultColumns.index("d")
        for row in rows {
            if row[d] == "30" {
                #expect(row[status] == "ok")
            } else {
                #expect(row[status] == "error")
                #expect(row[message].hasPrefix("m, d: this experiment needs about "), "\(row[message])")
            }
        }
        let again = try runner.run()
        #expect(again.resumed == 8 && again.computed == 0)
        // `run` refuses the same cell before writing anything.
        let refused = try CLIHarness.run(
            ["run", "--set", "d=400000000", "--max-memory", "1G", "--out", "big"], in: root)
        #expect(
            refused.status == 1 && refused.stderr.hasPrefix("error: n1, d: this experiment needs about "),
            "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("big").path))
    }

    @Test(
        "CLI options are checked before anything is written or measured (threads up to Int.max, Slurm shards, CPUs, max-running, time, partition, memory and directory, --max-memory, bench --csv); figure runs from any directory; a malformed history is an error line"
    )
    func options_checked() throws {
        let root = try Self.setUp("options")
        defer { try? FileManager.default.removeItem(at: root) }
        // A malformed or out-of-range value is a usage error (exit 64): what is allowed, then the usage line.
        let usage: [([String], String)] = [
            (
                ["verify", "--quick", "--threads", "0", "--out", "v"],
                "'--threads <threads>': must be an integer in [1, 1024]"
            ),
            (
                ["sweep", "--config", "sweep.yaml", "--threads", "0", "--out", "v"],
                "must be an integer in [1, 1024], got '0'"
            ),
            (
                ["sweep", "--config", "sweep.yaml", "--threads", "4611686018427387904", "--out", "v"],
                "must be an integer in [1, 1024]"
            ),
            (
                ["figure", "alpha", "--quick", "--threads", "\(Int.max)", "--out", "v"],
                "must be an integer in [1, 1024]"
            ),
            (["verify", "--quick", "--threads", "1025", "--out", "v"], "must be an integer in [1, 1024]"),
            (["bench", "--quick", "--threads", "\(Int.max)"], "must be an integer in [1, 1024]"),
            (["bench", "--quick", "--threads", "99999999999999999999"], "must be an integer in [1, 1024]"),
            (
                ["slurm", "--config", "sweep.yaml", "--shards", "2", "--time", "banana", "--out", "v"],
                "'--time <time>': must be a Slurm time"
            ),
            (
                [
                    "slurm", "--config", "sweep.yaml", "--shards", "2", "--partition", "gpu\n#SBATCH --exclusive",
                    "--out", "v",
                ], "'--partition <partition>': must be a partition name"
            ),
            (
                ["slurm", "--config", "sweep.yaml", "--shards", "2", "--mem", "lots", "--out", "v"],
                "'--mem <mem>': must be an integer"
            ),
            (["slurm", "--shards", "2", "--out", "v"], "--config: a Slurm job needs a sweep config file"),
            (
                ["sweep", "--config", "sweep.yaml", "--out", "v", "--max-memory", "0G"],
                "'--max-memory <max-memory>': must be a size"
            ),
            (
                ["sweep", "--config", "sweep.yaml", "--out", "v", "--set", "alpha"],
                "'--set <key=value>': must be a key, '=' and a value"
            ),
            (["run", "--out", "v", "--cell", "c"], "--cell: --from DIR and --cell ID go together"),
        ]
        for (arguments, fragment) in usage {
            let outcome = try CLIHarness.run(arguments, in: root)
            #expect(
                outcome.status == 64 && outcome.stderr.contains(fragment)
                    && outcome.stderr.contains("Usage: transfersim \(arguments[0])"),
                "\(arguments): \(outcome.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("v").path), "\(arguments)")
            #expect(CLIHarness.leftovers(root).isEmpty, "\(arguments)")
        }
        // A value that is well formed but wrong for this sweep or machine is one line naming the option (exit 1).
        let cases: [([String], String)] = [
            (
                ["slurm", "--config", "sweep.yaml", "--shards", "100000", "--out", "v"],
                "error: --shards: must be an integer in [1, "
            ),
            (
                ["slurm", "--config", "sweep.yaml", "--shards", "0", "--out", "v"],
                "error: --shards: must be an integer in [1, "
            ),
            (
                [
                    "slurm", "--config", "sweep.yaml", "--shards", "2", "--cpus-per-task", "4611686018427387904",
                    "--out", "v",
                ], "error: --cpus-per-task: must be an integer in [1, 1024]"
            ),
            (
                ["slurm", "--config", "sweep.yaml", "--shards", "2", "--max-running", "3", "--out", "v"],
                "error: --max-running: must be an integer in [1, 2]"
            ),
            (
                ["slurm", "--config", "sweep.yaml", "--shards", "2", "--out", "v w"],
                "error: --out: a Slurm job directory must not contain whitespace"
            ),
            (["slurm", "--config", "sweep.yaml", "--shards", "2", "--out", ""], "error: --out: must name a directory"),
            (["sweep", "--config", "sweep.yaml", "--out", ""], "error: --out: must name a directory"),
            (["bench", "--quick", "--csv", "v/bench.csv"], "error: --csv: cannot write in "),
            (["bench", "--quick", "--csv", ""], "error: --csv: must name a file"),
        ]
        for (arguments, prefix) in cases {
            let outcome = try CLIHarness.run(arguments, in: root)
            #expect(outcome.status == 1, "\(arguments)")
            #expect(
                outcome.stderr.hasPrefix(prefix) && outcome.stderr.split(separator: "\n").count == 1,
                "\(arguments): \(outcome.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("v").path), "\(arguments)")
            #expect(CLIHarness.leftovers(root).isEmpty, "\(arguments)")
        }
        // `figure` finds experiments/ above the executable from any working directory.
        let figure = try CLIHarness.run(["figure", "alpha", "--quick", "--out", "fig", "--quiet"], in: root)
        #expect(figure.status == 0, "\(figure.stderr)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("fig/alpha_gain.svg").path))
        // `plot` of a dynamics directory whose history.csv lacks a column is one error line, not a trap.
        let cell = root.appendingPathComponent("dyn/cell-0")
        try FileManager.default.createDirectory(at: cell, withIntermediateDirectories: true)
        for name in ["config.resolved.yaml", "summary.csv"] {
            try FileManager.default.copyItem(
                at: root.appendingPathComponent("reference/\(name)"), to: root.appendingPathComponent("dyn/\(name)"))
        }
        try "stage,step,loss\ntransfer,0,0.69\n".write(
            to: cell.appendingPathComponent("history.csv"), atomically: true, encoding: .utf8)
        let plot = try CLIHarness.run(["plot", "dyn", "--figure", "dynamics"], in: root)
        #expect(
            plot.status == 1 && plot.stderr.contains("has no column 'gamma_pos_max'")
                && plot.stderr.split(separator: "\n").count == 1,
            "\(plot.stderr)")
        for time in ["30", "30:00", "12:30:00", "2-12", "2-12:30", "2-12:30:15", "UNLIMITED"] {
            let outcome = try CLIHarness.run(
                ["slurm", "--config", "sweep.yaml", "--shards", "2", "--time", time, "--out", "job-\(time)"], in: root)
            #expect(outcome.status == 0, "\(time): \(outcome.stderr)")
        }
    }
}
