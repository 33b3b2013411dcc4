// The umbrella module: `import TransferSim` brings every layer of the library (see docs/architecture.md).
@_exported import TransferSimAnalysis
@_exported import TransferSimCore
@_exported import TransferSimExperiment
@_exported import TransferSimFiles
@_exported import TransferSimPlots
@_exported import TransferSimSweeps
