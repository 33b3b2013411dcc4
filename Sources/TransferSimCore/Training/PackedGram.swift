/// The Gram matrix `G = ΞΞᵀ` (`N × N`) laid out for the span engine's step product `P₀ + R G` (docs/model.md §5,
/// ``SpanState``): its columns in blocks of 8, each block's `N` rows of 8 entries contiguous (the last block padded
/// with zeros), so that the product streams one block (`8N` entries: 19 KB at `N = 300`) from the first-level cache
/// for every group of rows of `R`, with no packing per step.
///
/// Every entry of the product is the same chain of operations whatever the number of rows, the group they fall in,
/// the other models of a batch or the machine:
///
///     t = 0;  t = fma(R_{r,i}, G_{i,j}, t)  for i = 0, 1, …, N − 1;  out_{r,j} ← start_{r,j} + t
///
/// (``SpanPass``'s sum, one fused multiply-add per term, `addingProduct`: one rounding each, an instruction with FMA
/// and libm's `fma` without). Results version 10 replaced a `dgemm` per step by it: `dgemm`'s order depends on the
/// OpenBLAS kernel, and at `2m = 20` rows and `N = 300` it ran at ~31 GFLOP/s here (packing `G` on every call), this
/// product at about the rate of a square `dgemm` (~35 GFLOP/s at `N` = 200 to 400: docs/performance.md).
///
/// - Complexity: O(N²) to lay out; O(2m N²) per product, no allocation.
struct PackedGram: Sendable {
    /// `N`.
    let size: Int
    /// Block `b` (columns `8b ..< 8b + 8`) at `8N·b`, its row `i` at `8N·b + 8i`.
    private let blocks: [Double]

    /// The team whose waiting workers may compute chunks of a large product (nil: every product on its caller's thread).
    let team: ProductTeam?

    /// Lays out `gram` (square); `team` as ``team``.
    init(_ gram: Matrix, team: ProductTeam? = nil) {
        self.team = team
        precondition(gram.rows == gram.cols, "PackedGram: the Gram matrix is \(gram.rows)×\(gram.cols)")
        let n = gram.rows
        size = n
        var blocks = [Double](repeating: 0, count: (n + 7) / 8 * 8 * n)
        for column in 0..<n {
            let base = column / 8 * 8 * n + column % 8
            for i in 0..<n { blocks[base + 8 * i] = gram[i, column] }
        }
        self.blocks = blocks
    }

    /// Rows of `R` per group: each group's accumulators (5 × 8 lanes) stay in registers over the whole sum.
    private static let group = 5

    /// `out ← start + R G` for `R` = `coefficients`, `start` and `out` (`rows × N` each), each entry by the chain above
    /// (the span step's `P₀ + R G` with `start = P₀`: no copy of `P₀` first). A product of at least ``sharedWork``
    /// terms is cut into chunks of ``chunkBlocks`` column blocks that waiting workers of `team` may compute
    /// (``ProductTeam``): the same entries by the same chains.
    func product(_ coefficients: Matrix, plus start: Matrix, into out: inout Matrix) {
        precondition(
            coefficients.cols == size && start.cols == size && out.cols == size && start.rows == coefficients.rows
                && out.rows == coefficients.rows,
            "PackedGram: R is \(coefficients.rows)×\(coefficients.cols), start \(start.rows)×\(start.cols), out \(out.rows)×\(out.cols), G \(size)×\(size)"
        )
        let n = size, rows = coefficients.rows
        blocks.withUnsafeBufferPointer { blocks in
            coefficients.storage.withUnsafeBufferPointer { r in
                start.storage.withUnsafeBufferPointer { start in
                    out.storage.withUnsafeMutableBufferPointer { out in
                        guard let g = blocks.baseAddress, let r = r.baseAddress, let start = start.baseAddress,
                            let out = out.baseAddress
                        else { return }
                        let operands = Operands(gram: g, coefficients: r, start: start, out: out, rows: rows, size: n)
                        guard let team, rows * n * n >= Self.sharedWork else {
                            operands.compute(blocks: 0..<operands.blockCount)
                            return
                        }
                        team.share(chunks: (operands.blockCount + Self.chunkBlocks - 1) / Self.chunkBlocks, operands)
                    }
                }
            }
        }
    }

