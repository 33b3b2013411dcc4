import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// The BLAS kernel: pinned by the executable, recorded in every directory, and bit-identity under each kernel this CPU
/// runs (each check in a `transfersim` process of its own, since OpenBLAS picks its kernel when it loads).
@Suite(.serialized) struct KernelTests {
    /// Prescott (every x86-64), Haswell and, on AVX-512 CPUs, SkylakeX: the kernels the bit-identity checks run under.
    static var kernels: [String] {
        ["Prescott", "Haswell", "SkylakeX"].filter(BLASKernel.runnable.contains)
    }

    /// A sweep whose ‖u‖ row of 10 upstream models is batched differently with 1 and 2 threads (caps 5 and 4) and
    /// with an eleventh ‖u‖ value; `m = 3` gives 6-row blocks, which no kernel's row blocking divides evenly.
    static let sweep =
        SweepTests.base + """
            grid:
              u_norm: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
              alpha: [0.5, 1]
            replicates: 2

            """

    /// Runs `transfersim arguments` under `kernel` (the setting's environment variable) and requires exit 0.
    @discardableResult
    static func run(_ arguments: [String], kernel: String, in root: URL) throws -> CLIHarness.Outcome {
        let outcome = try CLIHarness.run(arguments, in: root, environment: [BLASKernel.environmentVariable: kernel])
        #expect(outcome.status == 0, "\(arguments) under \(kernel): \(outcome.stderr)")
        return outcome
    }

    /// `results.csv` rows without `seconds`, sorted (worker order differs).
    static func rows(_ directory: URL) throws -> [String] {
        CSV.parse(try SweepTests.read(directory, "results.csv")).dropFirst().map {
            $0.dropLast(2).joined(separator: ",")
        }.sorted()
    }

    @Test(
        "the default executable runs the pinned Haswell kernel whatever OPENBLAS_CORETYPE says; native and names choose; bad names are one line"
    )
    func defaultKernel_isPinned() throws {
        let root = try CLIHarness.temporaryDirectory("kernel")
        defer { try? FileManager.default.removeItem(at: root) }
        let pinned = BLASKernel.runnable.contains(BLASKernel.pinnedDefault)
        for machine in [nil, "Prescott", "SkylakeX", "Zen"] {
            var environment = ProcessInfo.processInfo.environment
            environment["OPENBLAS_CORETYPE"] = machine
            environment[BLASKernel.environmentVariable] = nil
            let process = Process()
            process.executableURL = CLIHarness.binary
            process.arguments = ["blas", "--kernel"]
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            if pinned { #expect(text == "Haswell\n", "OPENBLAS_CORETYPE=\(machine ?? "unset")") }
        }
        // `native` honours the user's OPENBLAS_CORETYPE; the flag beats the variable; names are case-insensitive.
        let native = try CLIHarness.run(
            ["blas", "--kernel", "--blas-kernel", "native"], in: root, environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(native.stdout == "Prescott\n")
        let flag = try CLIHarness.run(
            ["--blas-kernel=prescott", "blas", "--kernel"], in: root,
            environment: [BLASKernel.environmentVariable: "Haswell"])
        #expect(flag.stdout == "Prescott\n")
        let report = try CLIHarness.run(["blas"], in: root, environment: [BLASKernel.environmentVariable: "Prescott"])
        #expect(report.stdout.contains("kernel   Prescott") && report.stdout.contains("OpenBLAS"))
        for bad in ["Bogus", "", "SkylakeX!"] {
            let outcome = try CLIHarness.run(["blas", "--blas-kernel", bad], in: root)
            #expect(outcome.status == 1 && outcome.stdout.isEmpty, "\(bad)")
            #expect(
                outcome.stderr.hasPrefix("error: --blas-kernel: ") && outcome.stderr.filter { $0 == "\n" }.count == 1,
                "\(bad): \(outcome.stderr)")
        }
        // A kernel this CPU lacks the instructions for is refused, naming what is missing.
        if let missing = BLASKernel.families.first(where: { !BLASKernel.runnable.contains($0.name) }) {
            let outcome = try CLIHarness.run(["blas", "--blas-kernel", missing.name], in: root)
            #expect(outcome.status == 1 && outcome.stderr.contains("cannot run the \(missing.name) kernel"))
        }
    }

    @Test(
        "under each kernel: threads 1 and 2 (other batches), shards merged, a grid value added and run --from (one by one) give the same rows",
        arguments: KernelTests.kernels)
    func bitIdentity_underEachKernel(kernel: String) throws {
        let root = try CLIHarness.temporaryDirectory("kernel-\(kernel)")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.sweep.write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let common = ["--config", "sweep.yaml", "--quiet", "--no-upstream-cache"]
        try Self.run(["sweep"] + common + ["--out", "one", "--threads", "1"], kernel: kernel, in: root)
        try Self.run(["sweep"] + common + ["--out", "two", "--threads", "2"], kernel: kernel, in: root)
        let (one, two) = (root.appendingPathComponent("one"), root.appendingPathComponent("two"))
        #expect(try BLASIdentity(text: SweepTests.read(one, BLASIdentity.fileName))?.kernel == kernel)
        let reference = try Self.rows(one)
        #expect(reference.count == 40)
        #expect(try Self.rows(two) == reference, "threads, \(kernel)")
        #expect(try SweepTests.read(one, "summary.csv") == SweepTests.read(two, "summary.csv"))
        // Shards (other batches again), merged.
        for i in 0..<2 {
            try Self.run(["sweep"] + common + ["--out", "shard\(i)", "--shard", "\(i)/2"], kernel: kernel, in: root)
        }
        try Self.run(["merge", "shard0", "shard1", "--out", "merged"], kernel: kernel, in: root)
        #expect(try Self.rows(root.appendingPathComponent("merged")) == reference, "shards, \(kernel)")
        #expect(
            try SweepTests.read(root.appendingPathComponent("merged"), "summary.csv")
                == SweepTests.read(one, "summary.csv"))
        // An eleventh ‖u‖ value: its row's batches change, the other cells' rows do not.
        try Self.run(["sweep"] + common + ["--out", "wider", "--grid", "u_norm=0.1:1.1:0.1"], kernel: kernel, in: root)
        let wider = try Self.rows(root.appendingPathComponent("wider"))
        #expect(wider.count == 44 && Set(reference).isSubset(of: Set(wider)), "grid value added, \(kernel)")
        // Rows reproduced one by one (run --from trains its upstream model alone): every metric of summary.json.
        let table = CSV.parse(try SweepTests.read(one, "results.csv"))
        let header = table[0]
        for line in [table[1], table[18], table[40]] {
            let replicate = line[ResultColumns.index("replicate")]
            let out = "from-\(line[0])-\(replicate)"
            try Self.run(
                ["run", "--from", "one", "--cell", line[0], "--replicate", replicate, "--out", out], kernel: kernel,
                in: root)
            // summary.json's number texts as written (a JSON parser may not round-trip the last digit).
            let text = try SweepTests.read(root.appendingPathComponent(out), "summary.json")
            var values: [String: String] = [:]
            for entry in text.split(separator: "\n") where entry.hasPrefix("  \"") {
                let parts = entry.dropFirst(3).split(separator: "\"", maxSplits: 1)
                guard parts.count == 2 else { continue }
                values[String(parts[0])] = parts[1].dropFirst(2).trimmingCharacters(in: CharacterSet(charactersIn: ","))
            }
            var compared = 0
            for (column, field) in zip(header, line) where column != "seconds" && column != "seed" {
                guard let value = values[column], Double(value) != nil else { continue }
                #expect(value == field, "\(kernel) \(out) \(column)")
                compared += 1
            }
            #expect(compared > 20)
        }
    }

