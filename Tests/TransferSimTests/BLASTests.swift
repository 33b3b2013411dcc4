import CLAPACK
import Testing
@testable import TransferSimCore

/// OpenBLAS's thread count, which moves the last bits of a product (``BLAS/useOneThread()``).
@Suite struct BLASTests {
    /// On a machine with one core OpenBLAS starts with one thread anyway; on CI's two it starts with two.
    @Test("after any BLAS call OpenBLAS runs on one thread, so no result depends on the machine's core count")
    func oneThread_afterFirstCall() {
        #expect(BLAS.dot([1, 2], [3, 4]) == 11)
        #expect(openblas_get_num_threads() == 1)
    }
}
