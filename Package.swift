// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "TransferSim",
    products: [
        .library(name: "TransferSim", targets: ["TransferSim"]),
        .executable(name: "transfersim", targets: ["TransferSimCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System library over OpenBLAS's cblas.h and LAPACKE (Debian: libopenblas-dev, liblapacke-dev).
        // The module map links `openblas` and `lapacke` explicitly so reference BLAS is never picked up.
        .systemLibrary(
            name: "CLAPACK",
            pkgConfig: "lapacke",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev", "pkg-config"])]
        ),
        // The layers, each depending only on those below it (docs/architecture.md):
        // Core (the simulation; every hot loop) <- Experiment (configs, theory, the experiment)
        // Core <- Files (atomic files, locks, staged directories, CSV/NPY/JSON, interruption)
        // Experiment, Files <- Sweeps (runs, sweeps, merge, Slurm) <- Analysis (analyses, boundaries, claims,
        // verification) <- Plots (pictures of results) <- CLI; Sweeps <- Bench (the `bench` command's workloads).
        // Core holds every hot loop, among them the project's own SIMD products (SpanPass, PackedGram): the debug
        // build `make test` uses compiles it optimised too, or each SIMD operation is a call (same bits either way:
        // every fused multiply-add is `addingProduct`, rounded once).
        .target(
            name: "TransferSimCore", dependencies: ["CLAPACK"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "TransferSimExperiment", dependencies: ["TransferSimCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "TransferSimFiles", dependencies: ["TransferSimCore"]),
        .target(
            name: "TransferSimSweeps",
            dependencies: ["TransferSimExperiment", "TransferSimFiles", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "TransferSimAnalysis", dependencies: ["TransferSimSweeps", .product(name: "Yams", package: "Yams")]),
        .target(name: "TransferSimPlots", dependencies: ["TransferSimAnalysis"]),
        .target(name: "TransferSimBench", dependencies: ["TransferSimSweeps"]),
        // `import TransferSim` re-exports every layer, for library users.
        .target(
            name: "TransferSim",
            dependencies: [
                "TransferSimCore", "TransferSimExperiment", "TransferSimFiles", "TransferSimSweeps", "TransferSimAnalysis",
                "TransferSimPlots",
            ]),
        .executableTarget(
            name: "TransferSimCLI",
            dependencies: [
                "TransferSim", "TransferSimBench", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The CLI target is a dependency so that `swift test` builds the `transfersim` binary the reliability
        // tests run as a subprocess (kills, locks, signals need a process of their own).
        .testTarget(name: "TransferSimTests", dependencies: ["TransferSim", "TransferSimCLI", "TransferSimBench"]),
    ],
    swiftLanguageModes: [.v6]
)
