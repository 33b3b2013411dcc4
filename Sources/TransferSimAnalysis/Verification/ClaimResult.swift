import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The verdict on one claim of the paper, from simulations.
package enum Verdict: String, Sendable {
    /// The evidence agrees with the claim at the stated confidence.
    case supported
    /// The evidence goes against the claim.
    case contradicted
    /// Not enough evidence either way.
    case inconclusive
}

/// One row of `verification.md` / `verification.csv`.
package struct ClaimResult: Sendable {
    /// Claim id (`1`, `2a`, …).
    package let id: String
    /// The claim, in words.
    package let claim: String
    /// The simulated setting.
    package let setting: String
    /// The numbers, with 95% intervals where they apply.
    package let evidence: String
    /// The verdict.
    package let verdict: Verdict

    /// `verification.csv` header.
    package static let csvHeader = ["id", "claim", "setting", "evidence", "verdict"]

    /// The CSV fields.
    package var csvFields: [String] { [id, claim, setting, evidence, verdict.rawValue] }

    /// The results as the Markdown report.
    package static func markdown(_ results: [ClaimResult], quick: Bool) -> String {
        markdown(results, source: "transfersim verify\(quick ? " --quick" : "")")
    }

    /// The results as the Markdown report of the command `source`.
    package static func markdown(_ results: [ClaimResult], source: String) -> String {
        var lines = [
            "# Numerical verification of the paper's claims", "",
            "Made by `\(source)`. Each claim is checked on its own small sweep",
            "(directories under `sweeps/`); paired comparisons use common random numbers across cells,",
            "95% Student-t intervals and two-sided t-tests over replicates. A claim that is not supported is",
            "a result, reported as it is.", "",
            "| # | claim | setting | evidence | verdict |", "|---|---|---|---|---|",
        ]
        for r in results {
            let cells = [r.id, r.claim, r.setting, r.evidence, "**\(r.verdict.rawValue)**"].map {
                $0.replacingOccurrences(of: "|", with: "\\|")
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
