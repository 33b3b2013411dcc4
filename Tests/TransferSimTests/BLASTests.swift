import CLAPACK
import Testing
@testable import TransferSimCore

/// OpenBLAS's thread count, which moves the last bits of a product (``BLAS/useOneThread()``).
@Suite struct BLASTests {
    /// On a machine with one core OpenBLAS starts with one thread anyway; on CI's two it starts with two.
    @Test("after a BLAS call OpenBLAS could split over threads it runs on one, so no result depends on the machine's core count")
    func oneThread_afterFirstCall() {
        let n = 41   // 41³ > 65536: a product OpenBLAS may thread
        let ones = Matrix(rows: n, cols: n, repeating: 1)
        var product = Matrix(rows: n, cols: n)
        BLAS.gemm(ones, ones, into: &product)
        #expect(product.storage.allSatisfy { $0 == Double(n) })
        #expect(openblas_get_num_threads() == 1)
    }
}
