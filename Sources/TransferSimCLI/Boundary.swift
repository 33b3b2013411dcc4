import ArgumentParser
import Foundation
import TransferSim

struct Boundary: Command {
    static let configuration = CommandConfiguration(
        abstract:
            "Fit a phase boundary statistic = C on a finished 2-D (or any) sweep and print C, its 95% interval and accuracy."
    )

    @Argument(help: "Sweep directory (config.resolved.yaml + summary.csv).")
    var directory: String

    @Option(
        name: .long,
        help: ArgumentHelp("Statistic column: " + TheoryStatistic.all.map(\.name).joined(separator: ", ") + "."))
    var statistic = "kou_stat_2"

    /// How cells are labelled (``BoundarySpec/Rule``).
    enum RuleName: String, ExpressibleByArgument, CaseIterable {
        case dichotomy, gain
    }

    /// The stages whose test error the dichotomy may read.
    enum StageName: String, ExpressibleByArgument, CaseIterable {
        case baseline, transfer
    }

    @Option(
        name: .long, help: "dichotomy (benign error ≤ p + δ vs harmful ≥ p + 0.1) or gain (transfer gain > 0 vs < 0).")
    var rule = RuleName.dichotomy

    @Option(name: .long, help: "Stage whose test error the dichotomy uses.")
    var stage = StageName.baseline

    @Option(name: .long, help: "δ of the benign side of the dichotomy.")
    var delta = 0.05

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Fit free exponents: logistic regression of the regime on the logs of these keys (e.g. d,mu2_norm), each exponent as a ratio to the first key's, next to the statistic's.",
            valueName: "KEY,..."))
    var free: String?

    @Option(
        name: .long,
        help:
            "With --free: cluster-bootstrap resamples over replicates for the exponents' intervals (0: the delta method only)."
    )
    var bootstrap = 200

    @Option(name: .long, help: "With --free: the bootstrap's seed.")
    var bootstrapSeed: UInt64 = 0

    func validate() throws {
        guard delta >= 0 && delta < 0.1 else { throw ValidationError("--delta must lie in [0, 0.1), got \(delta)") }
        guard (0...100_000).contains(bootstrap) else {
            throw ValidationError("--bootstrap must be in [0, 100000], got \(bootstrap)")
        }
    }

    func execute() throws {
        let table = try SweepTable(directory: URL(fileURLWithPath: directory))
        let chosenRule: BoundarySpec.Rule
        switch rule {
        case .gain: chosenRule = .gain
        case .dichotomy: chosenRule = .dichotomy(stage: stage == .baseline ? .baseline : .transfer, delta: delta)
        }
        let spec = BoundarySpec(statistic: statistic, rule: chosenRule, label: "\(statistic) = C")
        if let free {
            let keys = free.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var fit = try FreeBoundary(spec, table: table, keys: keys)
            if bootstrap > 0 {
                fit = try fit.resampled(
                    spec, rows: SweepRows(directory: URL(fileURLWithPath: directory), columns: [spec.metric]),
                    resamples: bootstrap, seed: bootstrapSeed)
            }
            let method =
                fit.bootstrap.map { "cluster bootstrap over replicates, \($0.fitted) of \($0.resamples) resamples" }
                ?? "delta method"
            print(
                "free exponents (labels by \(rule), \(fit.count) cells\(fit.leftOut > 0 ? ", \(fit.leftOut) with a key ≤ 0 left out" : "")\(fit.converged ? "" : ", fit not converged")); 95% intervals by the \(method); the theory's form \(statistic)"
            )
            for e in fit.exponents.dropFirst() {
                let law = e.powerLaw
                print(
                    "  \(keys[0]) ∝ \(e.key)^"
                        + String(format: "%.3g [%.3g, %.3g]", law.exponent, law.interval.low, law.interval.high)
                        + "   theory " + (law.theory.map { String(format: "%.3g", $0) } ?? "—")
                        + (fit.bootstrap == nil
                            ? "" : String(format: "   (delta method [%.3g, %.3g])", -e.interval.high, -e.interval.low)))
            }
            print(
                String(format: "classified correctly: free fit %.1f%%", 100 * fit.accuracy)
                    + (fit.theoryAccuracy.map { String(format: ", theory form %.1f%%", 100 * $0) } ?? ""))
            if fit.separated {
                print(
                    "note: the free fit separates the regimes completely (every labelled cell classified correctly): its exponents are held finite only by the ridge and the delta-method interval is over-confident\(fit.bootstrap == nil ? "; rerun with --bootstrap N" : ""); a wider --delta, more replicates or cells near the boundary make it identifiable"
                )
            }
            return
        }
        let fit = try spec.fit(table)
        print(
            "\(statistic) = C: "
                + String(
                    format:
                        "C = %.6g, 95%% CI [%.6g, %.6g], slope %.4g on the log statistic, %.1f%% of %d labelled cells classified correctly",
                    fit.threshold, fit.interval.low, fit.interval.high, fit.slope, 100 * fit.accuracy, fit.count)
                + (fit.converged
                    ? ""
                    : " (not converged after \(LogisticBoundary.maxIterations) Newton steps: treat C and its interval as unreliable)")
        )
    }
}
