import Foundation
import Testing
import Yams

@testable import TransferSim
@testable import TransferSimExperiment

/// Input is bounded before work is done on it: file sizes and kinds, grid sizes.
@Suite struct BoundedInputTests {
    @Test(
        "a 100 MB config, a FIFO, a device, a directory and a non-UTF-8 file are one-line errors naming the path, read no further, write nothing"
    )
    func configFiles_areBounded() throws {
        let root = try CLIHarness.temporaryDirectory("bounded")
        defer { try? FileManager.default.removeItem(at: root) }
        let big = root.appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: big.path, contents: Data("grid:\n  d: [".utf8)))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 100 << 20)  // 100 MB (sparse): refused by its size, never read
        try handle.close()
        let fifo = root.appendingPathComponent("fifo.yaml")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let binary = root.appendingPathComponent("latin1.yaml")
        try Data([0x64, 0x3A, 0x20, 0xE9, 0xFF, 0x0A]).write(to: binary)
        let cases: [(String, String)] = [
            (big.path, "may have at most 1048576"), (fifo.path, "is not a regular file"),
            ("/dev/zero", "is not a regular file"), (root.path, "is a directory"),
            (binary.path, "is not UTF-8"), (root.appendingPathComponent("none.yaml").path, "cannot read"),
        ]
        for (path, message) in cases {
            for command in [["sweep", "--config", path, "--out", "out"], ["run", "--config", path, "--out", "out"]] {
                let outcome = try CLIHarness.run(command, in: root)
                #expect(
                    outcome.status == 1 && outcome.stderr.hasPrefix("error: \(path): ")
                        && outcome.stderr.contains(message)
                        && outcome.stderr.filter { $0 == "\n" }.count == 1, "\(command): \(outcome.stderr)")
                #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
            }
        }
        #expect(throws: ConfigError.self) { try ConfigLoader.readText(path: big.path) }
    }

    @Test(
        "a grid past 10⁶ cells is refused at the axis that passes it, before its values are made (10¹² cells, ranges and lists, grid and zip)"
    )
    func grids_areRefusedBeforeMaterialising() throws {
        func refusal(_ yaml: String) throws -> ConfigError {
            let node = try #require(try Yams.compose(yaml: yaml))
            return try #require(throws: ConfigError.self) {
                try SweepSpec.parse(grid: node.mapping?["grid"], zip: node.mapping?["zip"], replicates: nil)
            }
        }
        let ranges = try refusal(
            "grid:\n  d: {from: 1, to: 1000000, steps: 1000000}\n  u_norm: {from: 0, to: 1, steps: 1000000}\n")
        #expect(ranges.key == "grid.u_norm" && ranges.message.contains("more than 1000000 cells"))
        let list = try refusal(
            "grid:\n  d: {from: 1, to: 2000, step: 1}\n  m: [" + (1...600).map(String.init).joined(separator: ", ")
                + "]\n")
        #expect(list.key == "grid.m")
        let zipped = try refusal(
            "grid:\n  d: {from: 1, to: 2000, step: 1}\nzip:\n  u_norm: {from: 0, to: 1, steps: 1000}\n  alpha: {from: 0, to: 1, steps: 1000}\n"
        )
        #expect(zipped.key == "zip.u_norm")
        // At the cap itself, a grid is accepted.
        let node = try #require(
            try Yams.compose(
                yaml: "grid:\n  d: {from: 1, to: 1000, steps: 1000}\n  n1: {from: 1, to: 1000, steps: 1000}\n"))
        #expect(
            try SweepSpec.parse(grid: node.mapping?["grid"], zip: nil, replicates: nil).cellCount == SweepSpec.maxCells)
        // Through the command line, with --grid ranges: one line, nothing written.
        let root = try CLIHarness.temporaryDirectory("bounded-grid")
        defer { try? FileManager.default.removeItem(at: root) }
        try (SweepTests.base + "grid:\n  alpha: [0, 1]\n").write(
            to: root.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        let outcome = try CLIHarness.run(
            [
                "sweep", "--config", "s.yaml", "--grid", "d=1:1000000:n1000000", "--grid", "n1=1:1000000:1", "--out",
                "out",
            ], in: root)
        #expect(
            outcome.status == 1 && outcome.stderr.contains("more than 1000000 cells")
                && outcome.stderr.filter { $0 == "\n" }.count == 1, "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
    }
}
