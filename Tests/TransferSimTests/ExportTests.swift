import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct ExportTests {
    @Test("NPY files have a 64-byte aligned v1.0 header and round-trip exactly", arguments: [[7], [2, 3, 4], [1, 1]])
    func npy_roundTrip(shape: [Int]) throws {
        var generator = Xoshiro256StarStar(seed: 1)
        let values = (0..<shape.reduce(1, *)).map { _ in generator.normal() }
        let data = NPYFile.encode(values, shape: shape)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data[10 + headerLength - 1] == UInt8(ascii: "\n"))
        let decoded = try NPYFile.decode(data)
        #expect(decoded.shape == shape)
        #expect(decoded.values == values)
    }

    @Test(
        "--export-state writes the data and every stage's filters with the documented shapes; retraining reproduces W_T"
    )
    func exportState_shapesAndRetraining() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "transfersim-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let job = RunJob(
            configPath: nil,
            overrides: [
                "preset=kou2023-code", "d=20", "m=3", "n1=8", "n2=6", "steps1=7", "steps2=9",
                "alpha=0.67", "freeze_steps=3", "inherited_lr_scale=0.5", "n_test=50",
            ],
            output: root.path, exportState: true)
        let (result, _) = try job.execute()
        func load(_ name: String) throws -> (shape: [Int], values: [Double]) {
            try NPYFile.decode(try Data(contentsOf: root.appendingPathComponent(name)))
        }
        #expect(try load("upstream_X.npy").shape == [8, 2, 20])
        #expect(try load("downstream_y.npy").shape == [6])
        for stage in ["upstream", "transfer", "baseline"] {
            #expect(try load("\(stage)_W0.npy").shape == [2, 3, 20])
            #expect(try load("\(stage)_bT.npy").shape == [2, 3])
        }
        // Patch 0 of sample i is ŷ_i μ, patch 1 is ξ_i.
        let x = try load("downstream_X.npy").values
        let sample = result.downstreamSample
        #expect(Array(x[0..<20]) == sample.mu.map { sample.cleanLabels[0] * $0 })
        #expect(Array(x[20..<40]) == sample.noise.row(0))
        // Retrain the transfer stage from the exported files alone, with a naive loop implementation.
        let w0 = try load("transfer_W0.npy").values, b0 = try load("transfer_b0.npy").values
        let inherited = try load("transfer_inherited_b.npy").values
        let y = try load("downstream_y.npy").values
        var w = w0, b = b0
        let n = 6, d = 20, rows = 6, kappa = 0.5, eta = 0.1
        for t in 0..<9 {
            var gw = [Double](repeating: 0, count: rows * d), gb = [Double](repeating: 0, count: rows)
            for i in 0..<n {
                var f = 0.0
                var active = [[Bool]](repeating: [false, false], count: rows)
                for r in 0..<rows {
                    for p in 0..<2 {
                        var z = b[r]
                        for k in 0..<d { z += w[r * d + k] * x[i * 2 * d + p * d + k] }
                        active[r][p] = z > 0
                        f += (r < 3 ? kappa : -kappa) * max(z, 0)
                    }
                }
                let g = -1 / (1 + exp(y[i] * f)) * y[i] / Double(n)
                for r in 0..<rows {
                    for p in 0..<2 where active[r][p] {
                        let c = g * (r < 3 ? kappa : -kappa)
                        gb[r] += c
                        for k in 0..<d { gw[r * d + k] += c * x[i * 2 * d + p * d + k] }
                    }
                }
            }
            for r in 0..<rows {
                let step = inherited[r] == 1 ? (t < 3 ? 0 : eta * 0.5) : eta
                b[r] -= step * gb[r]
                for k in 0..<d { w[r * d + k] -= step * gw[r * d + k] }
            }
        }
        #expect(Fixtures.maxDifference(w, try load("transfer_WT.npy").values) < 1e-12)
        #expect(Fixtures.maxDifference(b, try load("transfer_bT.npy").values) < 1e-12)
    }

    @Test(
        "--export-state writes each recipe's state: the head (linear-probe, lp-ft), LoRA's A and B, distill's teacher logits"
    )
    func exportState_recipes() throws {
        let cases: [(String, [String], [String: [Int]])] = [
            ("linear-probe", [], ["transfer_a0.npy": [2, 3], "transfer_aT.npy": [2, 3]]),
            ("lp-ft", ["probe_steps=2"], ["transfer_a0.npy": [2, 3], "transfer_aT.npy": [2, 3]]),
            (
                "lora", ["lora_rank=2"],
                [
                    "transfer_lora_A0.npy": [2, 2, 20], "transfer_lora_AT.npy": [2, 2, 20],
                    "transfer_lora_B0.npy": [2, 3, 2], "transfer_lora_BT.npy": [2, 3, 2],
                ]
            ),
            ("distill", ["teacher=transfer"], ["transfer_teacher_logits.npy": [6], "teacher_WT.npy": [2, 3, 20]]),
        ]
        for (recipe, extra, expected) in cases {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "transfersim-export-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let job = RunJob(
                configPath: nil,
                overrides: ["d=20", "m=3", "n1=8", "n2=6", "steps1=7", "steps2=5", "alpha=0.67", "recipe=\(recipe)"]
                    + extra,
                output: root.path, exportState: true)
            let (result, _) = try job.execute()
            for (name, shape) in expected {
                let file = try NPYFile.decode(try Data(contentsOf: root.appendingPathComponent(name)))
                #expect(file.shape == shape, "\(recipe): \(name)")
            }
            if recipe == "lora" {
                let b0 = try NPYFile.decode(try Data(contentsOf: root.appendingPathComponent("transfer_lora_B0.npy")))
                #expect(b0.values.allSatisfy { $0 == 0 })
            }
            if recipe == "distill" {
                let logits = try NPYFile.decode(
                    try Data(contentsOf: root.appendingPathComponent("transfer_teacher_logits.npy")))
                #expect(logits.values == result.teacherLogits)
            }
        }
    }
}
