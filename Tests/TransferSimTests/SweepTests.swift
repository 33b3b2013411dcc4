import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimFiles
@testable import TransferSimPlots
@testable import TransferSimSweeps

@Suite struct SweepTests {
    static let base = """
        preset: theory
        d: 30
        m: 3
        n1: 12
        n2: 8
        steps1: 20
        steps2: 10
        sigma0: 0.2
        population_draws: 500
        log_every: 10

        """

    /// Writes `text` as a config file in a fresh directory; returns (directory, config path).
    static func setUp(_ text: String) throws -> (root: URL, config: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "transfersim-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let path = root.appendingPathComponent("sweep.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (root, path)
    }

    static func read(_ url: URL, _ name: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }

    /// The results row of `result` in cell `cellID`, rendered from its own config, without the `seconds` column.
    static func row(_ cellID: String, _ result: ExperimentResult) -> [String] {
        Array(
            ResultColumns.row(cellID: cellID, values: result.config.resolvedValues, result: result, seconds: 0)
                .dropLast())
    }

    /// The rows of results.csv without the `seconds` and `row_crc32` columns, in file order.
    static func rowsWithoutTiming(_ directory: URL) throws -> [[String]] {
        CSV.parse(try read(directory, "results.csv")).dropFirst().map { Array($0.dropLast(2)) }
    }

    /// `row` (every column of results.csv, `row_crc32` last) as the line TransferSim writes, its checksum made anew:
    /// a test's edit of a row that the checksum must not catch.
    static func resealed(_ row: [String]) -> String {
        String(decoding: ResultsFile.encode(Array(row.dropLast())), as: UTF8.self)
    }

    static let grid =
        base + """
            grid:
              alpha: [0, 0.5, 1]
              u_norm: {from: 0.5, to: 1.5, steps: 2}
            replicates: 2

            """

