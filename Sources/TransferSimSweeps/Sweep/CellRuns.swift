import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// The single runs behind a dynamics figure: `cell-<k>/` (as `transfersim run` writes them, histories
/// included) for replicate 0 of each cell of a sweep.
package enum CellRuns {
    /// Writes `cell-k/` into `directory` for every cell of `plan` that does not have one yet (each staged,
    /// all-or-nothing).
    ///
    /// - Throws: ``FileError`` for an I/O failure or a directory in use; `LAPACKError` from the evaluator.
    package static func write(_ plan: SweepPlan, into directory: URL) throws {
        for cell in plan.cells {
            let path = directory.appendingPathComponent("cell-\(cell.index)").path
            guard !FileManager.default.fileExists(atPath: path) else { continue }
            let staged = try StagedDirectory(path: path)
            defer { staged.discard() }
            var experiment = TransferExperiment(config: cell.config)
            experiment.historyTestErrors = true
            try RunWriter.write(try experiment.run(), exportState: false, into: staged)
            try staged.commit()
        }
    }
}
