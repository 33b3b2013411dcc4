import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim verify`: the paper's claims (docs/model.md §5, §8) checked numerically, each on a small sweep.
///
/// Claims: (1) Kou's dichotomy for the baseline (Theorem 4.3); (2) transfer improves with α, N_1, ‖u‖ and
/// worsens with σ_{p,1} (Theorem 4.2); (3) negative transfer exists where ‖u‖ is small and the source large
/// (Proposition 4.4); (4) the mechanism: γ against ρ̄, and what inherited filters carry; (5) exactness of
/// the decomposition and the gradient on the runs themselves. `quick` uses small problems (seconds in a
/// release build); the full settings follow docs/model.md §9.
package struct VerificationSuite: Sendable {
    /// Small problems and few replicates.
    package let quick: Bool
    /// Output directory (`verification.md`, `verification.csv`, `sweeps/`).
    package let directory: URL
    /// Worker threads for the sweeps.
    package let threads: Int
    /// Replicates per cell instead of the battery's own (8 quick, 16 full; `verify --replicates`): each claim's sweep
    /// grows in place when it is raised (``SweepPlan/grows(_:)``).
    package var replicatesOverride: Int?

    /// A suite; see the properties.
    package init(quick: Bool, directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.quick = quick
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL
        self.threads = threads
    }

    // MARK: - Settings

    /// The theory-preset setting every claim starts from (§9's starting point; smaller when quick).
    var base: [ConfigLoader.Entry] {
        let shared: [ConfigLoader.Entry] = [
            ("preset", "theory"), ("seed", "0"), ("m", "10"), ("sigma0", "0.01"), ("eta1", "1"),
            ("eta2", "1"), ("steps2", "50"), ("n2", "20"), ("v1_norm", "2"), ("mu2_norm", "2.5"),
            ("flip1", "0.1"), ("flip2", "0.1"), ("evaluation", "population"), ("log_every", "10"),
        ]
        return shared
            + (quick
                ? [("d", "800"), ("n1", "100"), ("steps1", "300"), ("population_draws", "2000")]
                : [("d", "800"), ("n1", "300"), ("steps1", "1000"), ("population_draws", "10000")])
    }

    var replicates: Int { replicatesOverride ?? (quick ? 8 : 16) }

    var settingText: String {
        // The battery trains to fixed step counts; claims files may set target losses (their reports count who reached them).
        quick
            ? "theory preset, d = 800, N₁ = 100, T₁ = 300, \(replicates) replicates, fixed step counts (no target loss)"
            : "theory preset, d = 800, N₁ = 300, T₁ = 1000, \(replicates) replicates, fixed step counts (no target loss)"
    }

    // MARK: - Running

    /// Runs every claim, writes the report, and returns the rows.
    ///
    /// - Throws: ``ConfigError`` when a check cannot run (bad directory, I/O); unsupported claims are rows.
    package func run() throws -> [ClaimResult] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var results = [try dichotomy()]
        results += try monotonicity()
        results.append(try negativeTransfer())
        results += try mechanism()
        results.append(try exactness())
        try AtomicFile.write(
            ClaimResult.markdown(results, quick: quick), to: directory.appendingPathComponent("verification.md"))
        try AtomicFile.write(
            ([ClaimResult.csvHeader] + results.map(\.csvFields)).map(CSV.line).joined(),
            to: directory.appendingPathComponent("verification.csv"))
        return results
    }

    /// Runs a sweep of `base + overrides` over `grid` (first key outermost) into `sweeps/<name>` and returns
    /// the plan and a lookup `metric(cell index, replicate)`.
    func sweep(
        _ name: String, _ overrides: [ConfigLoader.Entry], grid: [(String, [String])], replicates: Int? = nil
    ) throws
        -> (plan: SweepPlan, value: (Int, Int, String) -> Double)
    {
        let axes = grid.map { SweepSpec.Axis(keys: [$0.0], points: $0.1.map { [$0] }, zipped: false) }
        let plan = try SweepPlan(
            baseLayers: [base + overrides], spec: SweepSpec(axes: axes, replicates: replicates ?? self.replicates))
        let out = directory.appendingPathComponent("sweeps").appendingPathComponent(name)
        _ = try SweepRunner(plan: plan, directory: out.path, threads: threads).run()
        let rows = CSV.parse(try String(contentsOf: out.appendingPathComponent("results.csv"), encoding: .utf8))
            .dropFirst()
        let replicateColumn = ResultColumns.index("replicate")
        var byKey: [String: [String]] = [:]
        for row in rows { byKey["\(row[0])/\(row[replicateColumn])"] = row }
        let ids = plan.cells.map(\.id)
        return (
            plan,
            { cell, replicate, metric in
                Double(byKey["\(ids[cell])/\(replicate)"]?[ResultColumns.index(metric)] ?? "") ?? .nan
            }
        )
    }

    /// Per-replicate values of `metric` in `cell`.
    func series(_ value: (Int, Int, String) -> Double, cell: Int, metric: String, replicates: Int? = nil) -> [Double] {
        (0..<(replicates ?? self.replicates)).map { value(cell, $0, metric) }
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

    static func interval(_ c: PairedComparison) -> String {
        "\(f(c.mean)) [\(f(c.interval.low)), \(f(c.interval.high))], p = \(String(format: "%.2g", c.pValue))"
    }
}
