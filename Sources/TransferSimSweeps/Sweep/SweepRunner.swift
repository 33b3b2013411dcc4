import Foundation
import Synchronization
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// What a sweep run did.
public struct SweepReport: Sendable {
    /// (cell, replicate) pairs of this shard.
    public var pairs = 0
    /// Pairs found finished in an existing `results.csv` and skipped.
    public var resumed = 0
    /// Pairs computed by this run.
    public var computed = 0
    /// Upstream models trained by this run (each shared by every cell with the same upstream key).
    public var upstreamTrainings = 0
    /// Upstream models read from the upstream cache instead of trained.
    public var upstreamReuses = 0
    /// Upstream-cache entries that failed their checksum (or were truncated): trained again and rewritten.
    public var corruptCacheEntries: [String] = []
    /// Whether the directory held a smaller sweep that this one grows (more replicates or axis values,
    /// ``SweepPlan/grows(_:)``): its rows were kept and only the new pairs ran.
    public var grew = false
    /// Rows of `results.csv` that failed their checksum or did not parse (``ResultsIndex/corrupt``): computed again,
    /// and left out of the files written.
    public var corruptRows: [String] = []
    /// Rows of `results.csv` that are not (cell, replicate) pairs of the plan (``ResultsIndex/outside(_:)``): left
    /// out of the files written, never counted.
    public var droppedRows: [String] = []
    /// `cell_id/replicate: status` of every row with a stage `diverged` or `error` (this run's and resumed).
    public var failures: [String] = []
    /// Whether the run stopped early (`--fail-fast`).
    public var stoppedEarly = false
}

/// Runs a sweep into a directory, in parallel, resumably (docs/model.md experiments over a ``SweepPlan``).
///
/// Work is grouped into units of (upstream key, replicate): a unit trains its upstream model once and
/// then runs every cell that shares it; cells with `α = 0` need none and are grouped by their task-2
/// streams instead, so that they reuse standard draws. Units whose upstream models share task-1 noise are
/// batched, their upstream models trained together (``GradientDescent/train(batch:team:)``, the same bits as one
/// by one). Batches run on `threads` workers, OpenBLAS pinned to one thread; a worker with no batch left helps the
/// others' large upstream step products (``ProductTeam``, the same bits). Rows are appended to
/// `results.csv` as cells finish; when the shard is complete the file is rewritten in canonical order and
/// (unsharded) `summary.csv` and heatmaps are written.
public struct SweepRunner: Sendable {
    /// The plan.
    public let plan: SweepPlan
    /// Output directory.
    public let directory: URL
    /// The directory as given (checked by ``run()``: an empty path must not become the working directory).
    private let path: String
    /// The most worker threads a sweep runs (`--threads`, `--cpus-per-task`): more than any node's cores.
    public static let maxThreads = 1024

    /// Worker threads, in `1...maxThreads`.
    public var threads: Int
    /// The cells to run.
    public var shard: Shard
    /// Stop at the first diverged or failed cell.
    public var failFast: Bool
    /// Progress display.
    public var progress: ProgressReporter.Mode
    /// Bytes the sweep may use (`--max-memory`); `nil`: the memory available when it starts
    /// (``MemoryEstimate/available(limit:)``).
    public var memoryLimit: Double?
    /// Where trained upstream models are kept and looked up across sweeps (``UpstreamCache``); nil: none (the
    /// library's default; the CLI uses ``UpstreamCache/defaultDirectory`` unless `--no-upstream-cache`).
    public var upstreamCacheDirectory: URL?
    private var upstreamCache: UpstreamCache? { upstreamCacheDirectory.map(UpstreamCache.init(directory:)) }

    /// A runner with all cells, all cores, no fail-fast, quiet.
    public init(
        plan: SweepPlan, directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        shard: Shard = .all, failFast: Bool = false, progress: ProgressReporter.Mode = .quiet
    ) {
        self.plan = plan
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL
        path = directory
        self.threads = min(max(1, threads), Self.maxThreads)
        self.shard = shard
        self.failFast = failFast
        self.progress = progress
    }

