import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// Upstream-cache entries are trusted state: a flipped bit anywhere must be detected, never used.
@Suite struct CacheIntegrityTests {
    @Test(
        "bytes flipped at 60 seeded random offsets of cache entries (weights, key, header, checksum) are detected, retrained and rewritten; rows equal a cache-less run"
    )
    func bitFlips_areDetected() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let cache = root.appendingPathComponent("cache")
        func sweep(_ name: String, cached: Bool = true) throws -> SweepReport {
            var runner = SweepRunner(plan: plan, directory: root.appendingPathComponent(name).path, threads: 2)
            runner.upstreamCacheDirectory = cached ? cache : nil
            return try runner.run()
        }
        _ = try sweep("fresh", cached: false)
        let fresh = try SweepTests.rowsWithoutTiming(root.appendingPathComponent("fresh"))
        #expect(try sweep("cold").upstreamTrainings == 4)
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".bin") }
            .sorted()
            .map { cache.appendingPathComponent($0) }
        #expect(entries.count == 4)
        let intact = try entries.map { try Data(contentsOf: $0) }
        var generator = Xoshiro256StarStar(seed: 25)
        for round in 0..<15 {
            // One corruption per entry: 1 to 3 bytes XORed with a nonzero mask at random offsets (round 0: the checksum).
            for (entry, original) in zip(entries, intact) {
                var bytes = original
                for _ in 0..<(1 + Int(generator.next() % 3)) {
                    let offset =
                        round == 0
                        ? bytes.count - 1 - Int(generator.next() % 8) : Int(generator.next() % UInt64(bytes.count))
                    bytes[offset] ^= UInt8(1 + generator.next() % 255)
                }
                try bytes.write(to: entry)
            }
            let report = try sweep("round\(round)")
            #expect(
                report.corruptCacheEntries.count == 4 && report.upstreamTrainings == 4 && report.upstreamReuses == 0,
                "round \(round)")
            #expect(
                try SweepTests.rowsWithoutTiming(root.appendingPathComponent("round\(round)")) == fresh,
                "round \(round)")
            // Rewritten: the entries are intact again, and reused.
            #expect(try entries.map { try Data(contentsOf: $0) } == intact, "round \(round)")
        }
        let warm = try sweep("warm")
        #expect(warm.upstreamReuses == 4 && warm.corruptCacheEntries.isEmpty)
        #expect(try SweepTests.rowsWithoutTiming(root.appendingPathComponent("warm")) == fresh)
    }

    @Test("the entry checksum changes with any one byte of the entry")
    func checksum_seesEveryByte() {
        let bytes = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let reference = UpstreamCache.checksum(bytes[...])
        for offset in stride(from: 0, to: bytes.count, by: 7) {
            for mask: UInt8 in [1, 0x40, 0xFF] {
                var flipped = bytes
                flipped[offset] ^= mask
                #expect(UpstreamCache.checksum(flipped[...]) != reference)
            }
        }
    }
}
