import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// A sweep as a Slurm job array (`transfersim slurm`): task `i` of `N` runs `sweep --shard i/N` into
/// `DIR/shards/i`; a dependent job (`afterok`) merges the shards into `DIR`.
///
/// Many cells go to each task (cells take milliseconds, a scheduler allocation seconds). The sweep config
/// is frozen into `DIR/sweep.yaml` (its resolved form, `--set` overrides included), so every task and
/// every resubmission reads the same sweep; a task that is preempted, times out or fails resumes its shard
/// when the array is submitted again, and only unfinished cells run.
package struct SlurmJob: Sendable {
    /// The sweep.
    package let plan: SweepPlan
    /// Job directory.
    package let directory: URL
    /// Array tasks `N`.
    package let shards: Int
    /// At most this many tasks at once (`%K`); `nil` for no limit.
    package var maxRunning: Int?
    /// `--partition`.
    package var partition: String?
    /// `--time` (HH:MM:SS or any Slurm time).
    package var time: String?
    /// `--cpus-per-task`, also the worker threads of each task.
    package var cpusPerTask: Int
    /// `--mem` (e.g. `2G`).
    package var memory: String?
    /// Absolute path of the `transfersim` executable the tasks run.
    package var executable: String
    /// The BLAS kernel family every task and the merge run (`--blas-kernel`): by default the one this process runs,
    /// so that the shards of nodes of different CPUs compute the same bits and merge (nil, where the family is not one
    /// ``BLASKernel/families`` names, as off x86-64: each task runs OpenBLAS's own pick).
    package var blasKernel: String? =
        BLASKernel.families.contains { $0.name == BLASIdentity.current.kernel } ? BLASIdentity.current.kernel : nil

    /// The most array tasks a job may have: the merge job's command line lists every shard directory, which must stay
    /// well within the kernel's argument limit (a few hundred KiB at 1000 typical paths).
    package static let maxShards = 1000

    /// A job; `1 ≤ shards ≤ min(cells, maxShards)` (a task without cells would run nothing), `cpusPerTask` in
    /// `1...SweepRunner.maxThreads`.
    package init(plan: SweepPlan, directory: String, shards: Int, cpusPerTask: Int, executable: String) throws {
        let most = min(plan.cells.count, Self.maxShards)
        guard (1...max(most, 1)).contains(shards) else {
            throw SweepError(
                key: "--shards",
                "must be an integer in [1, \(most)] (at most one task per cell, at most \(Self.maxShards)), got \(shards)"
            )
        }
        guard (1...SweepRunner.maxThreads).contains(cpusPerTask) else {
            throw SweepError(
                key: "--cpus-per-task", "must be an integer in [1, \(SweepRunner.maxThreads)], got \(cpusPerTask)")
        }
        self.plan = plan
        self.directory = try OutputDirectory.resolve(directory, key: "--out")
        self.shards = shards
        self.cpusPerTask = cpusPerTask
        self.executable = executable
    }

    /// Shard directory of task `i`.
    package func shardDirectory(_ i: Int) -> URL { directory.appendingPathComponent("shards/\(i)") }

    /// `sweep.sbatch`: the job array.
    package var sweepScript: String {
        var lines = [
            "#!/bin/bash", "#SBATCH --job-name=transfersim-sweep",
            "#SBATCH --array=0-\(shards - 1)" + (maxRunning.map { "%\($0)" } ?? ""),
            "#SBATCH --cpus-per-task=\(cpusPerTask)",
            "#SBATCH --output=\(directory.path)/logs/sweep-%A_%a.out",
        ]
        lines += directives
        lines += [
            "# Task i runs the cells with index ≡ i (mod \(shards)); resubmitting resumes unfinished cells only.",
            "set -euo pipefail",
            "exec \(quote(executable)) sweep --config \(quote(directory.path + "/sweep.yaml")) --shard \"${SLURM_ARRAY_TASK_ID}/\(shards)\" --threads \(cpusPerTask) --out \(quote(directory.path))\"/shards/${SLURM_ARRAY_TASK_ID}\" --quiet\(kernelOption)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `merge.sbatch`: merges every shard into the job directory (submitted with `--dependency=afterok`).
    package var mergeScript: String {
        var lines = [
            "#!/bin/bash", "#SBATCH --job-name=transfersim-merge", "#SBATCH --cpus-per-task=1",
            "#SBATCH --output=\(directory.path)/logs/merge-%j.out",
        ]
        lines += directives
        let shardList = (0..<shards).map { quote(shardDirectory($0).path) }.joined(separator: " ")
        lines += [
            "set -euo pipefail",
            "exec \(quote(executable)) merge \(shardList) --out \(quote(directory.path))\(kernelOption)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private var directives: [String] {
        [
            partition.map { "#SBATCH --partition=\($0)" }, time.map { "#SBATCH --time=\($0)" },
            memory.map { "#SBATCH --mem=\($0)" },
        ].compactMap { $0 }
    }

    private var kernelOption: String { blasKernel.map { " --blas-kernel \($0)" } ?? "" }

    private func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// `--partition`: a partition name or a comma-separated list of them.
    ///
    /// - Throws: ``SweepError`` (key `--partition`) naming the allowed form.
    @Sendable package static func checkedPartition(_ partition: String) throws -> String {
        guard matches(partition, #"^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$"#) else {
            throw SweepError(
                key: "--partition",
                "must be a partition name or a comma-separated list of them (letters, digits, _ . -), got \(partition.debugDescription)"
            )
        }
        return partition
    }

    /// `--time`: one of Slurm's time formats.
    ///
    /// - Throws: ``SweepError`` (key `--time`) naming the formats.
    @Sendable package static func checkedTime(_ time: String) throws -> String {
        guard matches(time, #"^([0-9]+(:[0-9]{1,2}){0,2}|[0-9]+-[0-9]{1,2}(:[0-9]{1,2}){0,2}|UNLIMITED|INFINITE)$"#)
        else {
            throw SweepError(
                key: "--time",
                "must be a Slurm time (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS or UNLIMITED), got \(time.debugDescription)"
            )
        }
        return time
    }

    /// `--mem`: an integer with an optional unit `K`, `M`, `G` or `T`.
    ///
    /// - Throws: ``SweepError`` (key `--mem`) naming the form.
    @Sendable package static func checkedMemory(_ memory: String) throws -> String {
        guard matches(memory, #"^[0-9]+[KMGT]?$"#) else {
            throw SweepError(
                key: "--mem",
                "must be an integer with an optional unit K, M, G or T (e.g. 2G), got \(memory.debugDescription)")
        }
        return memory
    }

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    /// Checks the options written into the scripts, before anything is written: `--partition` a name or a
    /// comma-separated list of names, `--time` one of Slurm's formats (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
    /// `D-HH:MM`, `D-HH:MM:SS`, `UNLIMITED`), `--mem` an integer with an optional `K`/`M`/`G`/`T`, the
    /// executable without control characters (a newline would inject an `#SBATCH` line), `--max-running` within the
    /// tasks, the job directory without characters an `#SBATCH --output=` line cannot carry.
    ///
    /// - Throws: ``SweepError`` naming the option and its allowed form.
    package func validate() throws {
        _ = try partition.map(Self.checkedPartition)
        _ = try time.map(Self.checkedTime)
        _ = try memory.map(Self.checkedMemory)
        if let maxRunning, !(1...shards).contains(maxRunning) {
            throw SweepError(
                key: "--max-running", "must be an integer in [1, \(shards)] (the number of tasks), got \(maxRunning)")
        }
        // `#SBATCH --output=` takes the path as it is: no quoting, `%` starts a pattern.
        if directory.path.unicodeScalars.contains(where: {
            $0.properties.isWhitespace || $0.properties.generalCategory == .control
                || "'\"\\%".unicodeScalars.contains($0)
        }) {
            throw SweepError(
                key: "--out",
                "a Slurm job directory must not contain whitespace, quotes, backslashes, % or control characters (#SBATCH lines are not quoted), got \(directory.path.debugDescription)"
            )
        }
        if executable.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw SweepError(
                key: "--executable", "must not contain control characters, got \(executable.debugDescription)")
        }
    }

    /// Writes `sweep.yaml`, `sweep.sbatch`, `merge.sbatch` and `logs/` into the job directory, holding its
    /// ``DirectoryLock`` (so a running merge and a second `slurm` command exclude each other).
    ///
    /// - Throws: ``SweepError`` for an invalid option (``validate()``), a directory in use, one holding a job
    ///   for another sweep, or one that cannot be written.
    package func write() throws {
        try validate()
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SweepError(
                key: "--out",
                "cannot create '\(directory.deletingLastPathComponent().path)': \(error.localizedDescription)")
        }
        let lock = try DirectoryLock(directory, key: "--out")
        defer { lock.release() }
        OutputDirectory.removeTemporaries(in: directory)
        let frozen = directory.appendingPathComponent("sweep.yaml")
        if manager.fileExists(atPath: frozen.path) { try plan.requireSameSweep(as: frozen, key: "--out") }
        do {
            try manager.createDirectory(at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
        } catch {
            throw SweepError(key: "--out", "cannot create '\(directory.path)': \(error.localizedDescription)")
        }
        try AtomicFile.write(plan.resolvedYAML, to: frozen)
        try AtomicFile.write(sweepScript, to: directory.appendingPathComponent("sweep.sbatch"))
        try AtomicFile.write(mergeScript, to: directory.appendingPathComponent("merge.sbatch"))
    }

    /// Submits the array, then the merge with `--dependency=afterok:<array>`; returns both job ids.
    ///
    /// - Throws: ``SweepError`` with `sbatch`'s message when a submission fails.
    package func submit() throws -> (array: String, merge: String) {
        let array = try Self.sbatch(["--parsable", directory.appendingPathComponent("sweep.sbatch").path])
        let merge = try Self.sbatch([
            "--parsable", "--dependency=afterok:\(array)", directory.appendingPathComponent("merge.sbatch").path,
        ])
        return (array, merge)
    }

    /// Runs `sbatch` and returns the job id it prints (`--parsable`: `id[;cluster]`).
    static func sbatch(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sbatch"] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw SweepError(key: "sbatch", "cannot run sbatch: \(error.localizedDescription)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let id = text.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard process.terminationStatus == 0, !id.isEmpty else {
            throw SweepError(
                key: "sbatch",
                "failed (status \(process.terminationStatus)): \(message.split(separator: "\n").first ?? "")")
        }
        return id
    }
}
