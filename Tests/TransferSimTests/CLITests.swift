import Foundation
import Testing

@testable import TransferSimCore
@testable import TransferSimExperiment

/// The `transfersim` executable: parsing, exit codes and the one-line error format.
@Suite struct CLITests {
    @Test("help exits 0 and lists every subcommand; an unknown subcommand or option is a usage error (64)")
    func parsing_helpAndUsage() throws {
        let help = try CLIHarness.run(["--help"])
        #expect(help.status == 0)
        for command in ["run", "sweep", "merge", "figure", "plot", "verify", "slurm", "bench", "boundary", "keys"] {
            #expect(help.stdout.contains("  \(command)"), "\(command)")
        }
        #expect(try CLIHarness.run(["frobnicate"]).status == 64)
        #expect(try CLIHarness.run(["run", "--colour", "red"]).status == 64)
    }

    @Test("bad input to run is one line 'error: <key>: …', exit 1, and nothing written")
    func run_badInputOneLine() throws {
        let root = try CLIHarness.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let cases: [([String], String)] = [
            (["--set", "colour=red"], "error: colour: unknown key; allowed keys: "),
            (["--set", "alpha=1.5"], "error: alpha: must be a number in [0, 1], got '1.5'"),
            (["--set", "sigma_p2=-1"], "error: sigma_p2: must be a number in (0, 1e50], got '-1'"),
            (["--set", "d=2", "--set", "cos_v1_v2=0.5"], "error: d: must be ≥ "),
            (["--config", "missing.yaml"], "error: missing.yaml: cannot read config file"),
        ]
        for (arguments, prefix) in cases {
            let outcome = try CLIHarness.run(["run"] + arguments + ["--out", "out"], in: root)
            #expect(outcome.status == 1, "\(arguments)")
            #expect(
                outcome.stderr.hasPrefix(prefix) && outcome.stderr.split(separator: "\n").count == 1,
                "\(arguments): \(outcome.stderr)")
            #expect(CLIHarness.tree(root).isEmpty, "\(arguments)")
        }
    }

    @Test(
        "keys prints the key table; run prints its report and writes its three files; plot draws the run's training curves"
    )
    func keysAndRun_output() throws {
        let keys = try CLIHarness.run(["keys"])
        #expect(keys.status == 0 && keys.stdout == ConfigField.markdownTable + "\n")
        let root = try CLIHarness.temporaryDirectory("cli-run")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try CLIHarness.run(
            [
                "run", "--set", "d=24", "--set", "n1=10", "--set", "steps1=5", "--set", "steps2=5",
                "--set", "population_draws=300", "--out", "r",
            ], in: root)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("transfer_gain = ")
                && run.stdout.hasSuffix("results in \(root.appendingPathComponent("r").path)\n"))
        #expect(run.stdout.contains("BLAS: \(BLASIdentity.current.library) \(BLASIdentity.current.version), kernel "))
        #expect(
            CLIHarness.tree(root.appendingPathComponent("r")) == [
                "blas", "config.resolved.yaml", "history.csv", "results_version", "summary.json",
            ])
        // plot on a run directory draws its training curves: loss, train and test error, γ and ρ̄ of both stages.
        let plot = try CLIHarness.run(["plot", "r"], in: root)
        #expect(
            plot.status == 0 && plot.stdout == "wrote \(root.appendingPathComponent("r/training_curves.svg").path)\n",
            "\(plot.stderr)")
        let svg = try String(contentsOf: root.appendingPathComponent("r/training_curves.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: ##"class="series""##).count - 1 == 10)
        // The same picture as PDF and PNG (converted from the SVG by rsvg-convert); a clear error without the converter.
        let formats = try CLIHarness.run(["plot", "r", "--format", "svg,pdf,png"], in: root)
        #expect(formats.status == 0, "\(formats.stderr)")
        #expect(
            try Data(contentsOf: root.appendingPathComponent("r/training_curves.pdf")).prefix(5) == Data("%PDF-".utf8))
        #expect(
            try Data(contentsOf: root.appendingPathComponent("r/training_curves.png")).prefix(4)
                == Data([0x89, 0x50, 0x4E, 0x47]))
        let missing = try CLIHarness.run(["plot", "r", "--format", "pdf"], in: root, environment: ["PATH": root.path])
        #expect(
            missing.status == 1
                && missing.stderr.hasPrefix("error: --format: pdf needs librsvg's rsvg-convert on PATH"),
            "\(missing.stderr)")
        let header = try String(contentsOf: root.appendingPathComponent("r/history.csv"), encoding: .utf8).prefix {
            $0 != "\n"
        }
        #expect(header.hasSuffix(",test_error,clean_test_error"))
    }
}
