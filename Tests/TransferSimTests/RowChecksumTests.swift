import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// Rows of `results.csv` are trusted state when a sweep resumes, shards merge or an analysis reads them: a changed
/// byte must be detected, never used.
@Suite struct RowChecksumTests {
    @Test("CRC-32 is zlib's: the standard check value of \"123456789\", and of the empty string")
    func crc32_checkValue() {
        var text = "123456789"
        #expect(text.withUTF8(RowChecksum.crc32) == 0xCBF4_3926)
        var empty = ""
        #expect(empty.withUTF8(RowChecksum.crc32) == 0)
        #expect(RowChecksum.text(0xCBF4_3926) == "cbf43926" && RowChecksum.text(0x1F) == "0000001f")
    }

    @Test(
        "bytes flipped at 40 seeded random offsets of results.csv rows are detected on resume, computed again and left out; the files equal the intact sweep's"
    )
    func bitFlips_areRecomputed() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let reference = root.appendingPathComponent("reference")
        _ = try SweepRunner(plan: plan, directory: reference.path, threads: 2).run()
        let intact = try Data(contentsOf: reference.appendingPathComponent("results.csv"))
        let rows = try SweepTests.rowsWithoutTiming(reference)
        let summary = try SweepTests.read(reference, "summary.csv")
        let headerLength = (intact.firstIndex(of: UInt8(ascii: "\n")) ?? 0) + 1
        var generator = Xoshiro256StarStar(seed: 2025)
        for round in 0..<40 {
            let out = root.appendingPathComponent("round\(round)")
            try FileManager.default.copyItem(at: reference, to: out)
            var bytes = [UInt8](intact)
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                // Not the final newline: a last line without one is what a kill mid-write leaves (cut, and computed again).
                let offset = headerLength + Int(generator.next() % UInt64(bytes.count - 1 - headerLength))
                bytes[offset] ^= UInt8(1 + generator.next() % 255)
            }
            try Data(bytes).write(to: out.appendingPathComponent("results.csv"))
            // An analysis refuses the file, naming it.
            let refusal = try #require(throws: SweepError.self) { try SweepRows(directory: out) }
            #expect(
                refusal.key.hasPrefix(out.appendingPathComponent("results.csv").path)
                    && refusal.message.contains("checksum"), "round \(round)")
            let report = try SweepRunner(plan: plan, directory: out.path, threads: 2).run()
            #expect(
                !report.corruptRows.isEmpty && report.computed >= 1 && report.resumed + report.computed == 12,
                "round \(round)")
            #expect(try SweepTests.rowsWithoutTiming(out) == rows, "round \(round)")
            #expect(try SweepTests.read(out, "summary.csv") == summary, "round \(round)")
            #expect(try SweepRunner(plan: plan, directory: out.path).run().corruptRows.isEmpty, "round \(round)")
            try FileManager.default.removeItem(at: out)
        }
    }

    @Test(
        "a shard whose only copy of a row fails its checksum makes the merge incomplete, saying so; resuming the shard repairs it"
    )
    func merge_ofCorruptShard() throws {
        let (root, config) = try SweepTests.setUp(SweepTests.grid)
        defer { try? FileManager.default.removeItem(at: root) }
        let plan = try SweepPlan.load(path: config)
        let shards = try (0..<2).map { k in
            let out = root.appendingPathComponent("shard\(k)")
            _ = try SweepRunner(plan: plan, directory: out.path, shard: Shard(index: k, count: 2)).run()
            return out
        }
        let url = shards[1].appendingPathComponent("results.csv")
        var text = try String(contentsOf: url, encoding: .utf8)
        let digit = try #require(text.range(of: "0.", range: text.range(of: "\n")!.upperBound..<text.endIndex))
        text.replaceSubrange(digit, with: "1.")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let merged = root.appendingPathComponent("merged")
        let error = try #require(throws: SweepError.self) {
            try SweepMerge.merge(directories: shards.map(\.path), output: merged.path)
        }
        #expect(
            error.message.contains("incomplete") && error.message.contains("fail their checksum")
                && error.message.contains(url.path))
        #expect(!FileManager.default.fileExists(atPath: merged.path))
        _ = try SweepRunner(plan: plan, directory: shards[1].path, shard: Shard(index: 1, count: 2)).run()
        #expect(try SweepMerge.merge(directories: shards.map(\.path), output: merged.path).rows == 12)
        let whole = root.appendingPathComponent("whole")
        _ = try SweepRunner(plan: plan, directory: whole.path).run()
        #expect(try SweepTests.rowsWithoutTiming(merged) == SweepTests.rowsWithoutTiming(whole))
    }
}
