import Testing

@testable import TransferSimCore

@Suite struct ParallelMapTests {
    @Test("parallelMap is the sequential map, in index order, for every count (none, one, fewer than the chunks, many)")
    func parallelMap_isTheSequentialMap() {
        for count in [0, 1, 5, 1000, 4099] {
            let value = { @Sendable (i: Int) in "\(i * i % 977)-\(i)" }
            #expect(parallelMap(count, value) == (0..<count).map(value), "count \(count)")
        }
    }
}
