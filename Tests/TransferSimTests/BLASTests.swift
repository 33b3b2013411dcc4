import Dispatch
import Foundation
import Testing
@testable import TransferSimCore

/// The process-wide OpenBLAS thread count (``BLAS/setThreadCount(_:)``), which a sweep pins to 1 while other threads of
/// the same process (parallel tests, a library user's code) may be inside a threaded BLAS call.
@Suite struct BLASTests {
    /// When `setThreadCount(1)` also stopped OpenBLAS's pool (now ``BLAS/stopThreadPoolAtStart()``, for process start
    /// only), this hung within a few rounds: the wait fails after 30 s (the process may then hang at exit in OpenBLAS).
    @Test("changing the thread count while another thread is in a threaded product leaves that product exact")
    func threadCount_changeDuringProduct() {
        let n = 400
        let a = Matrix(rows: n, cols: n, storage: (0..<n * n).map { Double($0 % 97) / 7 })
        var reference = Matrix(rows: n, cols: n)
        BLAS.setThreadCount(2)
        BLAS.gemm(a, a, into: &reference)
        let expected = reference
        let wrong = Counter()
        let finished = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for round in 0..<100 {
                DispatchQueue.concurrentPerform(iterations: 2) { worker in
                    if worker == 0 {
                        for _ in 0..<5 {
                            var product = Matrix(rows: n, cols: n)
                            BLAS.gemm(a, a, into: &product)
                            if product.storage != expected.storage { wrong.add() }
                        }
                    } else {
                        usleep(UInt32(round % 8) * 300)
                        BLAS.setThreadCount(1)
                        usleep(500)
                        BLAS.setThreadCount(2)
                    }
                }
            }
            BLAS.setThreadCount(1)
            finished.signal()
        }
        #expect(finished.wait(timeout: .now() + 30) == .success, "the products hung")
        #expect(wrong.value == 0, "\(wrong.value) products of 500 differed")
    }
}

/// A count shared by the workers of one `concurrentPerform`.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
