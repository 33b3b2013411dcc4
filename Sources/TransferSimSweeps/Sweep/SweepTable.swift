import Foundation
import TransferSimCore
import TransferSimExperiment

/// A finished sweep as plots read it: the plan (axes) from `config.resolved.yaml` and the per-cell
/// means and standard errors from `summary.csv`. Plots never rerun the simulation.
public struct SweepTable: Sendable {
    /// The sweep's plan.
    public let plan: SweepPlan
    private let values: [String: [String]]
    private let columns: [String: Int]

    /// Loads `directory/config.resolved.yaml` and `directory/summary.csv`.
    ///
    /// - Throws: ``SweepError`` if either is missing or malformed.
    public init(directory: URL) throws {
        plan = try SweepPlan.load(path: directory.appendingPathComponent("config.resolved.yaml").path)
        let text: String
        do { text = try String(contentsOf: directory.appendingPathComponent("summary.csv"), encoding: .utf8) } catch {
            throw SweepError(key: directory.path, "has no summary.csv (run or finish the sweep first)")
        }
        let records = CSV.parse(text)
        guard let header = records.first else { throw SweepError(key: directory.path, "summary.csv is empty") }
        columns = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        values = Dictionary(records.dropFirst().map { ($0[0], $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `column` of `cell` (NaN when absent or empty).
    public func value(_ cell: SweepPlan.Cell, _ column: String) -> Double {
        guard let index = columns[column], let row = values[cell.id], index < row.count else { return .nan }
        return Double(row[index]) ?? .nan
    }

    /// Whether `summary.csv` has `column`.
    public func has(_ column: String) -> Bool { columns[column] != nil }
}
