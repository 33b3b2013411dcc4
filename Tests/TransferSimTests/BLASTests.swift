import CLAPACK
import Foundation
import Testing

@testable import TransferSimCore

/// OpenBLAS's thread count, which moves the last bits of a product (``BLAS/useOneThread()``).
@Suite struct BLASTests {
    /// Set in the child process ``oneThread_afterFirstCall()`` starts.
    static let childVariable = "TRANSFERSIM_BLAS_THREADS_CHILD"

    /// OpenBLAS reads its thread count when it loads, and `make test` starts this process with one thread, so the
    /// property is checked in a child of this test binary started with `OPENBLAS_NUM_THREADS=2`.
    @Test(
        "OpenBLAS started with two threads runs on one after the first product it could split, so no result depends on the core count"
    )
    func oneThread_afterFirstCall() throws {
        let (status, text) = try CLIHarness.rerunTests(
            "BLASTests/threadCounts_inChild",
            environment: ["OPENBLAS_NUM_THREADS": "2", Self.childVariable: "1"])
        #expect(status == 0, "\(text.suffix(1500))")
        let line = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("openblas threads") }, "\(text.suffix(1500))")
        // OpenBLAS caps the count at the cores it sees: on a one-core machine it starts with one anyway.
        let cores = min(2, ProcessInfo.processInfo.activeProcessorCount)
        #expect(line == "openblas threads before \(cores) after 1", "\(line)")
    }

    /// The child's half of ``oneThread_afterFirstCall()``: prints the count before and after a product OpenBLAS may
    /// thread (nothing to check outside that child, where the parent reads the line).
    @Test(
        "(child process of the test above) the thread counts around the first product",
        .enabled(if: ProcessInfo.processInfo.environment[BLASTests.childVariable] != nil))
    func threadCounts_inChild() {
        let before = openblas_get_num_threads()
        let n = 41  // 41³ > 65536: a product OpenBLAS may thread
        let ones = Matrix(rows: n, cols: n, repeating: 1)
        var product = Matrix(rows: n, cols: n)
        BLAS.gemm(ones, ones, into: &product)
        #expect(product.storage.allSatisfy { $0 == Double(n) })
        print("openblas threads before \(before) after \(openblas_get_num_threads())")
    }
}
