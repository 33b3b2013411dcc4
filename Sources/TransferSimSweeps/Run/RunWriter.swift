import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// Writes the files of `transfersim run` (documented in `docs/outputs.md`).
///
/// - `config.resolved.yaml`: ``ExperimentConfig/resolvedYAML``;
/// - `results_version` and `blas`: the computation that wrote the files (``ResultsVersion/files``);
/// - `summary.json`: seed, the three `<stage>_status`, then ``ExperimentResult/metrics``;
/// - `history.csv`: `stage` then ``HistoryRecord/columns``, one row per logged step of each stage;
/// - with `exportState`, NumPy files: `upstream_X.npy` `(N_1, 2, d)` (patch 0 = `ŷμ`, patch 1 = `ξ`),
///   `upstream_y.npy` `(N_1,)` observed labels, `upstream_y_clean.npy`, the same for `downstream_`,
///   `<stage>_W0.npy` / `<stage>_WT.npy` `(2, m, d)` (index 0 = class `+1`), `<stage>_b0.npy` /
///   `<stage>_bT.npy` `(2, m)` with biases, and `transfer_inherited_W.npy` `(2, m, d)` / `transfer_inherited_b.npy`
///   `(2, m)`: 1 where the parameter was inherited.
package enum RunWriter {
    /// The contents of `summary.json`.
    package static func summary(_ result: ExperimentResult) -> FlatJSON {
        var json = FlatJSON()
        json.entries.append(("seed", .integer(result.config.seed)))
        for (key, value) in result.labels { json.entries.append((key, value.isEmpty ? .number(.nan) : .string(value))) }
        for (key, value) in result.metrics { json.entries.append((key, .number(value))) }
        return json
    }

    /// The contents of `history.csv`.
    ///
    /// A sweep's kept history (`keep_history: true`) has `leading` columns first (`cell_id`, `replicate`) and the
    /// transfer and baseline stages only (the upstream model is shared between cells and may come from the cache).
    package static func history(
        _ result: ExperimentResult, stages: [Stage] = Stage.allCases,
        leading: [(column: String, value: String)] = []
    ) -> String {
        var text = CSV.line(leading.map(\.column) + ["stage"] + HistoryRecord.columns)
        for stage in stages {
            for record in result.outcome(stage).training?.history ?? [] {
                text += CSV.line(
                    leading.map(\.value) + [stage.rawValue]
                        + record.values.enumerated().map { index, value in
                            index == 0 ? String(record.step) : CSV.number(value)
                        })
            }
        }
        return text
    }

    /// The `.npy` files of `--export-state`, by file name.
    package static func stateFiles(_ result: ExperimentResult) -> [(name: String, data: Data)] {
        let architecture = result.config.architecture
        let m = architecture.filtersPerClass
        let d = architecture.dimension
        var files: [(String, Data)] = []
        func addSample(_ prefix: String, _ sample: TaskSample) {
            var inputs: [Double] = []
            inputs.reserveCapacity(sample.count * 2 * d)
            for i in 0..<sample.count {
                inputs += sample.mu.map { sample.cleanLabels[i] * $0 }
                inputs += sample.noise.row(i)
            }
            files.append(("\(prefix)_X.npy", NPYFile.encode(inputs, shape: [sample.count, 2, d])))
            files.append(("\(prefix)_y.npy", NPYFile.encode(sample.labels, shape: [sample.count])))
            files.append(("\(prefix)_y_clean.npy", NPYFile.encode(sample.cleanLabels, shape: [sample.count])))
        }
        if let upstream = result.upstreamSample { addSample("upstream", upstream) }
        addSample("downstream", result.downstreamSample)
        for stage in Stage.allCases {
            guard let training = result.outcome(stage).training else { continue }
            for (suffix, parameters) in [("0", training.initial), ("T", training.final)] {
                files.append(
                    ("\(stage.rawValue)_W\(suffix).npy", NPYFile.encode(parameters.weights.storage, shape: [2, m, d])))
                if architecture.hasBias {
                    files.append(
                        ("\(stage.rawValue)_b\(suffix).npy", NPYFile.encode(parameters.biases, shape: [2, m])))
                }
            }
        }
        // What an independent implementation needs to retrain the recipe (docs/model.md §11).
        if let transfer = result.transfer.training {
            if let a0 = transfer.initial.head, let aT = transfer.finalModel.head {
                files.append(("transfer_a0.npy", NPYFile.encode(a0, shape: [2, m])))
                files.append(("transfer_aT.npy", NPYFile.encode(aT, shape: [2, m])))
            }
            if let adapters = transfer.adapters {
                let r = adapters.initial.rank
                for (suffix, adapter) in [("0", adapters.initial), ("T", adapters.final)] {
                    files.append(("transfer_lora_A\(suffix).npy", NPYFile.encode(adapter.a.storage, shape: [2, r, d])))
                    files.append(("transfer_lora_B\(suffix).npy", NPYFile.encode(adapter.b.storage, shape: [2, m, r])))
                }
            }
        }
        if let logits = result.teacherLogits {
            files.append(("transfer_teacher_logits.npy", NPYFile.encode(logits, shape: [logits.count])))
        }
        if let mask = result.mask {
            files.append(
                ("transfer_inherited_W.npy", NPYFile.encode(mask.weights.map { $0 ? 1 : 0 }, shape: [2, m, d])))
            if architecture.hasBias {
                files.append(
                    ("transfer_inherited_b.npy", NPYFile.encode(mask.biases.map { $0 ? 1 : 0 }, shape: [2, m])))
            }
        }
        return files
    }

    /// Writes every file into `directory` (staged; the caller commits).
    package static func write(_ result: ExperimentResult, exportState: Bool, into directory: StagedDirectory) throws {
        try directory.write(result.config.resolvedYAML, to: "config.resolved.yaml")
        for file in ResultsVersion.files { try directory.write(file.text, to: file.name) }
        try directory.write(summary(result).text, to: "summary.json")
        try directory.write(history(result), to: "history.csv")
        if exportState {
            for (name, data) in stateFiles(result) { try directory.write(data, to: name) }
        }
    }
}
