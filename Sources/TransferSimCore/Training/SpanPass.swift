/// The span engine's fused product pass over a batch of cells that share their noise patches (cell index innermost):
/// for every filter row `r`, point `i` and cell,
///
///     (R B)_{r,i} = Σ_j R_{r,j} B_{j,i}                      (j = 0, 1, …, N − 1: one fused multiply-add per term)
///     a_{r,i} = ((P_{r,i} + (R B)_{r,i}) + c_r m_i) + b_r     (the pre-activation, docs/model.md §5)
///     f_i += κ_r (σ(ŷ_i s_r + b_r) + σ(a_{r,i}))              (rows in increasing order; κ_r = ±κ, σ = ReLU)
///
/// In training (``SpanBatch``) `B = G = ΞΞᵀ`, `P = W⁽⁰⁾Ξᵀ`, `m = Ξμ` and the points are the training samples; in a test
/// (``TestDraws/evaluate(_:_:on:keys:cache:)``) `B = ΞΞ_tᵀ`, `P = W⁽⁰⁾Ξ_tᵀ`, `m = Ξ_t μ` and the points are the test
/// points (`WΞ_tᵀ = W⁽⁰⁾Ξ_tᵀ + c (Ξ_tμ)ᵀ + R ΞΞ_tᵀ`). `s_r = ⟨w_r, μ⟩`. Each element's operations are the same whatever
/// the batch: cells in blocks of 8 are vectorised across cells, four points at a time (each `R` load serves four
/// columns of `B`); the cells left over across points, 16 at a time (two chains side by side), then 8, 4 and one; the
/// points in tiles of ``tile``. The fused multiply-add is `addingProduct` (rounded once: an instruction with FMA,
/// libm's `fma` without), so the bits depend on nothing but the cell's own numbers.
///
/// - Complexity: O(2m N P K) for `P` points and `K` cells; no allocation.
struct SpanPass {
    /// The network (`2m` rows, `κ_r`).
    let architecture: Architecture
    /// `N`, the length of each sum (training samples).
    let depth: Int
    /// The points `P` (training samples or test points).
    let points: Int
    /// The cells `K`.
    let cells: Int
    /// `R`, `2m × N × K`.
    let noiseCoefficients: UnsafePointer<Double>
    /// `B`, `N × P` (row-major).
    let right: UnsafePointer<Double>
    /// `P`, `2m × P`.
    let initialProducts: UnsafePointer<Double>
    /// `c`, `b` and `s`, `2m × K` each.
    let muCoefficients, biases, projections: UnsafePointer<Double>
    /// `m`, `P × K`.
    let noiseDotMu: UnsafePointer<Double>
    /// `ŷ_i` (the sign of each point's signal patch), length `P`.
    let cleanLabels: UnsafePointer<Double>
    /// `f`, `P × K`, added to (the caller zeroes it).
    let outputs: UnsafeMutablePointer<Double>
    /// Where the pre-activations `a` go (`2m × P × K`; training needs them for its step), or nil.
    let preActivations: UnsafeMutablePointer<Double>?