    @Test(
        "a cell's config (the base resolved once, then its values) and its rows' values equal resolving every layer with its values, across layers and a preset axis"
    )
    func plan_cellsEqualFullResolution() throws {
        let base: [[ConfigLoader.Entry]] = [
            [("preset", "kou2023-code"), ("d", "40"), ("v2_norm", "1.5"), ("u_norm", "0.5")], [("seed", "3")],
        ]
        let spec = SweepSpec(
            axes: [
                SweepSpec.Axis(keys: ["mu2_norm"], points: [["2"], ["3"]], zipped: false),
                SweepSpec.Axis(
                    keys: ["preset", "n2"], points: [["theory", "8"], ["kou2023-code", "12"]], zipped: true),
            ],
            replicates: 1)
        let plan = try SweepPlan(baseLayers: base, spec: spec)
        #expect(plan.cells.count == 4)
        for cell in plan.cells {
            let values = zip(spec.axes, cell.coordinates).flatMap { axis, point in
                zip(axis.keys, axis.points[point]).map { (key: $0, value: $1) }
            }
            let full = try ConfigLoader.resolve(base + [values])
            #expect(
                cell.config.resolvedEntries.map(\.value) == full.resolvedEntries.map(\.value),
                "cell \(cell.coordinates)")
            for replicate in [0, 3] {  // a results row's values, kept as differences from the base's: the same strings
                var config = full
                config.replicate = replicate
                #expect(
                    plan.resolvedValues(of: cell, replicate: replicate) == config.resolvedValues,
                    "cell \(cell.coordinates), r = \(replicate)")
            }
        }
        // A bad value in a cell is still refused, naming the cell.
        let bad = SweepSpec(
            axes: [SweepSpec.Axis(keys: ["mu2_norm"], points: [["2"], ["0.1"]], zipped: false)], replicates: 1)
        #expect(throws: ConfigError.self) { try SweepPlan(baseLayers: base, spec: bad) }
    }

    @Test(
        "CSV lines read back as written: commas, quotes, newlines in fields; a quote mid-field; keep; a torn last line")
    func csv_roundTrip() {
        let records = [
            ["plain", "a,b", "say \"hi\"", "", "two\nlines", "-1.5e-300"], ["", "", "", "", "", ""], ["x"],
        ]
        let text = records.map(CSV.line).joined()
        #expect(CSV.parse(text) == records)
        #expect(CSV.parse(text + "torn,line") == records)
        #expect(CSV.parse(text, keep: 2) == records.map { $0.enumerated().map { $0.offset < 2 ? $0.element : "" } })
        #expect(CSV.parse("ab\"c,d\"e,f\n") == [["abc,de", "f"]])
        #expect(CSV.parse("\"a\"\"b\"\n,\n") == [["a\"b"], ["", ""]])
    }

    @Test("the seconds column prints as %.6f does, bar exact ties of whole microseconds; extremes fall back to %.6f")
    func results_secondsText() {
        var generator = Xoshiro256StarStar(seed: 11)
        let values =
            [0, 0.5, 1e-7, 1.5e-6, 59.999_999_4, 3599.999_999_6, 86_400.25, 1e11, -1, .infinity]
            + (0..<2000).map { k in generator.uniform() * (k % 2 == 0 ? 2 : 5000) }
        for value in values {
            #expect(ResultColumns.secondsText(value) == String(format: "%.6f", value), "\(value)")
        }
    }

    @Test("1 and 2 threads give the same rows and a byte-identical summary.csv")
    func threads_doNotChangeResults() throws {
        let (root, config) = try Self.setUp(Self.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let one = root.appendingPathComponent("one"), two = root.appendingPathComponent("two")
        _ = try SweepRunner(plan: plan, directory: one.path, threads: 1).run()
        _ = try SweepRunner(plan: plan, directory: two.path, threads: 2).run()
        #expect(try Self.rowsWithoutTiming(one) == Self.rowsWithoutTiming(two))
        #expect(try Self.rowsWithoutTiming(one).count == 12)
        #expect(try Self.read(one, "summary.csv") == Self.read(two, "summary.csv"))
        #expect(try Self.read(one, "heatmap_transfer_gain.csv") == Self.read(two, "heatmap_transfer_gain.csv"))
    }

    @Test(
        "a row whose upstream step products a waiting worker helps with gives one worker's rows, bit for bit",
        .timeLimit(.minutes(10)))
    func sharedUpstreamProducts_doNotChangeResults() throws {
        // Five upstream models with the same noise (every ‖u‖ > 0): batches of 3 and 2 on two workers, so the second
        // worker waits while the first trains its third; 2m·N₁² = 20 · 160² terms a step, above PackedGram.sharedWork.
        let (root, config) = try Self.setUp(
            """
            preset: theory
            engine: span
            d: 100
            m: 10
            n1: 160
            n2: 8
            steps1: 12
            steps2: 4
            sigma0: 0.2
            population_draws: 200
            log_every: 4
            grid:
              u_norm: {from: 0.4, to: 1.2, step: 0.2}

            """)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        #expect(20 * 160 * 160 >= PackedGram.sharedWork)
        let one = root.appendingPathComponent("one"), two = root.appendingPathComponent("two")
        _ = try SweepRunner(plan: plan, directory: one.path, threads: 1).run()
        _ = try SweepRunner(plan: plan, directory: two.path, threads: 2).run()
        #expect(try Self.rowsWithoutTiming(one).count == 5)
        #expect(try Self.rowsWithoutTiming(one) == Self.rowsWithoutTiming(two))
    }

    @Test("a sweep cut part way (with a torn last line) and resumed gives the same rows, none missing or doubled")
    func resume_afterInterruption() throws {
        let (root, config) = try Self.setUp(Self.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let full = root.appendingPathComponent("full"), cut = root.appendingPathComponent("cut")
        _ = try SweepRunner(plan: plan, directory: full.path, threads: 2).run()
        // The state a kill leaves: config, header, the first rows, and half of the next row.
        try FileManager.default.createDirectory(at: cut, withIntermediateDirectories: true)
        for name in ["config.resolved.yaml", ResultsVersion.fileName, BLASIdentity.fileName] {
            try FileManager.default.copyItem(
                at: full.appendingPathComponent(name), to: cut.appendingPathComponent(name))
        }
        let lines = try Self.read(full, "results.csv").split(separator: "\n", omittingEmptySubsequences: false)
        let partial = lines[0..<6].joined(separator: "\n") + "\n" + lines[6].prefix(40)
        try partial.write(to: cut.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)
        let report = try SweepRunner(plan: plan, directory: cut.path, threads: 2).run()
        #expect(report.resumed == 5 && report.computed == 7)
        #expect(try Self.rowsWithoutTiming(cut) == Self.rowsWithoutTiming(full))
        #expect(try Self.read(cut, "summary.csv") == Self.read(full, "summary.csv"))
        // Rerunning a finished sweep computes nothing.
        let again = try SweepRunner(plan: plan, directory: cut.path).run()
        #expect(again.computed == 0 && again.resumed == 12)
    }

    @Test("shards merged equal the unsharded run, file for file")
    func shardsAndMerge_equalUnsharded() throws {
        let (root, config) = try Self.setUp(Self.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let whole = root.appendingPathComponent("whole")
        _ = try SweepRunner(plan: plan, directory: whole.path).run()
        var shards: [String] = []
        for i in 0..<3 {
            let path = root.appendingPathComponent("shard\(i)").path
            _ = try SweepRunner(plan: plan, directory: path, threads: 1, shard: Shard(index: i, count: 3)).run()
            shards.append(path)
        }
        let incomplete = try #require(throws: SweepError.self) {
            try SweepMerge.merge(directories: Array(shards.prefix(2)), output: root.appendingPathComponent("bad").path)
        }
        #expect(incomplete.message.contains("2/3"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("bad").path))
        let merged = root.appendingPathComponent("merged")
        _ = try SweepMerge.merge(directories: shards, output: merged.path)
        #expect(try Self.rowsWithoutTiming(merged) == Self.rowsWithoutTiming(whole))
        let files = try FileManager.default.contentsOfDirectory(atPath: whole.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: merged.path).sorted() == files)
        for name in files where name != "results.csv" {
            #expect(try Self.read(merged, name) == Self.read(whole, name))
        }
    }

    @Test("adding a grid value leaves every other cell's rows unchanged")
    func addingGridValue_keepsOtherCells() throws {
        let (root, config) = try Self.setUp(Self.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let widerPath = root.appendingPathComponent("wider.yaml").path
        try Self.grid.replacingOccurrences(of: "alpha: [0, 0.5, 1]", with: "alpha: [0, 0.25, 0.5, 1]")
            .write(toFile: widerPath, atomically: true, encoding: .utf8)
        let small = root.appendingPathComponent("small"), wide = root.appendingPathComponent("wide")
        _ = try SweepRunner(plan: try SweepPlan.load(path: config), directory: small.path).run()
        _ = try SweepRunner(plan: try SweepPlan.load(path: widerPath), directory: wide.path).run()
        let smallRows = try Self.rowsWithoutTiming(small)
        let wideRows = try Self.rowsWithoutTiming(wide)
        #expect(wideRows.count == 16)
        #expect(
            Set(smallRows.map { $0.joined(separator: ",") }).isSubset(
                of: Set(wideRows.map { $0.joined(separator: ",") })))
    }

    @Test("each upstream model is trained once and shared; a shared-upstream row equals the cell's own run")
    func upstreamCache_trainsOnce() throws {
        let (root, config) = try Self.setUp(
            Self.base + """
                grid:
                  alpha: [0, 0.34, 1]
                  n2: [6, 8]
                  freeze_steps: [0, 5]
                replicates: 2

                """)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let report = try SweepRunner(plan: plan, directory: root.appendingPathComponent("out").path, threads: 2).run()
        #expect(report.upstreamTrainings == 2)  // one per replicate; α = 0 cells need none
        #expect(report.computed == 24)
        let rows = try Self.rowsWithoutTiming(root.appendingPathComponent("out"))
        let cell = plan.cells[plan.cells.count - 1]
        let standalone = try TransferExperiment(config: cell.config(replicate: 1)).run()
        let expected = Self.row(cell.id, standalone)
        #expect(rows.contains(expected))
        // With α = 0 the upstream stage is skipped and transfer equals baseline.
        let gain = ResultColumns.index("transfer_gain"), upstreamStatus = ResultColumns.index("upstream_status")
        for row in rows where row[ResultColumns.index("alpha")] == "0.0" {
            #expect(row[upstreamStatus] == "skipped" && row[gain] == "0.0")
        }
    }

    @Test("upstream models batched along a row over ‖u‖ give each cell's own run")
    func batchedUpstreams_equalOwnRuns() throws {
        let (root, config) = try Self.setUp(
            Self.base + """
                alpha: 1
                grid:
                  u_norm: [0.25, 0.5, 1]
                replicates: 1

                """)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let report = try SweepRunner(plan: plan, directory: root.appendingPathComponent("out").path, threads: 1).run()
        #expect(report.upstreamTrainings == 3)
        let rows = try Self.rowsWithoutTiming(root.appendingPathComponent("out"))
        for cell in plan.cells {
            let own = try TransferExperiment(config: cell.config(replicate: 0)).run()
            #expect(rows.contains(Self.row(cell.id, own)))
        }
    }

    @Test(
        "a row's units are split, in order, into the fewest batches of at most cap units, sizes within one",
        arguments: [(13, 4), (16, 4), (17, 16), (1, 4), (0, 4), (5, 1)])
    func batchSplit_balanced(count: Int, cap: Int) {
        let items = Array(0..<count)
        let batches = SweepSchedule.split(items, cap: cap)
        #expect(batches.flatMap { $0 } == items)
        #expect(batches.count == (count + cap - 1) / cap)
        let sizes = batches.map(\.count)
        #expect(sizes.allSatisfy { $0 >= 1 && $0 <= cap })
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
    }

    @Test("rows of another results version are refused on resume and on merge, naming both versions")
    func resultsVersion_refusesMixing() throws {
        let (root, config) = try Self.setUp(Self.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let out = root.appendingPathComponent("out")
        _ = try SweepRunner(plan: plan, directory: out.path).run()
        #expect(try ResultsVersion.read(out) == ResultsVersion.current)
        let versionFile = out.appendingPathComponent(ResultsVersion.fileName)
        try FileManager.default.removeItem(at: versionFile)  // written before versions were kept
        let resumed = try #require(throws: SweepError.self) { try SweepRunner(plan: plan, directory: out.path).run() }
        #expect(
            resumed.key == "--out" && resumed.message.contains("has no results_version file")
                && resumed.message.contains("version \(ResultsVersion.current)"))
        let merged = try #require(throws: SweepError.self) {
            try SweepMerge.merge(directories: [out.path], output: root.appendingPathComponent("merged").path)
        }
        #expect(merged.message.contains("has no results_version file"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("merged").path))
        try "\(ResultsVersion.current)\n".write(to: versionFile, atomically: true, encoding: .utf8)
        #expect(try SweepRunner(plan: plan, directory: out.path).run().resumed == 12)
    }

    @Test("a changed config is refused on resume, naming the keys that differ")
    func resume_refusesChangedConfig() throws {
        let (root, config) = try Self.setUp(Self.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out").path
        _ = try SweepRunner(plan: try SweepPlan.load(path: config), directory: out).run()
        let changed = try SweepPlan.load(path: config, overrides: ["eta2=0.3"])
        let error = try #require(throws: SweepError.self) { try SweepRunner(plan: changed, directory: out).run() }
        #expect(error.message.contains("eta2"))
        let otherGrid = root.appendingPathComponent("g.yaml").path
        // Fewer replicates is another sweep (more would grow this one in place: GrowthTests).
        try Self.grid.replacingOccurrences(of: "replicates: 2", with: "replicates: 1").write(
            toFile: otherGrid, atomically: true, encoding: .utf8)
        let gridError = try #require(throws: SweepError.self) {
            try SweepRunner(plan: try SweepPlan.load(path: otherGrid), directory: out).run()
        }
        #expect(gridError.message.contains("replicates"))
    }

    @Test("a diverging cell is recorded with its status and the other cells finish; --fail-fast stops early")
    func divergence_recordedOthersFinish() throws {
        let (root, config) = try Self.setUp(
            Self.base + """
                sigma_p2: 1e30
                grid:
                  eta2: [0.5, 1e40, 0.7]

                """)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let out = root.appendingPathComponent("out")
        let report = try SweepRunner(plan: plan, directory: out.path, threads: 1).run()
        #expect(report.computed == 3 && report.failures.count == 1)
        let rows = try Self.rowsWithoutTiming(out)
        #expect(rows.map { $0[ResultColumns.index("baseline_status")] } == ["ok", "diverged", "ok"])
        let summary = CSV.parse(try Self.read(out, "summary.csv"))
        #expect(summary.count == 4 && summary[2][SweepSummary.header.firstIndex(of: "failed_n")!] == "1")
        let fast = try SweepRunner(
            plan: plan, directory: root.appendingPathComponent("fast").path, threads: 1, failFast: true
        ).run()
        #expect(fast.stoppedEarly && fast.computed == 2)
    }

    @Test(
        "grid specs: ranges expand exactly; bad ranges and unknown keys are one-line errors",
        arguments: [
            ("grid:\n  alpha: {from: 0, to: 1, steps: 0}\n", "grid.alpha.steps"),
            ("grid:\n  alpha: {from: 0, to: 1, step: -0.5}\n", "grid.alpha.step"),
            ("grid:\n  alpha: {from: 0, to: 1}\n", "grid.alpha"),
            ("grid:\n  alpha: []\n", "grid.alpha"),
            ("grid:\n  colour: [1, 2]\n", "grid.colour"),
            ("grid:\n  seed: [1, 2]\n", "grid.seed"),
            ("grid:\n  alpha: [0, 2]\n", "alpha"),
            ("grid:\n  m: [2, 2.5]\n", "m"),
            ("zip:\n  n1: [10, 20]\n  steps1: [5]\n", "zip"),
            ("grid:\n  alpha: [0.5]\nreplicates: 0\n", "replicates"),
            ("replicates: 2\n", "grid"),
        ])
    func gridSpec_badInputRejected(text: String, key: String) throws {
        let (root, config) = try Self.setUp(Self.base + text)
        defer { try? FileManager.default.removeItem(at: root) }
        let error = try #require(throws: ConfigError.self) { try SweepPlan.load(path: config) }
        #expect(error.key == key)
        #expect(!error.description.contains("\n"))
    }

    @Test(
        "range specs expand to the documented values; zip varies keys together; canonical order is first-axis-outermost"
    )
    func gridSpec_expansion() throws {
        let (root, config) = try Self.setUp(
            Self.base + """
                grid:
                  u_norm: {from: 0, to: 0.3, step: 0.1}
                  d: {from: 100, to: 200, steps: 3}
                zip:
                  n1: [10, 20]
                  steps1: [5, 7]

                """)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        #expect(plan.spec.axes[0].points == [["0"], ["0.1"], ["0.2"], ["0.3"]])
        #expect(plan.spec.axes[1].points == [["100"], ["150"], ["200"]])
        #expect(plan.cells.count == 24)
        #expect(plan.cells[1].config.n1 == 20 && plan.cells[1].config.steps1 == 7 && plan.cells[1].config.d == 100)
        #expect(plan.cells[2].config.d == 150 && plan.cells[6].config.uNorm == 0.1)
        #expect(Set(plan.cells.map(\.id)).count == 24)
        // The resolved sweep config loads back to the same plan.
        let path = root.appendingPathComponent("resolved.yaml").path
        try plan.resolvedYAML.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(SweepPlan.differingKeys(try SweepPlan.load(path: path).identity, plan.identity).isEmpty)
    }
}