    /// A Kou-type sweep: α = 0, the ‖μ‖ cells of a (d, replicate) row share their draws and train as one `SpanBatch`
    /// (11 values: a block of 8 lanes and 3 cells left over).
    static let kouSweep = """
        preset: kou2023-code
        m: 3
        n2: 12
        steps2: 25
        n_test: 200
        log_every: 5
        alpha: 0
        u_norm: 0
        v1_norm: 0
        grid:
          mu2_norm: [0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.7, 3]
          d: [20, 35]
        replicates: 2

        """

    @Test(
        "a Kou-type row trained as one SpanBatch: threads 1 and 2, shards of 3 merged (other batches) and run --from (alone) give the same rows, and the rows differ by ‖μ‖"
    )
    func kouRows_independentOfBatch() throws {
        let root = try CLIHarness.temporaryDirectory("kou-batch")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.kouSweep.write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let common = ["--config", "sweep.yaml", "--quiet", "--no-upstream-cache"]
        let kernel = "Haswell"
        try Self.run(["sweep"] + common + ["--out", "one", "--threads", "1"], kernel: kernel, in: root)
        try Self.run(["sweep"] + common + ["--out", "two", "--threads", "2"], kernel: kernel, in: root)
        let reference = try Self.rows(root.appendingPathComponent("one"))
        #expect(reference.count == 44)
        #expect(try Self.rows(root.appendingPathComponent("two")) == reference, "threads")
        for i in 0..<3 {
            try Self.run(["sweep"] + common + ["--out", "shard\(i)", "--shard", "\(i)/3"], kernel: kernel, in: root)
        }
        try Self.run(["merge", "shard0", "shard1", "shard2", "--out", "merged"], kernel: kernel, in: root)
        #expect(try Self.rows(root.appendingPathComponent("merged")) == reference, "shards")
        let table = CSV.parse(try SweepTests.read(root.appendingPathComponent("one"), "results.csv"))
        let rho = ResultColumns.index("baseline_rho_bar_max")
        #expect(Set(table.dropFirst().map { $0[rho] }).count > 20, "the cells trained differently")
        let replicate = ResultColumns.index("replicate")
        for line in [table[1], table[10], table[44]] {
            let out = "from-\(line[0])-\(line[replicate])"
            try Self.run(
                ["run", "--from", "one", "--cell", line[0], "--replicate", line[replicate], "--out", out],
                kernel: kernel, in: root)
            let summary = try SweepTests.read(root.appendingPathComponent(out), "summary.json")
            #expect(summary.contains("\"baseline_rho_bar_max\": \(line[rho])"), "\(out): \(line[rho])")
        }
    }

