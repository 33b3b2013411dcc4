import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// Whether a sweep's stages reached their target loss (docs/model.md §12), for every report that judges or draws the sweep
/// (`verify --claims`, `figure`): the theorems speak of models trained to a training loss `≤ ε`, so a report says
/// whether its models got there.
package enum TargetLossReport {
    /// The columns ``describe(_:)`` reads (``SweepRows/init(directory:columns:)`` needs no others).
    package static let columns = Stage.allCases.map { "\($0.rawValue)_converged" }

    /// One line: for each stage with a target, how many of its trained rows reached it (from the `<stage>_converged`
    /// column of `results.csv`), or `fixed step counts (no target loss)` when no row had one.
    package static func describe(_ rows: SweepRows) -> String {
        var parts: [String] = []
        for (stage, column) in zip(Stage.allCases, columns) {
            var reached = 0, targeted = 0
            for cell in rows.plan.cells {
                for label in rows.labels(column, cell: cell.index).values where !label.isEmpty {
                    targeted += 1
                    if label == "true" { reached += 1 }
                }
            }
            if targeted > 0 { parts.append("\(stage.rawValue) \(reached) of \(targeted) rows") }
        }
        return parts.isEmpty
            ? "fixed step counts (no target loss)" : "reached the target loss: " + parts.joined(separator: ", ")
    }
}