@Suite struct SlurmJobTests {
    @Test(
        "the job array runs every shard into shards/i with the task's CPUs; the merge job merges them into the job directory"
    )
    func scripts_content() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config, overrides: ["eta2=0.7"])
        var job = try SlurmJob(
            plan: plan, directory: root.appendingPathComponent("job").path, shards: 5, cpusPerTask: 2,
            executable: "/opt/bin/transfersim")
        job.maxRunning = 3
        job.partition = "short"
        job.time = "01:00:00"
        try job.write()
        let sweep = try String(contentsOf: job.directory.appendingPathComponent("sweep.sbatch"), encoding: .utf8)
        #expect(sweep.contains("#SBATCH --array=0-4%3\n") && sweep.contains("#SBATCH --cpus-per-task=2\n"))
        #expect(sweep.contains("#SBATCH --partition=short\n") && sweep.contains("#SBATCH --time=01:00:00\n"))
        #expect(sweep.contains("--shard \"${SLURM_ARRAY_TASK_ID}/5\" --threads 2"))
        let merge = try String(contentsOf: job.directory.appendingPathComponent("merge.sbatch"), encoding: .utf8)
        #expect((0..<5).allSatisfy { merge.contains("/job/shards/\($0)'") })
        // Tasks and merge run this process's kernel, whatever node they land on.
        let kernel = BLASIdentity.current.kernel
        #expect(sweep.hasSuffix("--quiet --blas-kernel \(kernel)\n") && merge.hasSuffix(" --blas-kernel \(kernel)\n"))
        // The frozen sweep.yaml carries the --set override, so every task runs the same sweep.
        let frozen = try SweepPlan.load(path: job.directory.appendingPathComponent("sweep.yaml").path)
        #expect(SweepPlan.differingKeys(frozen.identity, plan.identity).isEmpty && frozen.base.eta2 == 0.7)
        // Another sweep cannot reuse the job directory.
        let other = try SlurmJob(
            plan: try SweepPlan.load(path: config), directory: job.directory.path, shards: 5, cpusPerTask: 1,
            executable: "x")
        #expect(throws: SweepError.self) { try other.write() }
    }

    @Test("merging a job's shards fills the job directory; a missing shard is named")
    func merge_intoJobDirectory() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let job = try SlurmJob(
            plan: plan, directory: root.appendingPathComponent("job").path, shards: 3, cpusPerTask: 1, executable: "x")
        try job.write()
        let shards = (0..<3).map { job.shardDirectory($0).path }
        for i in [0, 2] {
            _ = try SweepRunner(plan: plan, directory: shards[i], threads: 1, shard: Shard(index: i, count: 3)).run()
        }
        let error = try #require(throws: SweepError.self) {
            try SweepMerge.merge(directories: shards, output: job.directory.path)
        }
        #expect(error.key == shards[1] && error.message.contains("does not exist"))
        _ = try SweepRunner(plan: plan, directory: shards[1], threads: 1, shard: Shard(index: 1, count: 3)).run()
        _ = try SweepMerge.merge(directories: shards, output: job.directory.path)
        let whole = root.appendingPathComponent("whole")
        _ = try SweepRunner(plan: plan, directory: whole.path).run()
        #expect(try SweepTests.read(job.directory, "summary.csv") == SweepTests.read(whole, "summary.csv"))
        #expect(FileManager.default.fileExists(atPath: job.directory.appendingPathComponent("sweep.sbatch").path))
    }
}

