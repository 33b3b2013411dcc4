import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// The schedule of a sweep (pairs → units → groups → batches), without disk or threads.
@Suite struct SweepScheduleTests {
    static func plan() throws -> SweepPlan {
        let (root, config) = try SweepTests.setUp(AnalysisTests.sweep)
        defer { try? FileManager.default.removeItem(at: root) }
        return try SweepPlan.load(path: config)
    }

    @Test(
        "every unfinished pair of the shard is in exactly one batch; finished pairs are skipped; units share one upstream model or one set of draws"
    )
    func schedule_coversEachPairOnce() throws {
        let plan = try Self.plan()  // 12 cells × 4 replicates
        let finished: Set<Pair> = [Pair(cell: 0, replicate: 1), Pair(cell: 5, replicate: 3)]
        let ids = Dictionary(uniqueKeysWithValues: plan.cells.map { ($0.id, $0.index) })
        for (shard, threads) in [(Shard.all, 1), (Shard.all, 2), (Shard(index: 1, count: 3), 2)] {
            let schedule = SweepSchedule(
                plan: plan, shard: shard, finished: { finished.contains(Pair(cell: ids[$0]!, replicate: $1)) },
                limit: 1e12, threads: threads)
            let expected = Set(
                plan.cells.filter { shard.contains($0.index) }.flatMap { cell in
                    (0..<4).map { Pair(cell: cell.index, replicate: $0) }
                })
            let scheduled = schedule.batches.flatMap { $0.flatMap { $0 } }
            #expect(
                scheduled.count == Set(scheduled).count && Set(scheduled) == expected.subtracting(finished),
                "\(shard) \(threads)")
            #expect(
                schedule.pairs == expected.count && schedule.resumed == expected.intersection(finished).count
                    && schedule.oversized.isEmpty)
            #expect(schedule.work == expected.subtracting(finished).count)
            for unit in schedule.units {
                let configs = unit.map { plan.cells[$0.cell].config(replicate: $0.replicate) }
                if configs[0].needsUpstream {
                    #expect(Set(configs.map(\.upstreamKey)).count == 1)
                } else {
                    #expect(
                        configs.allSatisfy { $0.streamSeed(.test) == configs[0].streamSeed(.test) && !$0.needsUpstream }
                    )
                }
            }
            // Batches of one group differ in size by at most one and hold at most 16 units.
            #expect(schedule.batches.allSatisfy { (1...16).contains($0.count) })
            #expect((1...threads).contains(schedule.workers(limit: 1e12, threads: threads)))
            // Runs of cells: 64 with room, fewer as the memory shrinks, never 0.
            #expect(schedule.cellsPerRun(limit: 1e12, workers: threads) == SweepSchedule.maxCellsPerRun)
            #expect(schedule.cellsPerRun(limit: 5 * schedule.largest, workers: 1) == 5)
            #expect(schedule.cellsPerRun(limit: 5 * schedule.largest, workers: 2) == 2)
            #expect(schedule.cellsPerRun(limit: schedule.largest / 2, workers: 2) == 1)
        }
    }

    @Test(
        "under a memory limit below every cell each pair is an oversized error naming its keys, none is batched, and one worker is used"
    )
    func schedule_oversized() throws {
        let plan = try Self.plan()
        let schedule = SweepSchedule(plan: plan, shard: .all, finished: { _, _ in false }, limit: 1, threads: 2)
        #expect(schedule.oversized.count == 48 && schedule.batches.isEmpty && schedule.work == 48)
        #expect(schedule.oversized.allSatisfy { $0.error.message.contains("memory") })
        #expect(schedule.workers(limit: 1, threads: 2) == 1)
    }
}
