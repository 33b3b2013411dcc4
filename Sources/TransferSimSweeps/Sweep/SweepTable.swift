import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

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

    private init(plan: SweepPlan, values: [String: [String]], columns: [String: Int]) {
        self.plan = plan
        self.values = values
        self.columns = columns
    }

    /// The sub-table over the axes named `axes` (by any of their keys, ``SweepSpec/axisIndex(named:)``, in that order) with every other axis fixed
    /// at the value `fixed` gives it (an axis with one value needs none). Its cells are the sweep's own — a
    /// cell's id is the hash of its resolved config, which the slice reproduces — so every plot of a 1-D or 2-D
    /// sweep draws any slice of a sweep of any dimension.
    ///
    /// - Throws: ``SweepError`` naming `--x`/`--y`/`--series` for an unknown axis, `--where` for an unknown axis
    ///   or value, and the axes left unfixed.
    public func slice(axes names: [(option: String, key: String)], fixed: [String: String]) throws -> SweepTable {
        let axes = plan.spec.axes
        let known = axes.map(\.name).joined(separator: ", ")
        let chosen = try names.map { option, key in
            guard let index = plan.spec.axisIndex(named: key) else {
                throw SweepError(key: option, "'\(key)' is not an axis of this sweep (axes: \(known))")
            }
            return index
        }
        guard Set(chosen).count == chosen.count else {
            throw SweepError(key: names.map(\.option).joined(separator: "/"), "name different axes")
        }
        var fixedOn: [Int: (key: String, value: String)] = [:]
        for key in fixed.keys.sorted() {
            guard let index = plan.spec.axisIndex(named: key) else {
                throw SweepError(key: "--where", "'\(key)' is not an axis of this sweep (axes: \(known))")
            }
            guard !chosen.contains(index) else {
                throw SweepError(key: "--where", "fixes \(key), which is plotted; drop one of them")
            }
            guard fixedOn[index] == nil else { throw SweepError(key: "--where", "fixes the axis of \(key) twice") }
            fixedOn[index] = (key, fixed[key] ?? "")
        }
        var assignments: [ConfigLoader.Entry] = []
        var unfixed: [String] = []
        var settings: [String] = []
        for (index, axis) in axes.enumerated() where !chosen.contains(index) {
            let point: Int
            if let (key, value) = fixedOn[index] {
                guard let found = axis.pointIndex(of: value, key: key) else {
                    throw SweepError(
                        key: "--where",
                        "\(value) is not a value of \(key) (\(axis.values(of: key).joined(separator: ", ")))")
                }
                point = found
            } else if axis.points.count == 1 {
                point = 0
            } else {
                unfixed.append(axis.name)
                continue
            }
            assignments += axis.entries(at: point)
            settings.append("\(axis.name) = \(axis.points[point][0])")
        }
        guard unfixed.isEmpty else {
            throw SweepError(
                key: "--where",
                "fix the axes \(unfixed.joined(separator: ", ")) (e.g. --where \(unfixed[0])=\(axes.first { $0.name == unfixed[0] }!.points[0][0])), or plot them with --x/--y/--series"
            )
        }
        let spec = SweepSpec(axes: chosen.map { axes[$0] }, replicates: plan.spec.replicates)
        let slicePlan = try SweepPlan(baseLayers: plan.baseLayers + [assignments], spec: spec)
        var table = SweepTable(plan: slicePlan, values: values, columns: columns)
        table.fixedSettings = settings
        return table
    }

    /// The fixed axes of a slice as `key = value` (empty for a whole sweep), for titles.
    public private(set) var fixedSettings: [String] = []

    /// `column` of `cell` (NaN when absent or empty).
    public func value(_ cell: SweepPlan.Cell, _ column: String) -> Double {
        guard let index = columns[column], let row = values[cell.id], index < row.count else { return .nan }
        return Double(row[index]) ?? .nan
    }

    /// Whether `summary.csv` has `column`.
    public func has(_ column: String) -> Bool { columns[column] != nil }
}