/// `run --from DIR --cell ID --replicate R` and `run --config DIR/config.resolved.yaml --set …`.
@Suite struct RowReproductionTests {
    @Test(
        "run --from reproduces every row of a sweep to the bit (all but seconds); the resolved sweep config plus the cell's values does too"
    )
    func runFrom_equalsItsRow() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let plan = try SweepPlan.load(path: config)
        _ = try SweepRunner(plan: plan, directory: out.path, threads: 2).run()
        let rows = try SweepTests.rowsWithoutTiming(out)
        let replicateColumn = ResultColumns.index("replicate")
        for (k, row) in rows.enumerated() {
            var job = RunJob(configPath: nil, output: root.appendingPathComponent("run-\(k)").path)
            job.sweepCell = SweepCell(directory: out.path, cellID: row[0], replicate: Int(row[replicateColumn]) ?? -1)
            let (result, _) = try job.execute()
            #expect(SweepTests.row(row[0], result) == row, "row \(k)")
        }
        // The resolved sweep config with the swept values of the last row given by --set.
        let last = try #require(rows.last)
        let swept = plan.spec.sweptKeys.map { "\($0)=\(last[ResultColumns.index($0)])" }
        let viaConfig = RunJob(
            configPath: out.appendingPathComponent("config.resolved.yaml").path,
            overrides: swept + ["replicate=\(last[replicateColumn])"],
            output: root.appendingPathComponent("via-config").path)
        let (result, _) = try viaConfig.execute()
        #expect(SweepTests.row(last[0], result) == last)
        // Missing swept values, an unknown cell or replicate are one-line errors.
        let missing = RunJob(
            configPath: out.appendingPathComponent("config.resolved.yaml").path, overrides: ["alpha=1"],
            output: root.path + "/x")
        #expect(
            throws: ConfigError(
                key: "u_norm",
                "swept by the sweep config \(out.path)/config.resolved.yaml; give the cell's values with --set u_norm=… (they are columns of results.csv), or use run --from DIR --cell ID"
            )
        ) {
            try missing.resolveConfig()
        }
        var unknown = RunJob(configPath: nil, output: root.path + "/y")
        unknown.sweepCell = SweepCell(directory: out.path, cellID: "0123456789abcdef", replicate: 0)
        #expect(throws: SweepError.self) { try unknown.resolveConfig() }
        unknown.sweepCell = SweepCell(directory: out.path, cellID: last[0], replicate: 9)
        #expect(throws: SweepError.self) { try unknown.resolveConfig() }
    }
}

