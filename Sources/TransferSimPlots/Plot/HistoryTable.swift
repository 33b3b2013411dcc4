import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// A run's `history.csv` read by column: for each stage, each requested column's values in step order (NaN for an
/// empty field). Missing columns and ragged lines are one-line errors, never a trap.
struct HistoryTable {
    /// `values[stage][column]`.
    let values: [String: [String: [Double]]]

    /// Reads `directory/history.csv`, keeping `columns`.
    ///
    /// - Throws: ``PlotError`` naming the file for a missing file or column or a malformed line.
    init(directory: URL, columns names: [String]) throws {
        let file = directory.appendingPathComponent("history.csv")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw PlotError(key: file.path, "cannot be read")
        }
        let records = CSV.parse(text)
        guard let header = records.first, let stage = header.firstIndex(of: "stage") else {
            throw PlotError(key: file.path, "has no header with a stage column")
        }
        let columns = try names.map { name in
            guard let index = header.firstIndex(of: name) else {
                throw PlotError(
                    key: file.path,
                    "has no column '\(name)' (written by another version?); rerun it into a new directory")
            }
            return index
        }
        var values: [String: [String: [Double]]] = [:]
        for (line, row) in records.dropFirst().enumerated() {
            guard row.count == header.count else {
                throw PlotError(key: file.path, "line \(line + 2) has \(row.count) fields, the header \(header.count)")
            }
            for (name, column) in zip(names, columns) {
                values[row[stage], default: [:]][name, default: []].append(Double(row[column]) ?? .nan)
            }
        }
        self.values = values
    }

    /// The values of `column` in `stage` (empty when the stage has no rows).
    subscript(stage: String, column: String) -> [Double] { values[stage]?[column] ?? [] }
}
