import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// Which phase boundary to fit on a finished 2-D sweep: a statistic of ``TheoryStatistic/all`` and a
/// rule that labels each cell's regime from its means (issue: Theorems 4.2–4.3, Proposition 4.4).
package struct BoundarySpec: Sendable {
    /// How a cell is labelled.
    package enum Rule: Sendable, Equatable {
        /// Kou's dichotomy for `stage` on task 2: benign (positive) if the test error ≤ `p_2 + δ`, harmful if
        /// ≥ `p_2 + 0.1`; cells in between are left out.
        case dichotomy(stage: Stage, delta: Double)
        /// Beneficial transfer (positive) if `transfer_gain > 0`, negative transfer if `< 0`; zero left out.
        case gain
    }

    /// Statistic column (`kou_stat_2`, `transfer_stat`, …).
    package let statistic: String
    /// The labelling rule.
    package let rule: Rule
    /// Legend text, e.g. `S₂ = C`.
    package let label: String

    /// A spec; see the properties.
    package init(statistic: String, rule: Rule, label: String) {
        self.statistic = statistic
        self.rule = rule
        self.label = label
    }

    /// The baseline's dichotomy boundary `S_2 = C` (δ = 0.05).
    package static let baselineDichotomy = BoundarySpec(
        statistic: "kou_stat_2", rule: .dichotomy(stage: .baseline, delta: 0.05), label: "S₂ = C")
    /// The transfer boundary `Γ = C` between negative and beneficial transfer.
    package static let transferGain = BoundarySpec(statistic: "transfer_stat", rule: .gain, label: "Γ = C")

    /// `(statistic, label)` of every cell the rule classifies, in canonical order.
    package func labelledCells(_ table: SweepTable) -> [(statistic: Double, positive: Bool)] {
        table.plan.cells.compactMap { cell in label(cell, table).map { (table.value(cell, "\(statistic)_mean"), $0) } }
    }

    /// The `results.csv` metric whose mean the rule reads: `<stage>_test_error` (dichotomy) or `transfer_gain`.
    package var metric: String {
        switch rule {
        case .dichotomy(let stage, _): return "\(stage.rawValue)_test_error"
        case .gain: return "transfer_gain"
        }
    }

    /// The regime of `cell` under the rule (`true` = positive), or nil when the rule leaves it out.
    package func label(_ cell: SweepPlan.Cell, _ table: SweepTable) -> Bool? {
        classify(table.value(cell, "\(metric)_mean"), config: cell.config)
    }

    /// The regime of a cell of `config` whose ``metric`` has mean `value`: the dichotomy's benign side is an error
    /// ≤ `p_2 + δ`, its harmful side ≥ `p_2 + 0.1` (in between: nil); the gain's positive side `> 0` (0: nil).
    package func classify(_ value: Double, config: ExperimentConfig) -> Bool? {
        guard value.isFinite else { return nil }
        switch rule {
        case .dichotomy(_, let delta):
            if value <= config.flip2 + delta { return true }
            if value >= config.flip2 + 0.1 { return false }
            return nil
        case .gain:
            return value == 0 ? nil : value > 0
        }
    }

    /// Fits the boundary on `table`.
    ///
    /// - Throws: ``SweepError`` when the statistic is unknown or the cells do not show both regimes.
    package func fit(_ table: SweepTable) throws -> LogisticBoundary {
        guard TheoryStatistic.all.contains(where: { $0.name == statistic }) else {
            throw SweepError(
                key: "statistic",
                "unknown statistic '\(statistic)'; known: \(TheoryStatistic.all.map(\.name).joined(separator: ", "))")
        }
        let cells = labelledCells(table)
        return try LogisticBoundary.fit(statistics: cells.map(\.statistic), labels: cells.map(\.positive))
    }
}
