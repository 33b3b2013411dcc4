import Foundation
import TransferSimCore
import TransferSimExperiment

/// The columns of a sweep's `results.csv` (documented in `docs/outputs.md`).
///
/// `cell_id`, every config key of ``ConfigField/all`` (resolved values, so `seed` and `replicate` too),
/// the three `<stage>_status` and `<stage>_converged`, the metrics of ``ExperimentResult/metricNames``, `message` (the error of a
/// cell that threw, else empty), `seconds` (wall time of the row; the row that trained a shared
/// upstream model includes that training) and `row_crc32` (the row's ``RowChecksum``, added by ``ResultsFile/encode(_:)``).
package enum ResultColumns {
    /// Header of `results.csv`.
    public static let header = ["cell_id"] + ConfigField.all.map(\.key) + ExperimentResult.labelNames
        + ExperimentResult.metricNames + ["message", "seconds", "row_crc32"]

    /// Status written for every stage of a cell whose computation threw.
    public static let errorStatus = "error"

    /// The row of a finished experiment whose config's ``ExperimentConfig/resolvedValues`` are `values`
    /// (``SweepPlan/resolvedValues(of:replicate:)``): every column but `row_crc32`.
    public static func row(cellID: String, values: [String], result: ExperimentResult, seconds: Double) -> [String] {
        [cellID] + values + result.labels.map(\.value)
            + result.metricValues.map(CSV.number) + ["", String(format: "%.6f", seconds)]
    }

    /// The row of a cell whose computation threw `error`: every column but `row_crc32`.
    public static func errorRow(cellID: String, config: ExperimentConfig, error: Error, seconds: Double) -> [String] {
        let message = "\(error)".replacingOccurrences(of: "\n", with: " ")   // one row per line, always
        let statuses = ExperimentResult.statusNames.map { _ in errorStatus }
            + ExperimentResult.labelNames.dropFirst(ExperimentResult.statusNames.count).map { _ in "" }
        let metrics = ExperimentResult.metricNames.map { _ in "" }
        return [cellID] + config.resolvedEntries.map(\.value) + statuses + metrics + [message, String(format: "%.6f", seconds)]
    }

    /// Index of `column` in ``header``.
    public static func index(_ column: String) -> Int {
        guard let index = header.firstIndex(of: column) else { preconditionFailure("no results column \(column)") }
        return index
    }
}
