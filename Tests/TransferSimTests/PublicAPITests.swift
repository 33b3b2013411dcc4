import Foundation
import Testing
import TransferSim  // not @testable: what this file uses is the public API

/// A library user's view: the DocC overview's example, through `import TransferSim` alone.
@Suite struct PublicAPITests {
    @Test("the DocC overview's example runs as written (small sizes), through `import TransferSim` alone")
    func doccExample_runs() throws {
        let root = try CLIHarness.temporaryDirectory("docc")
        defer { try? FileManager.default.removeItem(at: root) }
        // As in TransferSim.docc/TransferSim.md, with sizes a debug build runs in a moment.
        let config = try ConfigLoader.resolve([
            [
                ("d", "40"), ("u_norm", "2"), ("alpha", "0.5"), ("n1", "20"), ("steps1", "20"),
                ("steps2", "10"), ("population_draws", "500"),
            ]
        ])
        let result = try TransferExperiment(config: config).run()
        var gain: Double?
        for (name, value) in result.metrics where name == "transfer_gain" { gain = value }
        #expect(gain?.isFinite == true)
        let path = root.appendingPathComponent("alpha.yaml").path
        try
            "d: 30\nn1: 12\nn2: 8\nsteps1: 10\nsteps2: 5\npopulation_draws: 500\ngrid:\n  alpha: [0, 1]\n  u_norm: [0, 1]\nreplicates: 2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let plan = try SweepPlan.load(path: path)
        let report = try SweepRunner(plan: plan, directory: root.appendingPathComponent("alpha").path, threads: 2).run()
        #expect(report.computed == 8)
        let table = try SweepTable(directory: root.appendingPathComponent("alpha"))
        #expect(table.value(plan.cells[0], "transfer_gain_mean") == 0)  // α = 0: transfer is the baseline
    }
}
