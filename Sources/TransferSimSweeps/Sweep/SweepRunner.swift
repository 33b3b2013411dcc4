import Foundation
import TransferSimCore
import TransferSimExperiment

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
/// batched, their upstream models trained together (``GradientDescent/train(batch:)``, the same bits as one
/// by one). Batches run on `threads` workers, OpenBLAS pinned to one thread. Rows are appended to
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
    public init(plan: SweepPlan, directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                shard: Shard = .all, failFast: Bool = false, progress: ProgressReporter.Mode = .quiet) {
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
        try FileManager.default.createDirectory(at: directory.deletingLastPathComponent(), withIntermediateDirectories: true)
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
        let results = try ResultsFile(url: directory.appendingPathComponent("results.csv"), header: ResultColumns.header)
        defer { results.close() }
        let finished = try ResultsIndex(files: [results.url])
        let limit = MemoryEstimate.available(limit: memoryLimit)
        report.corruptRows = finished.corrupt
        var units: [[Pair]] = []
        var unitOfKey: [String: Int] = [:]
        var oversized: [[String]] = []
        var largest = 0.0
        for cell in plan.cells where shard.contains(cell.index) {
            let estimate = MemoryEstimate(cell.config)
            if estimate.bytes <= limit { largest = max(largest, estimate.bytes) }
            for r in 0..<plan.spec.replicates {
                report.pairs += 1
                if finished.contains(cell: cell.id, replicate: r) {
                    report.resumed += 1
                    continue
                }
                if let error = estimate.excess(limit: limit) {
                    oversized.append(ResultColumns.errorRow(cellID: cell.id, config: cell.config(replicate: r), error: error, seconds: 0))
                    continue
                }
                // Cells sharing an upstream model form a unit; cells without one are grouped by their task-2
                // streams and d, so a unit's cells reuse standard draws (``DrawCache``).
                let config = cell.config(replicate: r)
                let key = config.needsUpstream ? config.upstreamKey
                    : "draws:\(config.streamSeed(.test))/\(config.streamSeed(.downstreamData))/\(config.d)"
                if let unit = unitOfKey[key] {
                    units[unit].append(Pair(cell: cell.index, replicate: r))
                } else {
                    unitOfKey[key] = units.count
                    units.append([Pair(cell: cell.index, replicate: r)])
                }
            }
        }
        // Units whose upstream models may share task-1 noise (same data stream, d and N₁: a row over ‖u‖) form a
        // group, split into near-equal batches that train together (``TransferExperiment/trainUpstreams(_:cache:)``):
        // at most `cap` units, 4 to 16 (16 · 2m rows reach the `dgemm` rate; a batch holds its units' training
        // sets), fewer when that leaves each worker about 4 batches. Equal sizes keep the workers balanced when
        // there are few groups (13 units on 2 workers: 4 batches of 4, 3, 3, 3 rather than 4, 4, 4, 1).
        var groups: [[[Pair]]] = []
        var groupOfKey: [String: Int] = [:]
        for unit in units {
            let config = plan.cells[unit[0].cell].config(replicate: unit[0].replicate)
            let key = "\(config.streamSeed(.upstreamData))|\(config.d)|\(config.n1)"
            if config.needsUpstream, let group = groupOfKey[key] {
                groups[group].append(unit)
            } else {
                if config.needsUpstream { groupOfKey[key] = groups.count }
                groups.append([unit])
            }
        }
        let cap = min(16, max(4, (units.count + 4 * threads - 1) / (4 * threads)))
        let batches = groups.flatMap { Self.split($0, cap: cap) }
        let histories = directory.appendingPathComponent("histories")
        if plan.spec.keepHistory {
            do {
                try FileManager.default.createDirectory(at: histories, withIntermediateDirectories: true)
            } catch {
                throw FileError(key: histories.path, "cannot create: \(StagedDirectory.reason(error))")
            }
            OutputDirectory.removeTemporaries(in: histories)
        }
        let state = RunState(batches: batches, results: results, histories: histories,
                             progress: ProgressReporter(total: units.reduce(0) { $0 + $1.count } + oversized.count, mode: progress),
                             failFast: failFast, saved: report.resumed)
        let (directory, pairs) = (directory, report.pairs)
        early.map(Interruption.unregister)
        early = nil
        let interruption = Interruption.register {
            let saved = state.freeze()
            OutputDirectory.removeOwnTemporaries(in: directory)
            lock.release()
            return "interrupted: \(saved) of \(pairs) rows saved in \(directory.path); rerun the same command to resume"
        }
        defer { Interruption.unregister(interruption) }
        for row in oversized { state.record(row, failed: true) }
        // Workers whose largest cells fit in the limit together, each with OpenBLAS's work buffer beyond the first
        // (results do not depend on the count).
        let perWorker = largest + Double(BLAS.bufferBytes)
        let workers = max(1, min(threads, largest > 0 ? Int(min((limit + Double(BLAS.bufferBytes)) / perWorker, 1e6)) : threads))
        DispatchQueue.concurrentPerform(iterations: min(workers, max(batches.count, 1))) { _ in
            while let batch = state.nextBatch() { Self.process(batch, plan: plan, upstreamCache: upstreamCache, state: state) }
        }
        state.progress.finish()
        if let error = state.fatalError { throw error }
        report.computed = state.computed
        report.upstreamTrainings = state.upstreamTrainings
        report.upstreamReuses = state.upstreamReuses
        report.corruptCacheEntries = state.corruptCacheEntries
        report.stoppedEarly = state.stopped
        if report.stoppedEarly {
            report.failures = state.failures
        } else {
            let index = finished.adding(state.takeAppended())  // The rows this run wrote, where it wrote them: no second read.
            report.droppedRows = index.outside(plan)
            report.failures = try SweepSummary.finalize(plan: plan, index: index, directory: directory, summaries: shard.count == 1)
        }
        return report
    }

    /// `items` cut, in order, into the fewest consecutive chunks of at most `cap` elements whose sizes differ by at
    /// most one.
    static func split<Item>(_ items: [Item], cap: Int) -> [[Item]] {
        precondition(cap >= 1, "chunk cap must be at least 1, got \(cap)")
        let count = (items.count + cap - 1) / cap
        return (0..<count).map { k in Array(items[(k * items.count / count)..<((k + 1) * items.count / count)]) }
    }

    /// Runs a batch of units: their upstream models together, then each unit's cells; standard draws with the
    /// same streams (e.g. the test draws of a row) are shared through one ``DrawCache``.
    private static func process(_ batch: [[Pair]], plan: SweepPlan, upstreamCache: UpstreamCache?, state: RunState) {
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
        let trained = TransferExperiment.trainUpstreams(needing.map { TransferExperiment(config: leads[$0]) }, cache: cache)
        for (unit, upstream) in zip(needing, trained) {
            upstreams[unit] = upstream
            if case .success(let model) = upstream { upstreamCache?.store(model, for: TransferExperiment(config: leads[unit])) }
            state.countUpstream(reused: false)
        }
        for (index, unit) in batch.enumerated() { process(unit, upstream: upstreams[index], cache: cache, plan: plan, state: state) }
    }

    /// Runs one unit's cells, which share `upstream` (nil when `α = 0`).
    private static func process(_ unit: [Pair], upstream: Result<TransferExperiment.Upstream, Error>?, cache: DrawCache,
                                plan: SweepPlan, state: RunState) {
        for pair in unit {
            guard !state.stopped else { return }
            let cell = plan.cells[pair.cell], replicate = pair.replicate
            let config = cell.config(replicate: replicate)
            let start = Date()
            var experiment = TransferExperiment(config: config)
            experiment.historyTestErrors = plan.spec.keepHistory
            let row: [String]
            var failed = false
            do {
                let result = try experiment.run(upstream: config.needsUpstream ? upstream?.get() : nil, cache: cache)
                if plan.spec.keepHistory {
                    // Written before the row, atomically: a kept history never lacks its row's history.
                    try AtomicFile.write(RunWriter.history(result, stages: [.transfer, .baseline],
                                                           leading: [("cell_id", cell.id), ("replicate", String(replicate))]),
                                         to: state.histories.appendingPathComponent("\(cell.id)-r\(replicate).csv"))
                }
                failed = result.statuses.contains { $0.value == RunStatus.diverged.rawValue }
                row = ResultColumns.row(cellID: cell.id, values: plan.resolvedValues(of: cell, replicate: replicate), result: result,
                                        seconds: Date().timeIntervalSince(start))
            } catch {
                failed = true
                row = ResultColumns.errorRow(cellID: cell.id, config: config, error: error, seconds: Date().timeIntervalSince(start))
            }
            state.record(row, failed: failed)
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
            guard isDirectory.boolValue else { throw SweepError(key: "--out", "'\(directory.path)' is not a directory") }
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
                if shard.count == 1, !SweepPlan.differingKeys(plan.identity, previous.identity).isEmpty, plan.grows(previous) {
                    try AtomicFile.write(plan.resolvedYAML, to: configURL)
                    return true
                }
                try plan.requireSameSweep(as: configURL, key: "--out",
                                          advice: "a sweep grows in place only by more replicates or more values on its axes; use a new --out to run this one")
                return false
            }
            guard Set(contents).isSubset(of: ["shard"] + ResultsVersion.files.map(\.name)) else {
                throw SweepError(key: "--out", "'\(directory.path)' holds files but no sweep (config.resolved.yaml); use a new or empty directory")
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

/// A (cell index, replicate) pair of work: indices, so that the queue of a large grid stays small.
private struct Pair {
    let cell: Int
    let replicate: Int
}

/// Shared state of one sweep run's workers (guarded by a lock).
private final class RunState: @unchecked Sendable {
    let batches: [[[Pair]]]
    let results: ResultsFile
    /// `histories/` of a sweep with `keep_history: true`.
    let histories: URL
    let progress: ProgressReporter
    let failFast: Bool
    private let lock = NSLock()
    private static let replicateColumn = ResultColumns.index("replicate")
    private var next = 0
    private(set) var failures: [String] = []
    private(set) var computed = 0
    private(set) var upstreamTrainings = 0
    private(set) var upstreamReuses = 0
    private(set) var corruptCacheEntries: [String] = []
    /// The rows this run appended: cell id, replicate, byte offset and length without the newline.
    private var appended: [(id: String, replicate: Int, offset: UInt64, length: Int)] = []
    private(set) var fatalError: Error?
    private var stop = false
    /// Rows in `results.csv`: resumed ones, then each appended.
    private var saved: Int

    init(batches: [[[Pair]]], results: ResultsFile, histories: URL, progress: ProgressReporter, failFast: Bool, saved: Int) {
        self.batches = batches
        self.results = results
        self.histories = histories
        self.progress = progress
        self.failFast = failFast
        self.saved = saved
    }

    /// Stops every worker for good, between two row appends, and returns the rows saved (on an interrupt,
    /// just before the process exits: the lock is never released).
    func freeze() -> Int {
        lock.lock()
        stop = true
        return saved
    }

    var stopped: Bool { locked { stop } }

    /// The rows appended so far, handed over once the workers are done (the list is emptied: it is held only once).
    func takeAppended() -> [(id: String, replicate: Int, offset: UInt64, length: Int)] {
        locked {
            defer { appended = [] }
            return appended
        }
    }

    func nextBatch() -> [[Pair]]? {
        locked {
            guard !stop, next < batches.count else { return nil }
            defer { next += 1 }
            return batches[next]
        }
    }

    func countUpstream(reused: Bool) { locked { if reused { upstreamReuses += 1 } else { upstreamTrainings += 1 } } }

    func countCorrupt(_ entry: URL) { locked { corruptCacheEntries.append(entry.path) } }

    func record(_ row: [String], failed: Bool) {
        let line = ResultsFile.encode(row)  // Outside the lock: the workers format their rows in parallel.
        locked {
            guard !stop else { return }
            do {
                let offset = try results.append(line)
                appended.append((row[0], Int(row[Self.replicateColumn]) ?? 0, offset, line.count - 1))
                computed += 1
                saved += 1
                if failed {
                    failures.append("cell \(row[0]) replicate \(row[Self.replicateColumn])")
                    if failFast { stop = true }
                }
            } catch {
                fatalError = error
                stop = true
            }
        }
        progress.advance()
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