    /// Terms (`rows · N²`) from which a product is shared with a ``ProductTeam``: ~25 µs of work (`N ≥ 159` at `2m = 20`),
    /// against a few µs of handing a chunk to another core and its outputs back.
    static let sharedWork = 500_000

    /// Column blocks of 8 per shared chunk: 10 chunks at `N = 300`, so that two threads end a product within a chunk of
    /// each other however late the helper takes its first.
    static let chunkBlocks = 4

    /// The product's memory while it runs (the arrays pinned by ``product(_:plus:into:)``), handed to whichever thread
    /// computes a chunk (``chunkBlocks`` column blocks): its columns of `out` are written by that thread alone, the rest
    /// only read.
    private struct Operands: ChunkedWork, @unchecked Sendable {
        let gram: UnsafePointer<Double>
        let coefficients: UnsafePointer<Double>
        let start: UnsafePointer<Double>
        let out: UnsafeMutablePointer<Double>
        let rows: Int
        let size: Int

        /// Column blocks of 8 (the last one partial when `N` is not a multiple of 8).
        var blockCount: Int { (size + 7) / 8 }

        func compute(chunk: Int) {
            compute(blocks: (chunk * PackedGram.chunkBlocks)..<min(blockCount, (chunk + 1) * PackedGram.chunkBlocks))
        }

        /// Computes the columns of column blocks `blocks` of `out`, each entry by the chain in ``PackedGram``'s comment.
        func compute(blocks: Range<Int>) {
            typealias Lanes = SIMD8<Double>
            let (n, rows, g, r) = (size, rows, gram, coefficients)
            /// Sets `out = start + t` for the 8 sums `t` of row `row` at columns `column ..< column + 8` (those below `N`).
            @inline(__always) func add(_ t: Lanes, row: Int, column: Int) {
                let (source, target) = (start + row * n + column, out + row * n + column)
                if column + 8 <= n {
                    (Lanes.load(source) + t).store(target)
                } else {
                    for lane in 0..<(n - column) { target[lane] = source[lane] + t[lane] }
                }
            }
            for column in stride(from: blocks.lowerBound * 8, to: min(n, blocks.upperBound * 8), by: 8) {
                let block = g + column * n
                var row = 0
                while row + PackedGram.group <= rows {
                    let r0 = r + row * n
                    let (r1, r2, r3, r4) = (r0 + n, r0 + 2 * n, r0 + 3 * n, r0 + 4 * n)
                    var (t0, t1, t2, t3, t4) = (Lanes(), Lanes(), Lanes(), Lanes(), Lanes())
                    var entries = block
                    for i in 0..<n {
                        let value = Lanes.load(entries)
                        t0 = t0.addingProduct(Lanes(repeating: r0[i]), value)
                        t1 = t1.addingProduct(Lanes(repeating: r1[i]), value)
                        t2 = t2.addingProduct(Lanes(repeating: r2[i]), value)
                        t3 = t3.addingProduct(Lanes(repeating: r3[i]), value)
                        t4 = t4.addingProduct(Lanes(repeating: r4[i]), value)
                        entries += 8
                    }
                    add(t0, row: row, column: column)
                    add(t1, row: row + 1, column: column)
                    add(t2, row: row + 2, column: column)
                    add(t3, row: row + 3, column: column)
                    add(t4, row: row + 4, column: column)
                    row += PackedGram.group
                }
                while row < rows {
                    let r0 = r + row * n
                    var t = Lanes()
                    var entries = block
                    for i in 0..<n {
                        t = t.addingProduct(Lanes(repeating: r0[i]), Lanes.load(entries))
                        entries += 8
                    }
                    add(t, row: row, column: column)
                    row += 1
                }
            }
        }
    }
}