/// `--grid KEY=…` on the command line.
@Suite struct GridArgumentTests {
    @Test(
        "--grid forms equal their YAML forms; they replace a file axis or add one (a fixed key becomes swept); bad forms are refused"
    )
    func gridArguments_equalYAML() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.base + "alpha: 0.5\ngrid:\n  u_norm: [0, 1]\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let yaml = { (grid: String) throws -> SweepPlan in
            let path = root.appendingPathComponent("y.yaml").path
            try (SweepTests.base + "alpha: 0.5\ngrid:\n" + grid).write(toFile: path, atomically: true, encoding: .utf8)
            return try SweepPlan.load(path: path)
        }
        let cases: [([String], String)] = [
            (["u_norm=0.5,1.5"], "  u_norm: [0.5, 1.5]\n"),
            (["u_norm=0:2.4:0.3"], "  u_norm: {from: 0, to: 2.4, step: 0.3}\n"),
            (["u_norm=0:2.4:n13"], "  u_norm: {from: 0, to: 2.4, steps: 13}\n"),
            (["alpha=0,1", "u_norm=0:1:n3"], "  u_norm: {from: 0, to: 1, steps: 3}\n  alpha: [0, 1]\n"),
        ]
        for (arguments, grid) in cases {
            let fromArguments = try SweepPlan.load(path: config, grids: arguments)
            let fromYAML = try yaml(grid)
            #expect(fromArguments.cells.map(\.id) == fromYAML.cells.map(\.id), "\(arguments)")
            #expect(SweepPlan.differingKeys(fromArguments.identity, fromYAML.identity).isEmpty, "\(arguments)")
        }
        let recorded = try SweepPlan.load(path: config, grids: ["alpha=0,1"]).resolvedYAML
        #expect(recorded.contains("grid:\n  u_norm: [0, 1]\n  alpha: [0, 1]\n"))
        for bad in ["u_norm", "u_norm=", "=1,2", "u_norm=0:1", "u_norm=0:1:n0", "colour=1,2", "u_norm=1,1"] {
            #expect(throws: ConfigError.self, "\(bad)") { try SweepPlan.load(path: config, grids: [bad]) }
        }
        #expect(throws: ConfigError.self) { try SweepPlan.load(path: config, grids: ["alpha=0,1", "alpha=0,0.5"]) }
    }
}