    /// Runs the pass.
    func run() {
        typealias Lanes = SIMD8<Double>
        let rows = architecture.filterCount, n = depth, columns = points, k = cells
        let (g, r, f, m, yHat) = (right, noiseCoefficients, outputs, noiseDotMu, cleanLabels)
        let vectorCells = k / 8 * 8
        // Points in tiles of `tile`, every row over a tile before the next: a tile's outputs and `m` stay in cache
        // (a test set's `n_test × K` would not), and each output still sums its rows in increasing order.
        for tileStart in stride(from: 0, to: columns, by: Self.tile) {
            let tileEnd = min(tileStart + Self.tile, columns)
            for row in 0..<rows {
                let rowR = r + row * n * k, rowA = preActivations.map { $0 + row * columns * k }
                let p0 = initialProducts + row * columns
                let (cs, bs, ss) = (muCoefficients + row * k, biases + row * k, projections + row * k)
                let weight = architecture.outputWeight(ofRow: row)
                /// Pre-activation and output term of (i, the cells at `cell`), from `total = (R B)_{row,i}`.
                @inline(__always) func finish<L: Lane>(_ total: L, i: Int, cell: Int, positive: L, negative: L) {
                    let pre = ((L(p0[i]) + total) + L.load(cs + cell) * L.load(m + i * k + cell)) + L.load(bs + cell)
                    if let rowA { pre.store(rowA + i * k + cell) }
                    let output = f + i * k + cell
                    (L.load(output) + L(weight) * ((yHat[i] > 0 ? positive : negative) + pre.relu)).store(output)
                }
                var cell = 0
                while cell < vectorCells {
                    let (s, b) = (Lanes.load(ss + cell), Lanes.load(bs + cell))
                    let (positive, negative) = ((s + b).relu, (-s + b).relu)
                    var i = tileStart
                    while i + 4 <= tileEnd {
                        var (a0, a1, a2, a3) = (Lanes(), Lanes(), Lanes(), Lanes())
                        var source = rowR + cell, column = g + i
                        for _ in 0..<n {
                            let value = Lanes.load(source)
                            a0 = a0.addingProduct(value, Lanes(repeating: column[0]))
                            a1 = a1.addingProduct(value, Lanes(repeating: column[1]))
                            a2 = a2.addingProduct(value, Lanes(repeating: column[2]))
                            a3 = a3.addingProduct(value, Lanes(repeating: column[3]))
                            source += k
                            column += columns
                        }
                        finish(a0, i: i, cell: cell, positive: positive, negative: negative)
                        finish(a1, i: i + 1, cell: cell, positive: positive, negative: negative)
                        finish(a2, i: i + 2, cell: cell, positive: positive, negative: negative)
                        finish(a3, i: i + 3, cell: cell, positive: positive, negative: negative)
                        i += 4
                    }
                    while i < tileEnd {
                        var total = Lanes()
                        var source = rowR + cell, column = g + i
                        for _ in 0..<n {
                            total = total.addingProduct(Lanes.load(source), Lanes(repeating: column[0]))
                            source += k
                            column += columns
                        }
                        finish(total, i: i, cell: cell, positive: positive, negative: negative)
                        i += 1
                    }
                    cell += 8
                }
                // Cells left over: across i.
                while cell < k {
                    let (positive, negative) = ((ss[cell] + bs[cell]).relu, (-ss[cell] + bs[cell]).relu)
                    var i = tileStart
                    // 16 points at a time (two chains side by side, each bound by its latency), then 8.
                    while i + 16 <= tileEnd {
                        var (first, second) = (Lanes(), Lanes())
                        var source = rowR + cell, column = g + i
                        for _ in 0..<n {
                            let value = Lanes(repeating: source[0])
                            first = first.addingProduct(value, Lanes.load(column))
                            second = second.addingProduct(value, Lanes.load(column + 8))
                            source += k
                            column += columns
                        }
                        for lane in 0..<8 {
                            finish(first[lane], i: i + lane, cell: cell, positive: positive, negative: negative)
                        }
                        for lane in 0..<8 {
                            finish(second[lane], i: i + 8 + lane, cell: cell, positive: positive, negative: negative)
                        }
                        i += 16
                    }
                    while i + 8 <= tileEnd {
                        var total = Lanes()
                        var source = rowR + cell, column = g + i
                        for _ in 0..<n {
                            total = total.addingProduct(Lanes(repeating: source[0]), Lanes.load(column))
                            source += k
                            column += columns
                        }
                        for lane in 0..<8 {
                            finish(total[lane], i: i + lane, cell: cell, positive: positive, negative: negative)
                        }
                        i += 8
                    }
                    while i + 4 <= tileEnd {
                        var total = SIMD4<Double>()
                        var source = rowR + cell, column = g + i
                        for _ in 0..<n {
                            let entries = SIMD4(column[0], column[1], column[2], column[3])
                            total = total.addingProduct(SIMD4(repeating: source[0]), entries)
                            source += k
                            column += columns
                        }
                        for lane in 0..<4 {
                            finish(total[lane], i: i + lane, cell: cell, positive: positive, negative: negative)
                        }
                        i += 4
                    }
                    while i < tileEnd {
                        var total = 0.0
                        var source = rowR + cell, column = g + i
                        for _ in 0..<n {
                            total = total.addingProduct(source[0], column[0])
                            source += k
                            column += columns
                        }
                        finish(total, i: i, cell: cell, positive: positive, negative: negative)
                        i += 1
                    }
                    cell += 1
                }
            }
        }
    }

    /// Points per tile (a multiple of 8: the paths over 4 and 8 points split no tile but the last).
    static let tile = 64
}
