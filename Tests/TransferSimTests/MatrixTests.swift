import Testing

@testable import TransferSimCore

@Suite struct MatrixTests {
    @Test(
        "rowSums(weightedBy:) gives each row the chain t = t + A_ri x_i from 0 in i order, bit for bit, whatever the row count"
    )
    func rowSums_areEachRowsChain() {
        var generator = Xoshiro256StarStar(seed: 5)
        // Row counts around the groups of 8 chains: a lone row, leftovers after one or two groups, a span step's 20.
        for rows in [1, 3, 4, 5, 8, 12, 13, 20, 21] {
            let cols = 37
            let matrix = Matrix(rows: rows, cols: cols, storage: generator.normals(count: rows * cols))
            let weights = generator.normals(count: cols)
            var totals = [Double](repeating: .nan, count: rows)
            weights.withUnsafeBufferPointer { x in
                totals.withUnsafeMutableBufferPointer { matrix.rowSums(weightedBy: x, into: $0) }
            }
            for row in 0..<rows {
                var t = 0.0
                for i in 0..<cols { t = t + matrix[row, i] * weights[i] }
                #expect(totals[row].bitPattern == t.bitPattern, "\(rows) rows, row \(row)")
            }
        }
    }
}
