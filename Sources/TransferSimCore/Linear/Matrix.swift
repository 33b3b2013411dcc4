/// A dense row-major matrix of `Double`, the storage every BLAS call in the library works on.
///
/// Element `(i, j)` lives at `storage[i * cols + j]` (C order), so a `(2m) × d` filter matrix has the
/// filter `w_{j,r}` as a contiguous row and exports to NumPy without reordering.
package struct Matrix: Sendable, Equatable {
    /// Number of rows.
    package let rows: Int
    /// Number of columns.
    package let cols: Int
    /// Row-major entries, `rows * cols` of them; writable inside the package only, because BLAS trusts
    /// `rows × cols` and an array of another length must not be assignable from user code.
    @usableFromInline package var storage: [Double]

    /// Row-major entries, `rows * cols` of them (read-only; set entries through the subscript).
    package var entries: [Double] { storage }

    /// A `rows × cols` matrix filled with `value`.
    package init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix size must be non-negative, got \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = Array(repeating: value, count: rows * cols)
    }

    /// A matrix over existing row-major storage; `storage.count` must equal `rows * cols`.
    package init(rows: Int, cols: Int, storage: [Double]) {
        precondition(
            storage.count == rows * cols, "Matrix storage has \(storage.count) entries, expected \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// Entry `(i, j)`.
    @inlinable
    package subscript(i: Int, j: Int) -> Double {
        get { storage[i * cols + j] }
        set { storage[i * cols + j] = newValue }
    }

    /// Overwrites rows `start ..< start + source.rows` with `source` (same column count).
    package mutating func copyRows(from source: Matrix, at start: Int) {
        precondition(
            source.cols == cols && start >= 0 && start + source.rows <= rows,
            "copyRows: \(source.rows)×\(source.cols) at row \(start) of \(rows)×\(cols)")
        storage.withUnsafeMutableBufferPointer { target in
            _ = UnsafeMutableBufferPointer(rebasing: target[(start * cols)..<((start + source.rows) * cols)])
                .update(fromContentsOf: source.storage)
        }
    }

    /// Overwrites `target` with rows `start ..< start + target.rows` of this matrix (same column count).
    package func copyRows(at start: Int, into target: inout Matrix) {
        precondition(
            target.cols == cols && start >= 0 && start + target.rows <= rows,
            "copyRows: rows \(start)..<\(start + target.rows) of \(rows)×\(cols) into \(target.rows)×\(target.cols)")
        let range = (start * cols)..<((start + target.rows) * cols)
        storage.withUnsafeBufferPointer { source in
            target.storage.withUnsafeMutableBufferPointer { destination in
                _ = destination.update(fromContentsOf: source[range])
            }
        }
    }

    /// Row `i` as a new array.
    package func row(_ i: Int) -> [Double] {
        Array(storage[(i * cols)..<((i + 1) * cols)])
    }
}

extension Matrix {
    /// `A x`. When `x` has few non-zero entries (at most `cols / 16` — the signals lie on coordinate axes,
    /// docs/model.md §1) the sum runs over those columns only, in index order: O(rows · nnz) instead of a `dgemv` over
    /// every column. Either way it is the exact product up to rounding.
    package func times(_ x: [Double]) -> [Double] {
        precondition(x.count == cols, "times: x has \(x.count) entries, A has \(cols) columns")
        let support = x.indices.filter { x[$0] != 0 }
        var y = [Double](repeating: 0, count: rows)
        guard support.count * 16 <= cols else {
            BLAS.gemv(self, x, into: &y)
            return y
        }
        storage.withUnsafeBufferPointer { a in
            for i in 0..<rows {
                var total = 0.0
                for k in support { total += a[i * cols + k] * x[k] }
                y[i] = total
            }
        }
        return y
    }
}

extension Matrix {
    /// `totals_r = Σ_i A_{r,i} x_i` for every row `r`, each sum from 0 in `i` order with a multiplication and an
    /// addition per term (eight rows' chains side by side, which changes no row's operations): the span engine's
    /// fixed-order `R (Ξ v)` (docs/derivations.md §7), independent of the BLAS kernel.
    ///
    /// - Complexity: O(rows · cols), no allocation.
    package func rowSums(weightedBy x: UnsafeBufferPointer<Double>, into totals: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count == cols && totals.count == rows, "rowSums: \(x.count) weights, \(totals.count) rows")
        storage.withUnsafeBufferPointer { a in
            guard let a = a.baseAddress, let x = x.baseAddress else { return totals.update(repeating: 0) }
            // Eight rows' chains at a time in registers (each bound by its additions' latency, so side by side), then
            // one at a time.
            var row = 0
            while row + 8 <= rows {
                let r = a + row * cols
                var (t0, t1, t2, t3, t4, t5, t6, t7) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
                for i in 0..<cols {
                    let value = x[i]
                    t0 = t0 + r[i] * value
                    t1 = t1 + r[cols + i] * value
                    t2 = t2 + r[2 * cols + i] * value
                    t3 = t3 + r[3 * cols + i] * value
                    t4 = t4 + r[4 * cols + i] * value
                    t5 = t5 + r[5 * cols + i] * value
                    t6 = t6 + r[6 * cols + i] * value
                    t7 = t7 + r[7 * cols + i] * value
                }
                (totals[row], totals[row + 1], totals[row + 2], totals[row + 3]) = (t0, t1, t2, t3)
                (totals[row + 4], totals[row + 5], totals[row + 6], totals[row + 7]) = (t4, t5, t6, t7)
                row += 8
            }
            while row < rows {
                let r = a + row * cols
                var total = 0.0
                for i in 0..<cols { total = total + r[i] * x[i] }
                totals[row] = total
                row += 1
            }
        }
    }
}

extension Matrix {
    /// Projects every row off orthonormal sparse directions, one after the other: `x ← x − ⟨x, q⟩ q` for each `q`
    /// (`(axis, value)` pairs) in order — `(I − P)` applied to the rows, as docs/model.md §2 does to noise patches
    /// and §7 to filters.
    ///
    /// - Complexity: O(rows · Σ_q |q|).
    package mutating func projectRows(off directions: [[(Int, Double)]]) {
        guard !directions.isEmpty else { return }
        let cols = self.cols
        for i in 0..<rows {
            storage.withUnsafeMutableBufferPointer { buffer in
                let base = i * cols
                for q in directions {
                    var projection = 0.0
                    for (axis, value) in q { projection += buffer[base + axis] * value }
                    for (axis, value) in q { buffer[base + axis] -= projection * value }
                }
            }
        }
    }
}

extension Array where Element == Double {
    /// Whether every entry is finite, tested on the bit patterns so the pass is branch-free integer arithmetic:
    /// an exponent field of all ones (∞ or NaN) carries into the sign bit when `2⁵²` is added to it.
    package var allFinite: Bool {
        withUnsafeBufferPointer { values in
            guard let base = values.baseAddress else { return true }
            var carries: UInt64 = 0
            for i in 0..<values.count { carries |= base[i].nonFiniteCarry }
            return carries == 0
        }
    }
}

extension Double {
    /// The sign bit alone when this value is ∞ or NaN, else 0: an exponent field of all ones carries into the sign bit
    /// when `2⁵²` is added to it. OR-ing it over many values tests them all without a branch.
    @inline(__always) package var nonFiniteCarry: UInt64 {
        ((bitPattern & 0x7FF0_0000_0000_0000) &+ 0x0010_0000_0000_0000) & 0x8000_0000_0000_0000
    }
}