    /// Runs (or resumes) the sweep, holding the directory's ``DirectoryLock`` throughout.
    ///
    /// A cell whose ``MemoryEstimate`` exceeds the memory limit is recorded as an `error` row without running;
    /// the workers are capped so that their cells fit together. On SIGINT or SIGTERM (with
    /// ``Interruption/install()``) the row being appended is finished, and the process exits with
    /// `interrupted: N of M rows saved in DIR; rerun the same command to resume`.
    ///
    /// - Throws: ``SweepError`` if the directory is in use, holds another sweep (naming the differing keys)
    ///   or cannot be written.
    public func run() throws -> SweepReport {
        let threads = min(max(1, self.threads), Self.maxThreads)
        _ = try OutputDirectory.resolve(path, key: "--out")
        try FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory, key: "--out")
        defer { lock.release() }
        // Until the workers start (reading a large results.csv back takes a while), an interrupt saves nothing new.
        let path = directory.path
        var early: Interruption.Token? = Interruption.register {
            lock.release()
            return "interrupted before any row was computed; \(path) is as it was: rerun the same command to resume"
        }
        defer { early.map(Interruption.unregister) }
        var report = SweepReport()
        report.grew = try prepareDirectory()
        let results = try ResultsFile(
            url: directory.appendingPathComponent("results.csv"), header: ResultColumns.header)
        defer { results.close() }
        let finished = try ResultsIndex(files: [results.url])
        let limit = MemoryEstimate.available(limit: memoryLimit)
        report.corruptRows = finished.corrupt
        let schedule = SweepSchedule(
            plan: plan, shard: shard, finished: finished.contains(cell:replicate:), limit: limit, threads: threads)
        report.pairs = schedule.pairs
        report.resumed = schedule.resumed
        let histories = directory.appendingPathComponent("histories")
        if plan.spec.keepHistory {
            do {
                try FileManager.default.createDirectory(at: histories, withIntermediateDirectories: true)
            } catch {
                throw FileError(key: histories.path, "cannot create: \(StagedDirectory.reason(error))")
            }
            OutputDirectory.removeTemporaries(in: histories)
        }
        let workers = schedule.workers(limit: limit, threads: threads)
        let state = RunState(
            batches: schedule.batches, cellsPerRun: schedule.cellsPerRun(limit: limit, workers: workers),
            results: results, histories: histories,
            progress: ProgressReporter(total: schedule.work, mode: progress),
            failFast: failFast, saved: report.resumed)
        let (directory, pairs) = (directory, report.pairs)
        // The early handler hands over to this one with no instant between them (``Interruption/critical(_:)``).
        let interruption = Interruption.critical {
            early.map(Interruption.unregister)
            early = nil
            return Interruption.register {
                let saved = state.freeze()
                OutputDirectory.removeOwnTemporaries(in: directory)
                lock.release()
                return
                    "interrupted: \(saved) of \(pairs) rows saved in \(directory.path); rerun the same command to resume"
            }
        }
        defer { Interruption.unregister(interruption) }
        for (pair, error) in schedule.oversized {
            let cell = plan.cells[pair.cell]
            state.record(
                ResultColumns.errorRow(
                    cellID: cell.id, config: cell.config(replicate: pair.replicate), error: error, seconds: 0),
                failed: true)
        }
        // A worker with no batch left helps the others' upstream step products (``ProductTeam``: the same bits).
        let team = ProductTeam()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            team.join {
                while let batch = state.nextBatch() {
                    Self.process(batch, plan: plan, upstreamCache: upstreamCache, team: team, state: state)
                }
            }
        }
        state.progress.finish()
        try state.rethrowFailure()
        let totals = state.totals
        report.computed = totals.computed
        report.upstreamTrainings = totals.upstreamTrainings
        report.upstreamReuses = totals.upstreamReuses
        report.corruptCacheEntries = totals.corruptCacheEntries
        report.stoppedEarly = state.stopped
        if report.stoppedEarly {
            report.failures = totals.failures
        } else {
            let index = finished.adding(state.takeAppended())  // The rows this run wrote, where it wrote them: no second read.
            report.droppedRows = index.outside(plan)
            report.failures = try SweepSummary.finalize(
                plan: plan, index: index, directory: directory, summaries: shard.count == 1)
        }
        return report
    }

    /// Runs a batch of units: their upstream models together (waiting workers of `team` taking chunks of their step
    /// products), then each unit's cells; standard draws with the same streams (e.g. the test draws of a row) are
    /// shared through one ``DrawCache``.
    private static func process(
        _ batch: [[Pair]], plan: SweepPlan, upstreamCache: UpstreamCache?, team: ProductTeam, state: RunState
    ) {
        guard !state.stopped else { return }
        let cache = DrawCache()
        let leads = batch.map { plan.cells[$0[0].cell].config(replicate: $0[0].replicate) }
        var upstreams: [Int: Result<TransferExperiment.Upstream, Error>] = [:]
        var needing: [Int] = []
        for unit in leads.indices where leads[unit].needsUpstream {
            switch upstreamCache?.load(TransferExperiment(config: leads[unit]), draws: cache) {
            case .hit(let cached)?:
                upstreams[unit] = .success(cached)
                state.countUpstream(reused: true)
            case .corrupt(let entry)?:
                state.countCorrupt(entry)
                needing.append(unit)
            case .miss?, nil:
                needing.append(unit)
            }
        }
        let trained = TransferExperiment.trainUpstreams(
            needing.map { TransferExperiment(config: leads[$0]) }, cache: cache, team: team)
        for (unit, upstream) in zip(needing, trained) {
            upstreams[unit] = upstream
            if case .success(let model) = upstream {
                upstreamCache?.store(model, for: TransferExperiment(config: leads[unit]))
            }
            state.countUpstream(reused: false)
        }
        for (index, unit) in batch.enumerated() {
            process(unit, upstream: upstreams[index], cache: cache, plan: plan, state: state)
        }
    }

    /// Runs one unit's cells, which share `upstream` (nil when `α = 0`), in near-equal runs of at most
    /// ``SweepSchedule/cellsPerRun(limit:workers:)`` cells (``TransferExperiment/run(cells:upstream:cache:)``: the baselines of a row over `‖μ‖` train together; a
    /// row's bits do not depend on the run it was in). A row's `seconds` is its run's wall time over its cells.
    private static func process(
        _ unit: [Pair], upstream: Result<TransferExperiment.Upstream, Error>?, cache: DrawCache,
        plan: SweepPlan, state: RunState
    ) {
        for pairs in SweepSchedule.split(unit, cap: state.cellsPerRun) {
            guard !state.stopped else { return }
            let start = Date()
            let configs = pairs.map { plan.cells[$0.cell].config(replicate: $0.replicate) }
            let experiments = configs.map { config in
                var experiment = TransferExperiment(config: config)
                experiment.historyTestErrors = plan.spec.keepHistory
                experiment.recordsDownstreamHistory = plan.spec.keepHistory
                return experiment
            }
            let results: [Result<ExperimentResult, Error>]
            switch Result(catching: { try configs[0].needsUpstream ? upstream?.get() : nil }) {
            case .success(let model):
                results = TransferExperiment.run(cells: experiments, upstream: model, cache: cache)
            case .failure(let error):
                results = pairs.map { _ in .failure(error) }
            }
            let seconds = Date().timeIntervalSince(start) / Double(pairs.count)
            for (index, pair) in pairs.enumerated() {
                let cell = plan.cells[pair.cell], replicate = pair.replicate
                let row: [String]
                var failed = false
                do {
                    let result = try results[index].get()
                    if plan.spec.keepHistory {
                        // Written before the row, atomically: a kept history never lacks its row's history.
                        try AtomicFile.write(
                            RunWriter.history(
                                result, stages: [.transfer, .baseline],
                                leading: [("cell_id", cell.id), ("replicate", String(replicate))]),
                            to: state.histories.appendingPathComponent("\(cell.id)-r\(replicate).csv"))
                    }
                    failed = result.statuses.contains { $0.value == RunStatus.diverged.rawValue }
                    row = ResultColumns.row(
                        cellID: cell.id, values: plan.resolvedValues(of: cell, replicate: replicate), result: result,
                        seconds: seconds)
                } catch {
                    failed = true
                    row = ResultColumns.errorRow(
                        cellID: cell.id, config: configs[index], error: error, seconds: seconds)
                }
                state.record(row, failed: failed)
            }
        }
    }

    /// Creates the directory, or checks that an existing one holds this same sweep (and shard) or one this plan grows
    /// (``SweepPlan/grows(_:)``: its `config.resolved.yaml` is then replaced by this plan's, and the rows already there
    /// are kept); removes the temporary files of interrupted commands (the caller holds the lock). Returns whether the
    /// sweep grew.
    ///
    /// The directory is a sweep once `config.resolved.yaml` exists, and it is written last (after `shard`,
    /// `results_version` and `blas`): a directory holding only those (a kill in the first milliseconds) starts afresh.
    private func prepareDirectory() throws -> Bool {
        let manager = FileManager.default
        let configURL = directory.appendingPathComponent("config.resolved.yaml")
        let shardURL = directory.appendingPathComponent("shard")
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SweepError(key: "--out", "'\(directory.path)' is not a directory")
            }
            OutputDirectory.removeTemporaries(in: directory)
            let contents = OutputDirectory.contents(directory)
            if manager.fileExists(atPath: configURL.path) {
                let previousShard = try Shard.recorded(in: directory)
                guard previousShard == shard else {
                    throw SweepError(key: "--shard", "'\(directory.path)' holds shard \(previousShard), not \(shard)")
                }
                try ResultsVersion.checkComputation(directory, key: "--out")
                // A sweep grows in place by replicates or axis values (unsharded: shards grow through their job).
                let previous = try SweepPlan.load(path: configURL.path)
                if shard.count == 1, !SweepPlan.differingKeys(plan.identity, previous.identity).isEmpty,
                    plan.grows(previous)
                {
                    // The smaller sweep's summaries describe fewer cells: removed (this sweep wrote them) until the grown
                    // sweep finishes and writes its own, so no analysis reads them as this sweep's.
                    for name in ["summary.csv"] + SweepSummary.heatmapMetrics.map({ "heatmap_\($0).csv" }) {
                        try? manager.removeItem(at: directory.appendingPathComponent(name))
                    }
                    try AtomicFile.write(plan.resolvedYAML, to: configURL)
                    return true
                }
                try plan.requireSameSweep(
                    as: configURL, key: "--out",
                    advice:
                        "a sweep grows in place only by more replicates or more values on its axes; use a new --out to run this one"
                )
                return false
            }
            guard Set(contents).isSubset(of: ["shard"] + ResultsVersion.files.map(\.name)) else {
                throw SweepError(
                    key: "--out",
                    "'\(directory.path)' holds files but no sweep (config.resolved.yaml); use a new or empty directory")
            }
        }
        do {
            try manager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SweepError(key: "--out", "cannot create '\(directory.path)': \(error.localizedDescription)")
        }
        FaultInjection.point("sweep-after-mkdir")
        if shard.count > 1 { try AtomicFile.write(shard.description + "\n", to: shardURL) }
        try ResultsVersion.write(into: directory)
        FaultInjection.point("sweep-after-version")
        try AtomicFile.write(plan.resolvedYAML, to: configURL)
        return false
    }
}

