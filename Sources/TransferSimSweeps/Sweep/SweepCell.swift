import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// One row of a finished (or running) sweep, named by its directory, cell id and replicate: what
/// `transfersim run --from DIR --cell ID --replicate R` reproduces bit for bit (all but `seconds`), with its full
/// history and, with `--export-state`, its state.
public struct SweepCell: Sendable, Equatable {
    /// The sweep directory (holding `config.resolved.yaml`).
    public let directory: String
    /// The cell's `cell_id` (16 hex digits, a column of `results.csv`).
    public let cellID: String
    /// The replicate index `r`.
    public let replicate: Int

    /// A reference; checked by ``config()``.
    public init(directory: String, cellID: String, replicate: Int) {
        self.directory = directory
        self.cellID = cellID
        self.replicate = replicate
    }

    /// The row's config: the cell of the sweep's plan with this id, at this replicate.
    ///
    /// - Throws: ``SweepError`` naming `--cell` or `--replicate` when the sweep has no such cell or replicate, or
    ///   `--from` when its rows were computed under another BLAS identity (``ResultsVersion/blas(_:)``).
    public func config() throws -> ExperimentConfig {
        let file = URL(fileURLWithPath: directory).appendingPathComponent("config.resolved.yaml")
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw SweepError(key: "--from", "'\(directory)' holds no sweep (config.resolved.yaml)")
        }
        let plan = try SweepPlan.load(path: file.path)
        if let recorded = try ResultsVersion.blas(URL(fileURLWithPath: directory)), recorded != BLASIdentity.current {
            throw SweepError(
                key: "--from",
                "'\(directory)' was computed with \(recorded); this process runs \(BLASIdentity.current), which would not reproduce its rows bit for bit; rerun with --blas-kernel \(recorded.kernel)"
            )
        }
        guard let cell = plan.cells.first(where: { $0.id == cellID }) else {
            throw SweepError(
                key: "--cell",
                "'\(cellID)' is not a cell of the sweep in \(directory) (its \(plan.cells.count) cells are the cell_id column of results.csv)"
            )
        }
        guard (0..<plan.spec.replicates).contains(replicate) else {
            throw SweepError(
                key: "--replicate",
                "must be an integer in [0, \(plan.spec.replicates - 1)] for this sweep, got \(replicate)")
        }
        return cell.config(replicate: replicate)
    }
}
