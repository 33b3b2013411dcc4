import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// `transfersim run` as a library call: resolve the config, run the experiment, write the results.
///
/// Validation happens before any computation and the output directory is staged
/// (``StagedDirectory``), so a bad input or a failure leaves nothing behind.
public struct RunJob: Sendable {
    /// Config file (YAML or JSON), if any.
    public var configPath: String?
    /// `key=value` overrides, applied after the file.
    public var overrides: [String]
    /// Seed override.
    public var seed: UInt64?
    /// Output directory.
    public var output: String
    /// Also write the `.npy` state files.
    public var exportState: Bool
    /// Replace an existing output directory of a run (``StagedDirectory``).
    public var force: Bool
    /// Bytes the run may use (`--max-memory`); `nil`: the memory available (``MemoryEstimate/available(limit:)``).
    public var memoryLimit: Double?
    /// A sweep row to reproduce (`run --from DIR --cell ID --replicate R`) instead of a config.
    public var sweepCell: SweepCell?

    /// A job; see the properties.
    public init(
        configPath: String?, overrides: [String] = [], seed: UInt64? = nil, output: String,
        exportState: Bool = false, force: Bool = false, memoryLimit: Double? = nil
    ) {
        self.configPath = configPath
        self.overrides = overrides
        self.seed = seed
        self.output = output
        self.exportState = exportState
        self.force = force
        self.memoryLimit = memoryLimit
    }

    /// The resolved, validated config: the sweep row's (``sweepCell``), or file, then overrides, then the seed. A
    /// sweep config file is accepted when the overrides fix every swept key (``ConfigLoader/readRunLayer(path:given:)``).
    ///
    /// - Throws: ``ConfigError`` naming the key; ``SweepError`` for an unknown cell.
    public func resolveConfig() throws -> ExperimentConfig {
        if let sweepCell {
            guard configPath == nil, overrides.isEmpty, seed == nil else {
                throw ConfigError(
                    key: "--from",
                    "reproduces a sweep row as it was computed: --config, --set and --seed cannot be combined with it")
            }
            return try sweepCell.config()
        }
        let commandLine = try ConfigLoader.commandLineLayer(overrides: overrides, seed: seed)
        var layers: [[ConfigLoader.Entry]] = []
        if let configPath {
            layers.append(try ConfigLoader.readRunLayer(path: configPath, given: Set(commandLine.map(\.key))))
        }
        layers.append(commandLine)
        return try ConfigLoader.resolve(layers)
    }

    /// Runs the job and returns the result and the directory it was written to.
    ///
    /// - Throws: ``ConfigError`` for bad input or a job whose ``MemoryEstimate`` exceeds the memory available;
    ///   ``FileError`` for a directory in use, not replaceable, or I/O; `LAPACKError` from the evaluator.
    public func execute() throws -> (result: ExperimentResult, directory: String) {
        let config = try resolveConfig()
        try MemoryEstimate(config, exportState: exportState).check(limit: MemoryEstimate.available(limit: memoryLimit))
        let directory = try StagedDirectory(path: output, replaceable: force ? { RunOutput.holds($0) } : nil)
        defer { directory.discard() }
        var experiment = TransferExperiment(config: config)
        experiment.historyTestErrors = true
        let result = try experiment.run()
        try RunWriter.write(result, exportState: exportState, into: directory)
        try directory.commit()
        return (result, directory.destination.path)
    }
}