/// Shared state of one sweep run's workers: what they read is immutable, what they count and append is one
/// ``Tally`` behind a `Mutex` (taken once per row append, so a row is written whole or not at all).
private final class RunState: Sendable {
    let batches: [[[Pair]]]
    let results: ResultsFile
    /// `histories/` of a sweep with `keep_history: true`.
    let histories: URL
    let progress: ProgressReporter
    let failFast: Bool
    /// Cells of a unit run together (``SweepSchedule/cellsPerRun(limit:workers:)``).
    let cellsPerRun: Int
    private static let replicateColumn = ResultColumns.index("replicate")

    /// What the workers count and append.
    struct Tally {
        var next = 0
        var failures: [String] = []
        var computed = 0
        var upstreamTrainings = 0
        var upstreamReuses = 0
        var corruptCacheEntries: [String] = []
        /// The rows this run appended: cell id, replicate, byte offset and length without the newline.
        var appended: [(id: String, replicate: Int, offset: UInt64, length: Int)] = []
        /// The I/O error that stopped the run (a row that could not be appended), if any.
        var failure: Error?
        var stop = false
        /// Set by ``freeze()``: every later access parks its thread until the process exits.
        var frozen = false
        /// Rows in `results.csv`: resumed ones, then each appended.
        var saved: Int
    }