    @Test(
        "under each kernel, models trained in one batch equal their own runs bit for bit (this test binary rerun under that kernel)",
        arguments: KernelTests.kernels)
    func batchTraining_underEachKernel(kernel: String) throws {
        // OpenBLAS picks its kernel when it loads, so the in-process suites run again in a child of this executable.
        let (status, text) = try CLIHarness.rerunTests(
            "BatchTrainingTests|testProcess_runsTheDefault",
            environment: ["OPENBLAS_CORETYPE": kernel, BLASKernel.environmentVariable: kernel])
        #expect(status == 0, "\(kernel): \(text.suffix(2000))")
        #expect(text.contains("Test run with 2 tests") && text.contains("passed"), "\(kernel): \(text.suffix(600))")
    }

    @Test(
        "resume and merge of rows computed under another kernel are refused naming both, with nothing written; run --from too"
    )
    func otherKernel_isRefused() throws {
        let kernels = Self.kernels
        guard kernels.count >= 2 else { return }
        let (first, second) = (kernels[0], kernels[1])
        let root = try CLIHarness.temporaryDirectory("kernel-mix")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.sweep.write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let common = ["--config", "sweep.yaml", "--quiet", "--no-upstream-cache"]
        try Self.run(["sweep"] + common + ["--out", "a", "--shard", "0/2"], kernel: first, in: root)
        try Self.run(["sweep"] + common + ["--out", "b", "--shard", "1/2"], kernel: second, in: root)
        let a = root.appendingPathComponent("a")
        let before = CLIHarness.tree(a).map { ($0, try? Data(contentsOf: a.appendingPathComponent($0))) }
        let resumed = try CLIHarness.run(
            ["sweep"] + common + ["--out", "a", "--shard", "0/2"], in: root,
            environment: [BLASKernel.environmentVariable: second])
        #expect(
            resumed.status == 1 && resumed.stderr.contains("kernel \(first)")
                && resumed.stderr.contains("kernel \(second)"), "\(resumed.stderr)")
        #expect(
            CLIHarness.tree(a).map { ($0, try? Data(contentsOf: a.appendingPathComponent($0))) }.elementsEqual(
                before
            ) { $0 == $1 })
        for kernel in [first, second] {
            let merged = try CLIHarness.run(
                ["merge", "a", "b", "--out", "merged"], in: root, environment: [BLASKernel.environmentVariable: kernel])
            #expect(
                merged.status == 1 && merged.stderr.contains("kernel \(first)")
                    && merged.stderr.contains("kernel \(second)"), "\(merged.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("merged").path))
        }
        let lines = CSV.parse(try SweepTests.read(a, "results.csv")).dropFirst()
        let line = try #require(lines.first)
        let from = try CLIHarness.run(
            ["run", "--from", "a", "--cell", line[0], "--out", "r"], in: root,
            environment: [BLASKernel.environmentVariable: second])
        #expect(from.status == 1 && from.stderr.contains("--blas-kernel \(first)"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("r").path))
    }

    @Test(
        "the test process runs the kernel its setting names (make test sets OPENBLAS_CORETYPE from `transfersim blas --kernel`)"
    )
    func testProcess_runsTheDefault() throws {
        let setting = ProcessInfo.processInfo.environment[BLASKernel.environmentVariable]
        guard let kernel = try BLASKernel.resolve(setting).kernel else { return }
        #expect(
            BLASIdentity.current.kernel == kernel,
            "run the suite with `make test`, or OPENBLAS_CORETYPE=\(kernel) swift test")
    }

    @Test("a BLAS identity reads back from its file text; malformed texts are refused")
    func identity_roundTrips() {
        let identity = BLASIdentity.current
        #expect(BLASIdentity(text: identity.text) == identity)
        #expect(!identity.library.isEmpty && !identity.kernel.isEmpty)
        #expect(BLASIdentity(text: "kernel: Haswell\n") == nil)
        #expect(BLASIdentity(text: identity.text + "extra line\n") == nil)
        #expect(
            BLASIdentity(
                text: identity.text.replacingOccurrences(of: "kernel: \(identity.kernel)", with: "kernel: Prescott"))?
                .kernel == "Prescott")
    }
}
