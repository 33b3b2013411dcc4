import Foundation
import Synchronization

/// The workers of a sweep as a team: a worker with nothing left to take lends its core to the large step products of
/// the models the others are still training, so that the last models of a sweep (the 7th of a `fig2` row's 13 upstream
/// models on two workers, while the other worker waits) do not run on one core alone (docs/performance.md).
///
/// A worker runs its work in ``join(_:)``; when its work returns it helps, until every worker that joined has returned,
/// by taking chunks of the products that the others ``share(chunks:_:)``. A chunk is computed whole by one thread and
/// its entries are the same operations whoever computes it (``PackedGram``: a column's chain does not depend on the
/// other columns), so no bit depends on who helped, or whether anyone did — only the time does.
///
/// Never waits on a worker that has not taken a chunk: the sharing worker computes every chunk nobody took, and waits
/// only for chunks a helper is computing. A helper helps only while another worker is inside ``join(_:)``, so a team
/// on fewer threads than workers (workers run one after another) never waits for a worker that cannot start.
package final class ProductTeam: Sendable {
    /// A posted product: its chunks' work and the next chunk to take. A helper keeps its copy of `work` after its chunk
    /// (a plain value: nothing checks that it is gone) but calls it only for a chunk it took while the product was posted.
    private struct Job: Sendable {
        let work: any ChunkedWork
        let chunks: Int
        var next = 0
    }

    /// The product being shared, if any (one at a time: a second worker sharing meanwhile computes its own alone).
    private let slot = Mutex<Job?>(nil)
    /// Chunks of the posted product that helpers have finished.
    private let helped = Atomic<Int>(0)
    /// Workers inside ``join(_:)``'s work.
    private let working = Atomic<Int>(0)
    /// Workers waiting to help.
    private let idle = Atomic<Int>(0)

    /// Empty polls after which a waiting helper naps between polls, and the nap (µs). A napping helper misses at most a
    /// product or two: the sharing worker computes every chunk nobody took.
    static let pollsBeforeNapping = 2000, napMicroseconds: UInt32 = 50

    /// An empty team.
    package init() {}

    /// Runs `work` as one of the team's workers, then helps the team's other workers until none is inside its work.
    package func join(_ work: () -> Void) {
        working.add(1, ordering: .sequentiallyConsistent)
        work()
        working.subtract(1, ordering: .sequentiallyConsistent)
        idle.add(1, ordering: .sequentiallyConsistent)
        defer { idle.subtract(1, ordering: .sequentiallyConsistent) }
        var misses = 0
        while working.load(ordering: .sequentiallyConsistent) > 0 {
            if let (work, chunk) = claim() {
                work.compute(chunk: chunk)
                helped.add(1, ordering: .releasing)
                misses = 0
            } else {
                misses += 1
                // Polls for ~1 ms (a step's work between two products is µs), then naps between polls: a worker that
                // shares nothing (small products, its tests) does not keep this core busy.
                if misses < Self.pollsBeforeNapping { sched_yield() } else { usleep(Self.napMicroseconds) }
            }
        }
    }

    /// Calls `work.compute(chunk: c)` once for every chunk `c` in `0..<chunks` and returns when every call has
    /// returned: the chunks that a waiting helper takes on its thread, the others on this one (all of them when no
    /// worker waits to help).
    package func share(chunks: Int, _ work: some ChunkedWork) {
        let posted =
            chunks > 1 && idle.load(ordering: .sequentiallyConsistent) > 0
            && slot.withLock { job -> Bool in
                guard job == nil else { return false }
                helped.store(0, ordering: .relaxed)  // No helper holds a chunk while the slot is empty.
                job = Job(work: work, chunks: chunks)
                return true
            }
        guard posted else {
            for chunk in 0..<chunks { work.compute(chunk: chunk) }
            return
        }
        var own = 0
        while let (_, chunk) = claim() {
            work.compute(chunk: chunk)
            own += 1
        }
        while helped.load(ordering: .acquiring) < chunks - own { sched_yield() }
        slot.withLock { $0 = nil }
    }

    /// The posted product's next chunk, taken, if one is left.
    private func claim() -> (any ChunkedWork, Int)? {
        slot.withLock { job -> (any ChunkedWork, Int)? in
            guard let current = job, current.next < current.chunks else { return nil }
            job?.next += 1
            return (current.work, current.next)
        }
    }
}

/// Work cut into chunks that any thread may compute (``ProductTeam/share(chunks:_:)``): each chunk's result is the
/// same whichever thread computes it, and chunks write disjoint memory.
package protocol ChunkedWork: Sendable {
    /// Computes chunk `chunk`.
    func compute(chunk: Int)
}
