/// The low-rank adapter of recipe `lora` (docs/model.md §11): per class `j`, `W_j = W_j⁰ + (s/r) B_j A_j` with
/// `A_j ∈ R^{r×d}`, `B_j ∈ R^{m×r}`.
///
/// Stored stacked by class in the export order: `a` is `2r × d` (rows `0..<r` are `A_{+1}`), `b` is `2m × r`
/// (rows `0..<m` are `B_{+1}`), i.e. the `(2, r, d)` and `(2, m, r)` arrays of `--export-state`.
package struct LowRankAdapter: Sendable, Equatable {
    /// `A`, stacked `2r × d`.
    package var a: Matrix
    /// `B`, stacked `2m × r`.
    package var b: Matrix
    /// The rank `r ≥ 1`.
    package let rank: Int
    /// The scale `s > 0` of the update `(s/r) B A`.
    package let scale: Double

    /// An adapter from its parts (`a` is `2r × d`, `b` is `2m × r`).
    package init(a: Matrix, b: Matrix, rank: Int, scale: Double) {
        precondition(
            rank >= 1 && a.rows == 2 * rank && b.cols == rank && b.rows % 2 == 0,
            "LowRankAdapter: A is \(a.rows)×\(a.cols), B \(b.rows)×\(b.cols) for rank \(rank)")
        self.a = a
        self.b = b
        self.rank = rank
        self.scale = scale
    }

    /// LoRA's start: `A` entries `N(0, σ_A²)` drawn in `(2, r, d)` row-major order from `generator` (stream
    /// `lora-init`), `B = 0`, so `W = W⁰` at the start.
    package static func draw(
        _ architecture: Architecture, rank: Int, scale: Double, initScale: Double,
        generator: inout Xoshiro256StarStar
    ) -> LowRankAdapter {
        var a = Matrix(rows: 2 * rank, cols: architecture.dimension)
        generator.fillNormal(&a.storage, scale: initScale)
        return LowRankAdapter(a: a, b: Matrix(rows: architecture.filterCount, cols: rank), rank: rank, scale: scale)
    }

    /// `s/r`.
    package var factor: Double { scale / Double(rank) }

    /// `A_j` (`j = 0` for class `+1`, `1` for `−1`).
    func a(_ j: Int) -> Matrix { block(a, j) }
    /// `B_j`.
    func b(_ j: Int) -> Matrix { block(b, j) }

    /// `W⁰ + (s/r) B_j A_j` for both classes (one `dgemm` each).
    ///
    /// - Complexity: O(m r d).
    func filters(base: Matrix) -> Matrix {
        var filters = base
        for j in 0..<2 {
            var rows = block(base, j)
            BLAS.gemm(b(j), a(j), into: &rows, alpha: factor, beta: 1)
            filters.copyRows(from: rows, at: j * rows.rows)
        }
        return filters
    }

    /// One gradient step from the scaled filter gradient `scaledGradient = −η ∇_W L` (`2m × d`):
    /// `B_j ← B_j + (s/r)(−η G_j) A_jᵀ`, `A_j ← A_j + (s/r) B_jᵀ (−η G_j)`, both from the values before the step.
    ///
    /// - Complexity: O(m r d).
    mutating func step(scaledGradient: Matrix) {
        for j in 0..<2 {
            let g = block(scaledGradient, j), oldA = a(j), oldB = b(j)
            var newB = oldB, newA = oldA
            BLAS.gemm(g, oldA, transposeB: true, into: &newB, alpha: factor, beta: 1)
            BLAS.gemm(oldB, transposeA: true, g, into: &newA, alpha: factor, beta: 1)
            b.copyRows(from: newB, at: j * newB.rows)
            a.copyRows(from: newA, at: j * newA.rows)
        }
    }

    /// Whether every entry of `A` and `B` is finite.
    var isFinite: Bool { a.storage.allFinite && b.storage.allFinite }

    /// The class-`j` half of a matrix stacked by class.
    private func block(_ stacked: Matrix, _ j: Int) -> Matrix {
        var half = Matrix(rows: stacked.rows / 2, cols: stacked.cols)
        stacked.copyRows(at: j * half.rows, into: &half)
        return half
    }
}
