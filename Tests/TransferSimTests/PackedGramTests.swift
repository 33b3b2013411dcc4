import Testing

@testable import TransferSimCore

@Suite struct PackedGramTests {
    /// A symmetric `n × n` Gram matrix `ΞΞᵀ` and a `rows × n` coefficient matrix, from `seed`.
    static func operands(rows: Int, n: Int, seed: UInt64) -> (gram: Matrix, coefficients: Matrix, start: Matrix) {
        var generator = Xoshiro256StarStar(seed: seed)
        let noise = Matrix(rows: n, cols: 7, storage: generator.normals(count: 7 * n))
        return (
            SpanState.gram(noise), Matrix(rows: rows, cols: n, storage: generator.normals(count: rows * n)),
            Matrix(rows: rows, cols: n, storage: generator.normals(count: rows * n))
        )
    }

    /// Shapes around the 8-column blocks and 5-row groups: leftover columns, leftover rows, one of each.
    static let shapes = [(1, 1), (3, 7), (5, 8), (6, 9), (10, 16), (12, 23), (20, 41), (1, 64)]

    @Test("each entry of start + R G is the chain t = fma(R_i, G_ij, t) over i = 0…N−1, then start + t, bit for bit")
    func entriesAreTheFixedChain() {
        for (index, (rows, n)) in Self.shapes.enumerated() {
            let (gram, coefficients, start) = Self.operands(rows: rows, n: n, seed: UInt64(index))
            var out = Matrix(rows: rows, cols: n)
            PackedGram(gram).product(coefficients, plus: start, into: &out)
            for row in 0..<rows {
                for column in 0..<n {
                    var t = 0.0
                    for i in 0..<n { t = t.addingProduct(coefficients[row, i], gram[i, column]) }
                    #expect(
                        out[row, column].bitPattern == (start[row, column] + t).bitPattern,
                        "\(rows)×\(n) (\(row), \(column))")
                }
            }
        }
    }

    @Test("a row's product does not depend on the other rows: each row alone gives the same bits")
    func rowsIndependentOfTheirGroup() {
        let (gram, coefficients, start) = Self.operands(rows: 13, n: 29, seed: 9)
        let packed = PackedGram(gram)
        var together = Matrix(rows: 13, cols: 29)
        packed.product(coefficients, plus: start, into: &together)
        for row in 0..<13 {
            var one = Matrix(rows: 1, cols: 29), first = Matrix(rows: 1, cols: 29), alone = Matrix(rows: 1, cols: 29)
            coefficients.copyRows(at: row, into: &one)
            start.copyRows(at: row, into: &first)
            packed.product(one, plus: first, into: &alone)
            #expect(alone.storage == Array(together.storage[(row * 29)..<((row + 1) * 29)]), "row \(row)")
        }
    }

    @Test(
        "a product large enough to share, computed with a helping thread, equals the product alone, bit for bit",
        .timeLimit(.minutes(10)))
    func sharedProductIsTheProductAlone() {
        // 20 × 163² terms ≥ PackedGram.sharedWork; 21 blocks of columns, the last one partial: 6 chunks, the last short.
        let (gram, coefficients, start) = Self.operands(rows: 20, n: 163, seed: 17)
        #expect(20 * 163 * 163 >= PackedGram.sharedWork)
        var alone = Matrix(rows: 20, cols: 163)
        PackedGram(gram).product(coefficients, plus: start, into: &alone)
        var mismatches = 0
        ProductTeamTests.withHelper { team in
            let packed = PackedGram(gram, team: team)
            for _ in 0..<40 {
                var shared = Matrix(rows: 20, cols: 163)
                packed.product(coefficients, plus: start, into: &shared)
                if shared.storage.map(\.bitPattern) != alone.storage.map(\.bitPattern) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("start + R G agrees with BLAS dgemm to rounding")
    func agreesWithBLAS() {
        for (index, (rows, n)) in Self.shapes.enumerated() {
            let (gram, coefficients, start) = Self.operands(rows: rows, n: n, seed: 100 + UInt64(index))
            var packed = Matrix(rows: rows, cols: n), blas = start
            PackedGram(gram).product(coefficients, plus: start, into: &packed)
            BLAS.gemm(coefficients, gram, into: &blas, beta: 1)
            let scale = gram.storage.map(abs).max()! * coefficients.storage.map(abs).reduce(0, +) + 1
            for k in packed.storage.indices {
                #expect(abs(packed.storage[k] - blas.storage[k]) <= 1e-14 * scale, "\(rows)×\(n) entry \(k)")
            }
        }
    }
}