/// Upstream models kept across sweeps (``UpstreamCache``).
@Suite struct UpstreamCacheTests {
    @Test(
        "a second sweep with a warm cache trains no upstream model and writes identical rows; a corrupt entry is retrained and rewritten"
    )
    func warmCache_reusesBitForBit() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let cache = root.appendingPathComponent("cache")
        func sweep(_ name: String, threads: Int = 2) throws -> SweepReport {
            var runner = SweepRunner(plan: plan, directory: root.appendingPathComponent(name).path, threads: threads)
            runner.upstreamCacheDirectory = cache
            return try runner.run()
        }
        let cold = try sweep("cold")
        #expect(cold.upstreamTrainings == 4 && cold.upstreamReuses == 0)  // ‖u‖ ∈ {0.5, 1.5} × 2 replicates (α shares them)
        let warm = try sweep("warm", threads: 1)
        #expect(warm.upstreamTrainings == 0 && warm.upstreamReuses == 4)
        #expect(
            try SweepTests.rowsWithoutTiming(root.appendingPathComponent("cold"))
                == SweepTests.rowsWithoutTiming(root.appendingPathComponent("warm")))
        #expect(
            try SweepTests.read(root.appendingPathComponent("cold"), "summary.csv")
                == SweepTests.read(root.appendingPathComponent("warm"), "summary.csv"))
        // Truncate one entry and flip a byte of another: both are retrained (and rewritten), the rows unchanged.
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".bin") }
            .sorted()
        #expect(entries.count == 4)
        let first = cache.appendingPathComponent(entries[0]), second = cache.appendingPathComponent(entries[1])
        try Data(try Data(contentsOf: first).prefix(100)).write(to: first)
        var bytes = try Data(contentsOf: second)
        bytes[20] ^= 0xFF
        try bytes.write(to: second)
        let repaired = try sweep("repaired")
        #expect(repaired.upstreamTrainings == 2 && repaired.upstreamReuses == 2)
        #expect(
            try SweepTests.rowsWithoutTiming(root.appendingPathComponent("repaired"))
                == SweepTests.rowsWithoutTiming(root.appendingPathComponent("cold")))
        #expect(try sweep("again").upstreamReuses == 4)
    }
}