    private let tally: Mutex<Tally>

    init(
        batches: [[[Pair]]], cellsPerRun: Int, results: ResultsFile, histories: URL, progress: ProgressReporter,
        failFast: Bool,
        saved: Int
    ) {
        self.batches = batches
        self.cellsPerRun = cellsPerRun
        self.results = results
        self.histories = histories
        self.progress = progress
        self.failFast = failFast
        tally = Mutex(Tally(saved: saved))
    }

    /// Stops every worker for good, between two row appends, and returns the rows saved (on an interrupt, just
    /// before the process exits: no row is appended after it, and every thread that touches the state afterwards
    /// waits for the exit, so the sweep's own end, e.g. "stopped early", is never printed).
    func freeze() -> Int {
        tally.withLock { tally in
            tally.stop = true
            tally.frozen = true
            return tally.saved
        }
    }

    var stopped: Bool { access { $0.stop } }

    /// The counts and the error once the workers are done.
    var totals:
        (computed: Int, upstreamTrainings: Int, upstreamReuses: Int, corruptCacheEntries: [String], failures: [String])
    {
        access { ($0.computed, $0.upstreamTrainings, $0.upstreamReuses, $0.corruptCacheEntries, $0.failures) }
    }

    /// Throws the error that stopped the run, if one did.
    func rethrowFailure() throws {
        if let failure = access({ tally -> Error? in tally.failure }) { throw failure }
    }

