import Foundation
import Synchronization
import Testing

@testable import TransferSimCore

@Suite struct ProductTeamTests {
    /// Chunks that record which chunk ran and whether on a thread other than `caller`, after a few µs of work.
    struct Recorder: ChunkedWork {
        final class Log: Sendable {
            let calls = Mutex<[Int]>([])
            let elsewhere = Atomic<Int>(0)
        }
        let log = Log()
        let caller = pthread_self()
        var work = 0

        func compute(chunk: Int) {
            var spin = 0.0
            for k in 0..<work { spin += Double(k) }
            log.calls.withLock { $0.append(spin >= 0 ? chunk : -1) }
            if pthread_equal(pthread_self(), caller) == 0 { log.elsewhere.add(1, ordering: .relaxed) }
        }
    }

    /// Runs `body` as a team's worker once a second thread of the team has taken a chunk of a shared product: from then
    /// until `body` returns that thread waits to help (it leaves only when no worker is inside its work). Returns once
    /// both threads have left the team.
    static func withHelper(_ body: (ProductTeam) -> Void) {
        let team = ProductTeam()
        let left = DispatchSemaphore(value: 0)
        team.join {
            Thread.detachNewThread {
                team.join {}
                left.signal()
            }
            let probe = Recorder()
            while probe.log.elsewhere.load(ordering: .relaxed) == 0 { team.share(chunks: 2, probe) }
            body(team)
        }
        left.wait()
    }

    @Test("with no worker waiting to help, share runs every chunk once, in order, on the caller's thread")
    func share_alone_runsEveryChunkInOrder() {
        let recorder = Recorder()
        ProductTeam().share(chunks: 7, recorder)
        #expect(recorder.log.calls.withLock { $0 } == Array(0..<7))
        #expect(recorder.log.elsewhere.load(ordering: .relaxed) == 0)
    }

    @Test(
        "with a helper, every chunk of every product runs exactly once, some on the helper's thread",
        .timeLimit(.minutes(10)))
    func share_withHelper_runsEveryChunkOnce() {
        let recorders = (0..<200).map { _ in Recorder(work: 2000) }
        Self.withHelper { team in
            for recorder in recorders { team.share(chunks: 10, recorder) }
        }
        for recorder in recorders {
            #expect(recorder.log.calls.withLock { $0 }.sorted() == Array(0..<10))
        }
        #expect(recorders.reduce(0) { $0 + $1.log.elsewhere.load(ordering: .relaxed) } > 0)
    }
}
