import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// The columns of a sweep's `results.csv` (documented in `docs/outputs.md`).
///
/// `cell_id`, every config key of ``ConfigField/all`` (resolved values, so `seed` and `replicate` too),
/// the three `<stage>_status` and `<stage>_converged`, the metrics of ``ExperimentResult/metricNames``, `message` (the error of a
/// cell that threw, else empty), `seconds` (its run's wall time over the run's cells, ``SweepRunner``) and `row_crc32` (the row's ``RowChecksum``, added by ``ResultsFile/encode(_:)``).
package enum ResultColumns {
    /// Header of `results.csv`.
    package static let header =
        ["cell_id"] + ConfigField.all.map(\.key) + ExperimentResult.labelNames
        + ExperimentResult.metricNames + ["message", "seconds", "row_crc32"]

    /// Status written for every stage of a cell whose computation threw.
    package static let errorStatus = "error"

    /// The row of a finished experiment whose config's ``ExperimentConfig/resolvedValues`` are `values`
    /// (``SweepPlan/resolvedValues(of:replicate:)``): every column but `row_crc32`.
    package static func row(cellID: String, values: [String], result: ExperimentResult, seconds: Double) -> [String] {
        [cellID] + values + result.labels.map(\.value)
            + result.metricValues.map(CSV.number) + ["", secondsText(seconds)]
    }

    /// `seconds` with six decimals, as `%.6f` prints it but for exact ties (`seconds · 10⁶` rounded to whole
    /// microseconds, half away from zero: a time, never a result), without Foundation's formatter (~1% of a Kou et al.
    /// sweep, one row per trained cell); beyond `[0, 10¹²)` and not finite, `%.6f` itself.
    static func secondsText(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return String(format: "%.6f", seconds) }
        let microseconds = Int((seconds * 1e6).rounded())
        let fraction = String(microseconds % 1_000_000)
        return "\(microseconds / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// The row of a cell whose computation threw `error`: every column but `row_crc32`.
    package static func errorRow(cellID: String, config: ExperimentConfig, error: Error, seconds: Double) -> [String] {
        let message = "\(error)".replacingOccurrences(of: "\n", with: " ")  // one row per line, always
        let labels = ExperimentResult.labelColumns.map { $0.kind == .status ? errorStatus : "" }
        let metrics = ExperimentResult.metricColumns.map { _ in "" }
        return [cellID] + config.resolvedEntries.map(\.value) + labels + metrics + [
            message, secondsText(seconds),
        ]
    }

    /// The Markdown table of the columns of `results.csv` (docs/outputs.md, `transfersim keys --columns`): the
    /// sweep's own columns and ``ExperimentResult/columns``, whose per-stage columns are listed once as `<stage>_…`.
    package static var markdownTable: String {
        var rows = [
            (
                "`cell_id`",
                "16 hex digits: FNV-1a 64 of every resolved `key=value` of the cell except `seed` and `replicate`; stable when grid values are added or reordered"
            ),
            (
                "every config key",
                "the cell's resolved values (`seed` is the base seed, `replicate` the replicate index: `transfersim run --config DIR/config.resolved.yaml` with the cell's values, `--seed` and `--set replicate=r` reproduces the row)"
            ),
        ]
        for column in ExperimentResult.columns {
            guard let stage = column.stage else {
                rows.append(("`\(column.name)`", column.meaning))
                continue
            }
            guard stage == Stage.allCases[0] else { continue }  // One row per stage column, named for every stage.
            rows.append(("`<stage>_\(column.name.dropFirst(stage.rawValue.count + 1))`", column.meaning))
        }
        rows += [
            (
                "`message`",
                "the error of a cell that threw or did not fit in memory (naming the keys that drive its size), else empty"
            ),
            (
                "`seconds`",
                "wall time of the row: the cells of a unit run together, up to 64 at a time (a Kou-type row's baselines train together, in `SpanBatch`es of 16), and each row gets its run's wall time divided by its cells (upstream models are trained before and not counted)"
            ),
            (
                "`row_crc32`",
                "the row's checksum (results version 5 on): CRC-32 (zlib's `crc32`, IEEE polynomial) of the row's bytes before its last comma, 8 lowercase hex digits. A row that fails it (any changed byte, a hand edit) is computed again on resume, counted missing by `merge` and refused by every analysis and by the Python reader; in Python, `zlib.crc32(line.rpartition(b\",\")[0])` checks a line"
            ),
        ]
        return (["| column | meaning |", "|---|---|"] + rows.map { "| \($0.0) | \($0.1) |" }).joined(separator: "\n")
    }

    /// The kind of every column of `results.csv` as JSON (`python/transfersim/columns.json`, read by the Python reader
    /// to type its tables; a test keeps the two equal): `{"columns": [[name, kind], …]}` in header order, kind one of
    /// `id`, `choice` (a config key with fixed levels), `config` (another config key), `status`, `label`, `metric`,
    /// `text`, `seconds`, `checksum`.
    package static var kindsJSON: String {
        let resultKinds = Dictionary(
            uniqueKeysWithValues: ExperimentResult.columns.map { column -> (String, String) in
                switch column.kind {
                case .status: return (column.name, "status")
                case .label: return (column.name, "label")
                case .metric: return (column.name, "metric")
                }
            })
        let configKinds = Dictionary(
            uniqueKeysWithValues: ConfigField.all.map { ($0.key, $0.choices == nil ? "config" : "choice") })
        let special = [
            "cell_id": "id", "preset": "choice", "message": "text", "seconds": "seconds", "row_crc32": "checksum",
        ]
        let rows = header.map { name in
            "    [\"\(name)\", \"\(special[name] ?? configKinds[name] ?? resultKinds[name] ?? "text")\"]"
        }
        return "{\n  \"columns\": [\n" + rows.joined(separator: ",\n") + "\n  ]\n}\n"
    }

    /// Index of `column` in ``header``.
    package static func index(_ column: String) -> Int {
        guard let index = header.firstIndex(of: column) else { preconditionFailure("no results column \(column)") }
        return index
    }
}