    /// The rows appended so far, handed over once the workers are done (the list is emptied: it is held only once).
    func takeAppended() -> [(id: String, replicate: Int, offset: UInt64, length: Int)] {
        access { tally in
            defer { tally.appended = [] }
            return tally.appended
        }
    }

    func nextBatch() -> [[Pair]]? {
        access { tally -> [[Pair]]? in
            guard !tally.stop, tally.next < batches.count else { return nil }
            defer { tally.next += 1 }
            return batches[tally.next]
        }
    }

    func countUpstream(reused: Bool) {
        access { if reused { $0.upstreamReuses += 1 } else { $0.upstreamTrainings += 1 } }
    }

    func countCorrupt(_ entry: URL) { access { $0.corruptCacheEntries.append(entry.path) } }

    /// `body` on the tally under the lock; once the run is frozen (an interrupt), the caller never returns: the process
    /// exits from the interrupt's handler, and no worker or the finishing sweep may print or write meanwhile.
    private func access<T>(_ body: (inout Tally) -> T) -> T {
        let (value, frozen) = tally.withLock { tally in (body(&tally), tally.frozen) }
        if frozen { Self.park() }
        return value
    }

    /// Waits for the process to exit.
    private static func park() -> Never {
        while true { sleep(3600) }
    }

    func record(_ row: [String], failed: Bool) {
        let line = ResultsFile.encode(row)  // Outside the lock: the workers format their rows in parallel.
        access { tally in
            guard !tally.stop else { return }
            do {
                let offset = try results.append(line)
                tally.appended.append((row[0], Int(row[Self.replicateColumn]) ?? 0, offset, line.count - 1))
                tally.computed += 1
                tally.saved += 1
                if failed {
                    tally.failures.append("cell \(row[0]) replicate \(row[Self.replicateColumn])")
                    if failFast { tally.stop = true }
                }
            } catch {
                tally.failure = error
                tally.stop = true
            }
        }
        progress.advance()
    }
}
