import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// A (cell index, replicate) pair of work: indices, so that the queue of a large grid stays small.
package struct Pair: Hashable, Sendable {
    /// The cell's canonical index.
    package let cell: Int
    /// The replicate.
    package let replicate: Int
}

/// What a sweep run computes and in which batches, decided before anything runs: pairs → units → groups → batches.
/// Pure (no files, no threads), so it is tested on its own; ``SweepRunner`` executes it.
///
/// - **Units**: the pairs of a shard not yet finished, grouped by what they share: an upstream model (its
///   ``ExperimentConfig/upstreamKey``), or, without one, their task-2 streams and d (so a unit reuses standard draws
///   through one ``DrawCache``).
/// - **Groups**: units whose upstream models may share task-1 noise (the same data stream, d and N₁: a row over ‖u‖).
/// - **Batches**: each group cut into near-equal batches of at most `cap` units that train their upstream models
///   together (``TransferExperiment/trainUpstreams(_:cache:)``); `cap` is 4 to 16 (16 · 2m rows reach the `dgemm` rate; a
///   batch holds its units' training sets), fewer when that leaves each worker about 4 batches. Equal sizes keep the
///   workers balanced when there are few groups (13 units on 2 workers: 4 batches of 4, 3, 3, 3 rather than 4, 4, 4, 1).
///
/// A pair's row does not depend on its unit, group or batch (tested bit for bit), only the time does.
package struct SweepSchedule {
    /// What the pairs of a unit share.
    enum UnitKey: Hashable {
        /// One upstream model (its key).
        case upstream(String)
        /// No upstream model: the test and task-2 data streams and d.
        case draws(test: UInt64, data: UInt64, d: Int)
    }

    /// What the units of a group share: their upstream models' task-1 noise.
    struct GroupKey: Hashable {
        let upstreamData: UInt64
        let d: Int
        let n1: Int
    }

    /// Pairs of the shard, and those already finished (skipped).
    package private(set) var pairs = 0, resumed = 0
    /// Pairs whose cell does not fit in the memory limit, with the error their row records (not run).
    package private(set) var oversized: [(pair: Pair, error: ConfigError)] = []
    /// The units, in first-seen (canonical) order.
    package private(set) var units: [[Pair]] = []
    /// The batches the workers take in order: each a list of units.
    package let batches: [[[Pair]]]
    /// The largest memory estimate of a cell that fits (bytes), for the worker count.
    package private(set) var largest = 0.0

    /// The schedule of `plan`'s pairs in `shard` that `finished` does not hold, for `threads` workers and a memory
    /// `limit` in bytes.
    package init(plan: SweepPlan, shard: Shard, finished: (String, Int) -> Bool, limit: Double, threads: Int) {
        var unitOfKey: [UnitKey: Int] = [:]
        for cell in plan.cells where shard.contains(cell.index) {
            let estimate = MemoryEstimate(cell.config)
            if estimate.bytes <= limit { largest = max(largest, estimate.bytes) }
            // A cell's stream layouts rendered once for all its replicates (10⁵ pairs of the Kou grid took a third of
            // a second rendering them pair by pair).
            let layouts =
                cell.config.needsUpstream
                ? nil : (test: cell.config.streamLayout(.test), data: cell.config.streamLayout(.downstreamData))
            for r in 0..<plan.spec.replicates {
                pairs += 1
                if finished(cell.id, r) {
                    resumed += 1
                    continue
                }
                if let error = estimate.excess(limit: limit) {
                    oversized.append((Pair(cell: cell.index, replicate: r), error))
                    continue
                }
                let seed = cell.config.seed
                let key: UnitKey =
                    if let layouts {
                        .draws(
                            test: ExperimentConfig.streamSeed(.test, seed: seed, replicate: r, layout: layouts.test),
                            data: ExperimentConfig.streamSeed(
                                .downstreamData, seed: seed, replicate: r, layout: layouts.data),
                            d: cell.config.d)
                    } else {
                        .upstream(cell.config(replicate: r).upstreamKey)
                    }
                if let unit = unitOfKey[key] {
                    units[unit].append(Pair(cell: cell.index, replicate: r))
                } else {
                    unitOfKey[key] = units.count
                    units.append([Pair(cell: cell.index, replicate: r)])
                }
            }
        }
        var groups: [[[Pair]]] = []
        var groupOfKey: [GroupKey: Int] = [:]
        for unit in units {
            let config = plan.cells[unit[0].cell].config(replicate: unit[0].replicate)
            let key = GroupKey(upstreamData: config.streamSeed(.upstreamData), d: config.d, n1: config.n1)
            if config.needsUpstream, let group = groupOfKey[key] {
                groups[group].append(unit)
            } else {
                if config.needsUpstream { groupOfKey[key] = groups.count }
                groups.append([unit])
            }
        }
        let cap = min(16, max(4, (units.count + 4 * threads - 1) / (4 * threads)))
        batches = groups.flatMap { Self.split($0, cap: cap) }
    }

    /// Pairs this run computes or records: the units' and the oversized ones.
    package var work: Int { units.reduce(0) { $0 + $1.count } + oversized.count }

    /// Workers whose largest cells fit in `limit` together, each with OpenBLAS's work buffer beyond the first, at most
    /// `threads` and the batch count (results do not depend on it).
    package func workers(limit: Double, threads: Int) -> Int {
        let perWorker = largest + Double(BLAS.bufferBytes)
        let fitting = max(
            1, min(threads, largest > 0 ? Int(min((limit + Double(BLAS.bufferBytes)) / perWorker, 1e6)) : threads))
        return min(fitting, max(batches.count, 1))
    }

    /// The most cells of a unit that run together (``TransferExperiment/run(cells:upstream:cache:)``: a Kou-type row's
    /// baselines train as one ``SpanBatch``).
    package static let maxCellsPerRun = 64

    /// Cells of a unit run together by each of `workers` workers: ``maxCellsPerRun``, fewer when that many of the largest
    /// cells per worker would not fit in `limit` bytes (a run holds its cells' results until their rows are written);
    /// at least 1. Rows do not depend on it.
    package func cellsPerRun(limit: Double, workers: Int) -> Int {
        guard largest > 0 else { return Self.maxCellsPerRun }
        let fitting = limit / (Double(max(workers, 1)) * largest)
        return max(1, Int(min(fitting, Double(Self.maxCellsPerRun))))
    }

    /// `items` cut, in order, into the fewest consecutive chunks of at most `cap` elements whose sizes differ by at
    /// most one.
    static func split<Item>(_ items: [Item], cap: Int) -> [[Item]] {
        precondition(cap >= 1, "chunk cap must be at least 1, got \(cap)")
        let count = (items.count + cap - 1) / cap
        return (0..<count).map { k in Array(items[(k * items.count / count)..<((k + 1) * items.count / count)]) }
    }
}
