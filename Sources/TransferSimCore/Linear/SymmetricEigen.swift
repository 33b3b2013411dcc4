import CLAPACK

/// Errors from LAPACK routines, carrying the routine's `info` code.
package struct LAPACKError: Error, CustomStringConvertible, Sendable {
    /// The LAPACK routine that failed.
    package let routine: String
    /// The routine's `info` return value (negative: bad argument; positive: no convergence).
    package let info: Int32
    package var description: String { "LAPACK \(routine) failed with info = \(info)" }
}

/// Factorisations of symmetric positive semi-definite matrices through LAPACKE.
package enum SymmetricFactor {
    /// A square-root factor `L` with `L Lᵀ = S` for a symmetric PSD matrix `S` (n × n, row-major).
    ///
    /// Computed from the eigendecomposition `S = V Λ Vᵀ` (LAPACKE `dsyevd`) as `L = V · diag(√max(λ, 0))`,
    /// which, unlike Cholesky, also works for the rank-deficient covariances of docs/model.md §7 (rank ≤ d − 2).
    /// Eigenvalues below zero (round-off) are clamped to zero.
    ///
    /// - Complexity: O(n³).
    /// - Throws: `LAPACKError` when `dsyevd` reports `info ≠ 0`.
    package static func squareRoot(of s: Matrix) throws -> Matrix {
        precondition(s.rows == s.cols, "squareRoot needs a square matrix, got \(s.rows)×\(s.cols)")
        let n = s.rows
        guard n > 0 else { return s }
        BLAS.useOneThread()
        var v = s.storage
        var eigenvalues = [Double](repeating: 0, count: n)
        let info = v.withUnsafeMutableBufferPointer { vp in
            eigenvalues.withUnsafeMutableBufferPointer { ep in
                LAPACKE_dsyevd(
                    LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")),
                    Int32(n), vp.baseAddress, Int32(n), ep.baseAddress)
            }
        }
        guard info == 0 else { throw LAPACKError(routine: "dsyevd", info: info) }
        var factor = Matrix(rows: n, cols: n, storage: v)
        for col in 0..<n {
            let scale = eigenvalues[col] > 0 ? eigenvalues[col].squareRoot() : 0
            for row in 0..<n { factor[row, col] *= scale }
        }
        return factor
    }

    /// Solves `A x = b` for a symmetric positive-definite `A` (n × n, row-major) by Cholesky (LAPACKE `dposv`).
    ///
    /// - Complexity: O(n³).
    /// - Throws: `LAPACKError` when `A` is not positive definite (`info > 0`) or an argument is bad.
    package static func solvePositiveDefinite(_ a: Matrix, _ b: [Double]) throws -> [Double] {
        precondition(
            a.rows == a.cols && b.count == a.rows, "solvePositiveDefinite: A is \(a.rows)×\(a.cols), b has \(b.count)")
        BLAS.useOneThread()
        var factor = a.storage
        var x = b
        let n = Int32(a.rows)
        let info = factor.withUnsafeMutableBufferPointer { ap in
            x.withUnsafeMutableBufferPointer { xp in
                LAPACKE_dposv(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "U")), n, 1, ap.baseAddress, n, xp.baseAddress, 1)
            }
        }
        guard info == 0 else { throw LAPACKError(routine: "dposv", info: info) }
        return x
    }
}