/// `keep_history: true` in a sweep config.
@Suite struct KeptHistoryTests {
    @Test(
        "keep_history writes each row's transfer and baseline history with test errors, equal to run --from's; rows unchanged"
    )
    func keptHistory_equalsRunFrom() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid + "keep_history: true\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        #expect(plan.spec.keepHistory && plan.resolvedYAML.hasSuffix("replicates: 2\nkeep_history: true\n"))
        let out = root.appendingPathComponent("out"), plain = root.appendingPathComponent("plain")
        _ = try SweepRunner(plan: plan, directory: out.path, threads: 2).run()
        var without = plan.spec
        without.keepHistory = false
        _ = try SweepRunner(
            plan: try SweepPlan(baseLayers: plan.baseLayers, spec: without), directory: plain.path, threads: 2
        ).run()
        #expect(try SweepTests.rowsWithoutTiming(out) == SweepTests.rowsWithoutTiming(plain))
        let files = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("histories").path)
            .sorted()
        #expect(files.count == 12)
        let cell = plan.cells[4]
        let kept = CSV.parse(
            try String(contentsOf: out.appendingPathComponent("histories/\(cell.id)-r1.csv"), encoding: .utf8))
        #expect(kept[0] == ["cell_id", "replicate", "stage"] + HistoryRecord.columns)
        // The same rows as the transfer and baseline rows of run --from's history.csv, with the cell's id and replicate.
        var job = RunJob(configPath: nil, output: root.appendingPathComponent("run").path)
        job.sweepCell = SweepCell(directory: out.path, cellID: cell.id, replicate: 1)
        _ = try job.execute()
        let run = CSV.parse(try String(contentsOf: root.appendingPathComponent("run/history.csv"), encoding: .utf8))
            .dropFirst()
            .filter { $0[0] != "upstream" }
        #expect(kept.dropFirst().map { Array($0.dropFirst(2)) } == run)
        #expect(kept.dropFirst().allSatisfy { $0[0] == cell.id && $0[1] == "1" && !$0.last!.isEmpty })
    }
}
