import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// `transfersim merge`: combines shard directories into exactly the files an unsharded sweep writes.
public enum SweepMerge {
    /// Merges `directories` (each a `sweep --shard i/N` output of one sweep) into `output`.
    ///
    /// Every argument must be a sweep directory holding the same sweep config, computed by this results version and
    /// BLAS; `output` may not be one of them. Rows are combined: a pair found twice must be the same row but for
    /// `seconds` (kept once), else the merge is refused naming the pair and both files (``ResultsIndex``); rows that
    /// are not pairs of the plan are left out and listed in `dropped`, rows that fail their checksum left out and listed
    /// in `corrupt` (``ResultsIndex/corrupt``: another shard's copy of the pair may stand in); every (cell, replicate) of the plan must be
    /// present, else the merge is refused with the missing cells and the shards they belong to. A new (or empty) `output` is written all-or-nothing; an
    /// existing one must already belong to this sweep (its `config.resolved.yaml`, or the `sweep.yaml` of a
    /// `transfersim slurm` job directory), and each file is then replaced atomically. `output` is locked
    /// (``DirectoryLock``) throughout.
    ///
    /// - Throws: ``SweepError`` for foreign, mixed-version, other-kernel or incomplete shards; ``FileError`` for I/O or a busy output.
    public static func merge(
        directories: [String], output: String
    ) throws -> (plan: SweepPlan, rows: Int, dropped: [String], corrupt: [String]) {
        guard let first = directories.first else {
            throw SweepError(key: "merge", "needs the shard directories of one sweep")
        }
        let destination = try OutputDirectory.resolve(output, key: "--out")
        for path in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw SweepError(key: path, "does not exist (a shard whose task never ran? run it, then merge)")
            }
            guard isDirectory.boolValue else {
                throw SweepError(key: path, "is not a directory; merge takes the shard directories of one sweep")
            }
            guard
                FileManager.default.fileExists(
                    atPath: URL(fileURLWithPath: path).appendingPathComponent("config.resolved.yaml").path)
            else {
                throw SweepError(
                    key: path, "holds no sweep (config.resolved.yaml); merge takes the shard directories of one sweep")
            }
            guard
                URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
                    != destination.resolvingSymlinksInPath().standardizedFileURL.path
            else {
                throw SweepError(
                    key: "--out", "'\(output)' is one of the directories merged; merge into another directory")
            }
        }
        let plan = try SweepPlan.load(
            path: URL(fileURLWithPath: first).appendingPathComponent("config.resolved.yaml").path)
        var shardCount = 1
        for path in directories {
            let url = URL(fileURLWithPath: path)
            try plan.requireSameSweep(
                as: url.appendingPathComponent("config.resolved.yaml"), key: path,
                advice: "merge only the shards of \(first)")
            try ResultsVersion.checkComputation(url, key: path)
            shardCount = max(shardCount, try Shard.recorded(in: url).count)
        }
        let index = try ResultsIndex(
            files: directories.map { URL(fileURLWithPath: $0).appendingPathComponent("results.csv") })
        var missing: [String] = []
        var missingShards = Set<Int>()
        for cell in plan.cells {
            let absent = (0..<plan.spec.replicates).filter { !index.contains(cell: cell.id, replicate: $0) }
            guard !absent.isEmpty else { continue }
            missingShards.insert(cell.index % shardCount)
            if missing.count < 5 {
                missing.append(
                    "cell \(cell.index) (\(cell.id)) replicates \(absent.map(String.init).joined(separator: " "))")
            }
        }
        guard missing.isEmpty else {
            let shards = missingShards.sorted().map { "\($0)/\(shardCount)" }.joined(separator: ", ")
            let corrupt =
                index.corrupt.first.map { " (\(index.corrupt.count) row(s) fail their checksum, e.g. \($0))" } ?? ""
            throw SweepError(
                key: "merge",
                "incomplete: rows missing from shard(s) \(shards)\(corrupt), e.g. \(missing.joined(separator: "; ")); resume those shards first"
            )
        }
        try FileManager.default.createDirectory(
            at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lock = try DirectoryLock(destination, key: "--out")
        defer { lock.release() }
        StagedDirectory.recoverInterruptedReplacement(of: destination)
        OutputDirectory.removeTemporaries(in: destination)
        let contents = OutputDirectory.contents(destination)
        if contents.isEmpty {
            let staged = try StagedDirectory(path: output, lock: lock)
            defer { staged.discard() }
            for file in ResultsVersion.files { try staged.write(file.text, to: file.name) }
            try staged.write(plan.resolvedYAML, to: "config.resolved.yaml")
            try SweepSummary.finalize(plan: plan, index: index, directory: staged.staging)
            try staged.commit()
        } else {
            let owner = ["config.resolved.yaml", "sweep.yaml"].first { contents.contains($0) }
            guard let owner else {
                throw SweepError(
                    key: "--out",
                    "'\(output)' holds other files; merge into a new directory or a job directory of this sweep")
            }
            try plan.requireSameSweep(as: destination.appendingPathComponent(owner), key: "--out")
            try ResultsVersion.write(into: destination)
            try AtomicFile.write(plan.resolvedYAML, to: destination.appendingPathComponent("config.resolved.yaml"))
            try SweepSummary.finalize(plan: plan, index: index, directory: destination)
        }
        let dropped = index.outside(plan)
        return (plan, index.count - dropped.count, dropped, index.corrupt)
    }
}
