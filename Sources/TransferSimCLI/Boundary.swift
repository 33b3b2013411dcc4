import ArgumentParser
import Foundation
import TransferSim

struct Boundary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a phase boundary statistic = C on a finished 2-D (or any) sweep and print C, its 95% interval and accuracy.")

    @Argument(help: "Sweep directory (config.resolved.yaml + summary.csv).")
    var directory: String

    @Option(name: .long, help: ArgumentHelp("Statistic column: " + TheoryStatistic.all.map(\.name).joined(separator: ", ") + "."))
    var statistic = "kou_stat_2"

    @Option(name: .long, help: "dichotomy (benign error ≤ p + δ vs harmful ≥ p + 0.1) or gain (transfer gain > 0 vs < 0).")
    var rule = "dichotomy"

    @Option(name: .long, help: "Stage whose test error the dichotomy uses: baseline or transfer.")
    var stage = "baseline"

    @Option(name: .long, help: "δ of the benign side of the dichotomy.")
    var delta = 0.05

    @Option(name: .long, help: ArgumentHelp("Fit free exponents: logistic regression of the regime on the logs of these keys (e.g. d,mu2_norm), each exponent as a ratio to the first key's, next to the statistic's.", valueName: "KEY,..."))
    var free: String?

    func run() throws {
        do {
            let table = try SweepTable(directory: URL(fileURLWithPath: directory))
            let chosenRule: BoundarySpec.Rule
            switch rule {
            case "gain": chosenRule = .gain
            case "dichotomy":
                guard let chosenStage = Stage(rawValue: stage), chosenStage != .upstream else {
                    throw ConfigError(key: "--stage", "must be baseline or transfer, got '\(stage)'")
                }
                guard delta >= 0 && delta < 0.1 else { throw ConfigError(key: "--delta", "must lie in [0, 0.1), got \(delta)") }
                chosenRule = .dichotomy(stage: chosenStage, delta: delta)
            default: throw ConfigError(key: "--rule", "must be dichotomy or gain, got '\(rule)'")
            }
            let spec = BoundarySpec(statistic: statistic, rule: chosenRule, label: "\(statistic) = C")
            if let free {
                let keys = free.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let fit = try FreeBoundary(spec, table: table, keys: keys)
                print("free exponents (labels by \(rule), \(fit.count) cells\(fit.leftOut > 0 ? ", \(fit.leftOut) with a key ≤ 0 left out" : "")\(fit.converged ? "" : ", fit not converged")): ratio to \(keys[0])'s exponent, 95% interval, the theory's (\(statistic))")
                for e in fit.exponents {
                    let theory = e.theoryRatio.map { String(format: "%.3g", $0) } ?? "—"
                    print("  \(e.key): " + String(format: "%.4g [%.4g, %.4g]", e.ratio, e.interval.low, e.interval.high) + "   theory \(theory)")
                }
                print(String(format: "classified correctly: free fit %.1f%%", 100 * fit.accuracy)
                      + (fit.theoryAccuracy.map { String(format: ", theory form %.1f%%", 100 * $0) } ?? ""))
                return
            }
            let fit = try spec.fit(table)
            print("\(statistic) = C: " + String(format: "C = %.6g, 95%% CI [%.6g, %.6g], slope %.4g on the log statistic, %.1f%% of %d labelled cells classified correctly",
                                                 fit.threshold, fit.interval.low, fit.interval.high, fit.slope, 100 * fit.accuracy, fit.count)
                  + (fit.converged ? "" : " (not converged after \(LogisticBoundary.maxIterations) Newton steps: treat C and its interval as unreliable)"))
        } catch {
            throw fail(error)
        }
    }
}
