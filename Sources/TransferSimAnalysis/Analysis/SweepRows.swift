import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The rows of a sweep directory by cell and replicate, for the paired analyses (``Contrast``, ``BestValue``,
/// ``SweepDiff``): with common random numbers, replicate `r` of every cell shares its data, initialisation and
/// test draws, so differences between cells are paired by `r`.
package struct SweepRows: Sendable {
    /// The sweep's plan (`config.resolved.yaml`).
    package let plan: SweepPlan
    /// `rows[cell.index]`: the kept columns of the cell's rows, replicates ascending.
    private let rows: [[[String]]]
    /// Where each kept column lies in a row of ``rows``.
    private let slots: [String: Int]
    /// The (cell, replicate) rows present.
    package let present: Int
    /// The rows the plan holds: cells × replicates.
    package var expected: Int { plan.cells.count * plan.spec.replicates }
    /// `partial: N of M rows` when rows are missing (read with `partial: true`), else nil: every output of an
    /// analysis of such a sweep says so.
    package var coverage: String? { present < expected ? "partial: \(present) of \(expected) rows" : nil }

    /// Reads `directory/config.resolved.yaml` and, of `results.csv`, `replicate` and `columns` (every column when nil:
    /// a caller that needs a few columns of a large sweep holds only those).
    ///
    /// An unfinished sweep (rows missing: interrupted, or one shard) is refused unless `partial`, naming how many rows
    /// of how many are present; an analysis never computes on part of a sweep without saying so (``coverage``).
    ///
    /// - Throws: ``SweepError`` when either is missing or of another results version, a row fails its checksum, or
    ///   (without `partial`) rows are missing; ``FileError`` for a foreign file.
    package init(directory: URL, columns: [String]? = nil, partial: Bool = false) throws {
        let config = directory.appendingPathComponent("config.resolved.yaml")
        guard FileManager.default.fileExists(atPath: config.path) else {
            throw SweepError(key: directory.path, "holds no sweep (config.resolved.yaml)")
        }
        plan = try SweepPlan.load(path: config.path)
        try ResultsVersion.check(directory, key: directory.path)
        let index = try ResultsIndex(files: [directory.appendingPathComponent("results.csv")])
        if let first = index.corrupt.first {
            throw SweepError(
                key: first,
                "a row of results.csv fails its checksum (row_crc32) or does not parse, \(index.corrupt.count) in all: it changed after TransferSim wrote it; rerun the sweep's command on \(directory.path) to compute it again"
            )
        }
        let kept = ["replicate"] + (columns ?? ResultColumns.header)
        let positions = kept.map(ResultColumns.index)
        slots = Dictionary(kept.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let parsed = (positions.max() ?? 0) + 1  // Fields past the last kept one are not decoded.
        let replicates = plan.spec.replicates
        rows = try plan.cells.map { cell in
            // The index checked every row's field count, so every position exists.
            try index.lines(of: cell.id, replicates: replicates).compactMap { line in
                CSV.parse(line + "\n", keep: parsed).first.map { fields in positions.map { fields[$0] } }
            }
        }
        present = rows.reduce(0) { $0 + $1.count }
        guard partial || present == plan.cells.count * replicates else {
            throw SweepError(
                key: directory.path,
                "holds \(present) of \(plan.cells.count * replicates) rows (an unfinished sweep or one shard): rerun its command to finish it (or merge its shards), or pass --partial to analyse the rows present"
            )
        }
    }

    /// Checks that `metric` is a numeric column of `results.csv`.
    ///
    /// - Throws: ``SweepError`` (key `--metric`) listing the metrics.
    package static func checkMetric(_ metric: String) throws {
        guard ExperimentResult.metricNames.contains(metric) else {
            throw SweepError(
                key: "--metric",
                "must be a metric column of results.csv (\(ExperimentResult.metricNames.joined(separator: ", "))), got '\(metric)'"
            )
        }
    }

    /// `metric` of each replicate of cell `index` (NaN where empty: a diverged or failed stage).
    package func values(_ metric: String, cell index: Int) -> [Int: Double] {
        labels(metric, cell: index).mapValues { Double($0) ?? .nan }
    }

    /// Mean, standard error and count of `metric` over the replicates of cell `index`, summed in replicate order (as
    /// `summary.csv` sums them: the same bits; a dictionary's order would change the last bits from run to run).
    package func statistics(_ metric: String, cell index: Int) -> (mean: Double, se: Double, n: Int) {
        SweepSummary.statistics(values(metric, cell: index).sorted { $0.key < $1.key }.map(\.value))
    }

    /// The text column `column` (e.g. `transfer_converged`) of each replicate of cell `index`.
    package func labels(_ column: String, cell index: Int) -> [Int: String] {
        guard let position = slots[column], let replicate = slots["replicate"] else {
            preconditionFailure("SweepRows: column \(column) was not read")
        }
        var labels: [Int: String] = [:]
        for row in rows[index] {
            guard let r = Int(row[replicate]) else { continue }
            labels[r] = row[position]
        }
        return labels
    }

    /// The paired comparison `B − A` over the replicates both cells have (``PairedComparison``).
    package func paired(_ metric: String, a: Int, b: Int) -> PairedComparison {
        let left = values(metric, cell: a), right = values(metric, cell: b)
        let replicates = left.keys.filter { right[$0] != nil }.sorted()
        return PairedComparison(replicates.map { left[$0]! }, replicates.map { right[$0]! })
    }

    /// The index of the axis that `key` names: its only key, or any key of the zip axis (``SweepSpec/axisIndex(named:)``).
    ///
    /// - Throws: ``SweepError`` naming `option` when `key` names no axis.
    package func axis(of key: String, option: String) throws -> Int {
        guard let axis = plan.spec.axisIndex(named: key) else {
            let swept = plan.spec.axes.map { $0.keys.joined(separator: "+") }.joined(separator: ", ")
            throw SweepError(key: option, "'\(key)' is not an axis of this sweep (axes: \(swept))")
        }
        return axis
    }

    /// The point index of `value` of the key `key` on `axis` (numbers compared as numbers).
    ///
    /// - Throws: ``SweepError`` naming `option` and the axis's values.
    package func point(_ value: String, of key: String, on axis: Int, option: String) throws -> Int {
        let spec = plan.spec.axes[axis]
        guard let index = spec.pointIndex(of: value, key: key) else {
            throw SweepError(
                key: option,
                "\(value) is not a value of \(spec.keys[spec.position(of: key)]) (\(spec.values(of: key).joined(separator: ", ")))"
            )
        }
        return index
    }

    /// The axis of `key` and the points of its values `a` and `b`, which must differ: the pair a paired comparison
    /// contrasts (``Contrast``, ``MeanTable``'s `--vary`, the contrast plot).
    ///
    /// - Throws: ``SweepError`` naming `option` for an unknown axis or value, or `a` = `b`.
    package func contrastPoints(
        _ key: String, _ a: String, _ b: String, option: String
    ) throws -> (axis: Int, a: Int, b: Int) {
        let axis = try self.axis(of: key, option: option)
        let (pointA, pointB) = (
            try point(a, of: key, on: axis, option: option), try point(b, of: key, on: axis, option: option)
        )
        guard pointA != pointB else {
            throw SweepError(key: option, "needs two different values of \(key), got \(a) twice")
        }
        return (axis, pointA, pointB)
    }

    /// The point each `--where KEY=VALUE` fixes, by axis index.
    ///
    /// - Throws: ``SweepError`` (key `--where`) for an unknown axis or value.
    package func pins(_ fixed: [String: String]) throws -> [Int: Int] {
        var pins: [Int: Int] = [:]
        for key in fixed.keys.sorted() {
            let axis = try axis(of: key, option: "--where")
            pins[axis] = try point(fixed[key] ?? "", of: key, on: axis, option: "--where")
        }
        return pins
    }

    /// Refuses `named` axes that repeat (key `option`), and axes with several values that are not named (key
    /// `--where`, suggesting a value and `alternative`).
    ///
    /// - Throws: ``SweepError`` as described.
    package func requireEveryAxis(named: [Int], option: String, alternative: String) throws {
        guard Set(named).count == named.count else {
            throw SweepError(key: option, "\(option), --where and the other axis options must name different axes")
        }
        let axes = plan.spec.axes
        let loose = axes.indices.filter { !named.contains($0) && axes[$0].points.count > 1 }
        guard let first = loose.first.map({ axes[$0] }) else { return }
        throw SweepError(
            key: "--where",
            "fix the axes \(loose.map { axes[$0].name }.joined(separator: ", ")) (e.g. --where \(first.name)=\(first.points[0][0])), or \(alternative)"
        )
    }

    /// The canonical index of the cell at `coordinates` (one point index per axis).
    package func cellIndex(_ coordinates: [Int]) -> Int {
        zip(coordinates, plan.spec.axes).reduce(0) { $0 * $1.1.points.count + $1.0 }
    }

    /// `key=value` of every axis but `excluded`, at `coordinates`.
    package func label(_ coordinates: [Int], excluding excluded: Set<Int>) -> [(key: String, value: String)] {
        plan.spec.axes.indices.filter { !excluded.contains($0) }.flatMap { axis in
            zip(plan.spec.axes[axis].keys, plan.spec.axes[axis].points[coordinates[axis]]).map { ($0, $1) }
        }
    }
}
