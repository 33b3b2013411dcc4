import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// `transfersim bench`: measured rates of this machine and of the simulator, in one process and run.
///
/// Rows: the BLAS library and kernel in use (``BLASIdentity``); the `dgemm` rate (the floor's unit); the time of one
/// normal draw; the weight-space and span step times at several (N, d, m) with their FLOP counts and fraction of the
/// floor (`floor = FLOPs / dgemm rate`); end-to-end throughput of a Kou et al. grid slice (and, without `quick`, the
/// whole grid's wall time), of `fig2-quick` and (without `quick`) of one full `fig2` row with its FLOP ceiling (the
/// row's upstream span steps, `2 · 2m N₁²` FLOP each, at `threads` × the `dgemm` rate measured around the run, as is
/// the grid's floor: this machine's speed drifts between minutes); the grid's ``FloorBudget`` (its time in and outside
/// the steps, from a second run at `T₂ = 1`); the same workloads in
/// `bench/reference.py` (numpy) and the ratio; the peak resident size. Timing lives here, never in tests.
package struct Benchmark: Sendable {
    /// One measurement.
    package struct Row: Sendable {
        /// What was measured.
        package let name: String
        /// The value.
        package let value: Double
        /// Its unit.
        package let unit: String
        /// Context (sizes, ratios).
        package let note: String
    }

    /// Smaller sizes (seconds).
    package let quick: Bool
    /// Worker threads of the sweep workloads.
    package let threads: Int
    /// Folder of the figure configs.
    package let experiments: String
    /// `bench/reference.py`.
    package let reference: String

    /// A benchmark; see the properties.
    package init(
        quick: Bool, threads: Int, experiments: String = "experiments", reference: String = "bench/reference.py"
    ) {
        self.quick = quick
        self.threads = threads
        self.experiments = experiments
        self.reference = reference
    }

    /// Seconds of wall time of `body`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Runs every measurement; `progress` receives each row as it is measured.
    ///
    /// - Throws: ``ConfigError`` if a workload's config cannot be loaded or its sweep fails.
    package func run(progress: (Row) -> Void = { _ in }) throws -> [Row] {
        var rows: [Row] = []
        func add(_ row: Row) { rows.append(row); progress(row) }
        let blas = BLASIdentity.current
        add(
            Row(
                name: "BLAS kernel \(blas.kernel)", value: 0, unit: "",
                note: "\(blas.library) \(blas.version) (\(blas.build)); --blas-kernel chooses"))
        let rate = dgemmRate(size: quick ? 400 : 1000)
        add(
            Row(
                name: "dgemm", value: rate / 1e9, unit: "GFLOP/s",
                note: "one OpenBLAS thread, square n = \(quick ? 400 : 1000)"))
        let draws = quick ? 1_000_000 : 10_000_000
        add(
            Row(
                name: "normal draws", value: normalSeconds(count: draws) * 1e9, unit: "ns",
                note: "per N(0, 1) draw (ziggurat, the best of 3 fills of \(draws))"))
        let shapes = quick ? [(20, 200, 10), (100, 500, 20)] : [(20, 500, 10), (100, 1000, 20), (300, 800, 10)]
        for (n, d, m) in shapes {
            let steps = quick ? 20 : 100
            let weight = stepSeconds(.weight, n: n, d: d, m: m, steps: steps)
            let span = stepSeconds(.span, n: n, d: d, m: m, steps: steps)
            let flops = 8.0 * Double(m) * Double(n) * Double(d)  // forward and update dgemm: 2 · 2 · (2m) N d
            let floor = flops / rate
            add(
                Row(
                    name: "weight step N=\(n) d=\(d) m=\(m)", value: weight * 1e6, unit: "µs",
                    note: String(format: "%.2f GFLOP/s, %.2f× the dgemm floor", flops / weight / 1e9, weight / floor)))
            add(
                Row(
                    name: "span step N=\(n) d=\(d) m=\(m)", value: span * 1e6, unit: "µs",
                    note: String(
                        format: "%.1f× faster than weight space, %.2f× the weight step's floor", weight / span,
                        span / floor)))
        }
        let kouStep = stepSeconds(.span, n: 20, d: 600, m: 10, steps: 100, kou: true)
        add(
            Row(
                name: "span step N=20 d=600 m=10 kou", value: kouStep * 1e6, unit: "µs",
                note:
                    "kou2023-code's network (biases, κ = 1/2), T = 100, one cell alone (a SpanBatch of one), the best of 5 runs"
            ))
        // The 100 ‖μ‖ cells of a Kou row in one SpanBatch (cell index innermost, no BLAS call per step).
        let batchStep = batchStepSeconds(cells: 100, n: 20, d: 600, m: 10, steps: quick ? 20 : 100)
        let cellStepFlops = 2.0 * 20 * 20 * 20  // P = R G: 2 · 2m · N² per cell
        add(
            Row(
                name: "span batch step per cell (100 cells)", value: batchStep * 1e6, unit: "µs",
                note: String(
                    format:
                        "the same network, ‖μ‖ = 0…9.9, as a sweep row trains them: %.1f× faster than alone, %.1f× its dgemm floor",
                    kouStep / batchStep, batchStep / (cellStepFlops / rate))))
        // Whole rows of the grid (every ‖μ‖ at a few d), so the slice shares draws as the full grid does.
        let kouSlice = quick ? (100, 1, 1) : (100, 10, 1)
        let kouConfig = "\(experiments)/kou2023.yaml"
        let kou = try sweepThroughput(
            name: "kou2023 slice", config: kouConfig, kouSlice: kouSlice, unitSize: quick ? 400 : nil)
        add(kou.row)
        let numpyKou = referenceRun(["kou", String(kouSlice.0), String(kouSlice.1), String(kouSlice.2)])
        if let numpy = numpyKou {
            add(
                Row(
                    name: "numpy kou2023 slice", value: numpy, unit: "trainings/s",
                    note: String(format: "TransferSim is %.1f× faster", kou.rate / numpy)))
        }
        if quick {
            add(
                Row(
                    name: "kou2023 full grid (projected)", value: 100_000 / kou.rate, unit: "s",
                    note: "10⁵ trainings at the slice's rate"))
            add(try budgetRow(kou, name: "kou2023 slice budget", config: kouConfig, kouSlice: kouSlice))
        } else {
            // The whole sweep as `sweep --config experiments/kou2023.yaml` runs it, fixed costs included; its rate per
            // training against numpy's on the slice (the same d values on average, fixed costs amortised over 100×).
            let full = try sweepThroughput(
                name: "kou2023 full grid", config: kouConfig, kouSlice: nil, unitSize: 1000)
            let ratio = numpyKou.map { String(format: ", %.0f× numpy's rate on the slice", full.rate / $0) } ?? ""
            add(
                Row(
                    name: "kou2023 full grid", value: full.seconds, unit: "s",
                    note: String(format: "10⁵ trainings, %.0f trainings/s, %d threads", full.rate, threads) + ratio))
            // The span engine's floor for the grid (``spanFloor(_:)`` per training), at `threads` dgemm rates measured
            // around the run.
            let floor = Self.spanFloor(full.plan.cells[0].config)
            let flops = floor.total * Double(full.plan.cells.count * full.plan.spec.replicates)
            let (floorRatio, unit) = full.floorRatio(flops: flops, threads: threads)
            add(
                Row(
                    name: "kou2023 full grid FLOP floor", value: flops / (unit * Double(threads)), unit: "s",
                    note: String(
                        format:
                            "%.3f TFLOP of span steps and test products at %d × the dgemm rate around the run (%.1f GFLOP/s): the grid runs at %.1f× its floor",
                        flops / 1e12, threads, unit / 1e9, floorRatio)))
            add(try budgetRow(full, name: "kou2023 full grid budget", config: kouConfig, kouSlice: nil))
        }
        let fig2 = try sweepThroughput(name: "fig2-quick", config: "\(experiments)/fig2-quick.yaml", kouSlice: nil)
        add(fig2.row)
        if let numpy = referenceRun(["fig2", "1"]) {
            add(
                Row(
                    name: "numpy fig2-quick", value: numpy, unit: "trainings/s",
                    note: String(format: "TransferSim is %.1f× faster", fig2.rate / numpy)))
        }
        if !quick {
            // One row of the full Fig. 2 (N₁ = 300, T₁ = 1000): its upstream models train as one batch. The fastest of
            // 3 runs: one run is under a second, and this machine's speed drifts between seconds.
            let d = 500
            let row = try sweepThroughput(
                name: "fig2 row d=\(d)", config: "\(experiments)/fig2.yaml", kouSlice: nil, fixedD: d, runs: 3,
                unitSize: 1000)
            add(row.row)
            // The span engine's upstream steps alone cost 2 · 2m N₁² FLOP each (P = R G, §5); at `threads` dgemm rates
            // (measured around each run) they bound the row's throughput, whatever else is made faster.
            let config = row.plan.cells[0].config
            let flops = Double(row.upstreamTrainings * config.steps1) * 4 * Double(config.m * config.n1 * config.n1)
            let (ratio, unit) = row.floorRatio(flops: flops, threads: threads)
            let ceiling = row.rate * row.seconds / (flops / (unit * Double(threads)))
            add(
                Row(
                    name: "fig2 row d=\(d) FLOP ceiling", value: ceiling, unit: "trainings/s",
                    note: String(
                        format:
                            "%.1f GFLOP of upstream span steps at %d × the dgemm rate around the best run (%.1f GFLOP/s): the row runs at %.0f%% of it",
                        flops / 1e9, threads, unit / 1e9, 100 / ratio)))
            if let numpy = referenceRun(["fig2row", String(d)]) {
                add(
                    Row(
                        name: "numpy fig2 row d=\(d)", value: numpy, unit: "trainings/s",
                        note: String(
                            format: "TransferSim is %.1f× faster (at most %.1f× at the FLOP ceiling)", row.rate / numpy,
                            ceiling / numpy)))
            }
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        add(
            Row(
                name: "peak resident size", value: Double(usage.ru_maxrss) / 1024, unit: "MiB",
                note: "whole bench process"))
        return rows
    }

    /// `dgemm` FLOP rate on `size × size` matrices: the best of 5 products after a warm-up.
    func dgemmRate(size: Int) -> Double {
        var generator = Xoshiro256StarStar(seed: 1)
        var a = Matrix(rows: size, cols: size), b = Matrix(rows: size, cols: size)
        generator.fillNormal(&a.storage)
        generator.fillNormal(&b.storage)
        var c = Matrix(rows: size, cols: size)
        BLAS.gemm(a, b, into: &c)
        let best = (0..<5).map { _ in Self.time { BLAS.gemm(a, b, into: &c) } }.min() ?? .infinity
        return 2 * pow(Double(size), 3) / best
    }

    /// Seconds per standard normal draw of ``Xoshiro256StarStar/fillNormal(_:scale:)`` filling `count` values.
    func normalSeconds(count: Int) -> Double {
        var generator = Xoshiro256StarStar(seed: 2)
        var values = [Double](repeating: 0, count: count)
        return (0..<3).map { _ in Self.time { generator.fillNormal(&values) } }.min().map { $0 / Double(count) } ?? .nan
    }

    /// Seconds per gradient-descent step of `engine` (span: its one-off Gram precomputation included), the best of 5
    /// runs: the theory preset's network (no bias, `κ = 1/m`, Gaussian init), or with `kou` that of `kou2023-code`
    /// (biases, `κ = 1/2`, PyTorch's uniform init, isotropic noise).
    func stepSeconds(_ engine: Engine, n: Int, d: Int, m: Int, steps: Int, kou: Bool = false) -> Double {
        let (architecture, sample, initial) = Self.stepProblem(n: n, d: d, m: m, kou: kou)
        let trainer = GradientDescent(architecture: architecture, alignmentDirections: [], engine: engine)
        let schedule = TrainingSchedule(
            stepSize: 0.1, steps: steps, filterCount: architecture.filterCount, logEvery: steps)
        _ = trainer.train(from: initial, on: sample, schedule: schedule)
        let best =
            (0..<5).map { _ in Self.time { _ = trainer.train(from: initial, on: sample, schedule: schedule) } }.min()
            ?? .nan
        return best / Double(steps)
    }

    /// The row of ``FloorBudget`` for `measured` (a Kou et al. workload, `config` and `kouSlice` as measured, its runs
    /// bracketed by `dgemm` measurements): the same workload again with one step per training (`steps2 = 1`, the span
    /// engine, which `T₂ = 100` picks), so that its time splits into the `T₂` steps and everything else. Both runs' times
    /// are taken at the `dgemm` rate measured around `measured`'s (the grid's floor line), so that the split is their
    /// wall times' and a noisy `dgemm` measurement scales it without skewing it.
    ///
    /// - Throws: ``ConfigError`` if the workload's config cannot be loaded or its sweep fails.
    func budgetRow(_ measured: Throughput, name: String, config: String, kouSlice: (Int, Int, Int)?) throws -> Row {
        let once = try sweepThroughput(
            name: name, config: config, kouSlice: kouSlice,
            overrides: [(key: "steps2", value: "1"), (key: "engine", value: "span")])
        let cell = measured.plan.cells[0].config, floor = Self.spanFloor(cell)
        let rate = measured.fastestRunUnit * Double(threads)
        let budget = FloorBudget(
            steps: cell.steps2, stepFlops: floor.step, testFlops: floor.test, full: rate / measured.rate,
            once: rate / once.rate)
        return Row(
            name: name, value: budget.total, unit: "× floor",
            note: String(
                format:
                    "%.1f× in the %d steps (%.1f× their own floor) + %.1f× outside them (the test with its draws and products, the rows, the summary): the same trainings at T₂ = 1 took %.2f s",
                budget.inSteps, cell.steps2, budget.stepsAgainstOwnFloor, budget.outsideSteps, once.seconds))
    }

    /// The span engine's FLOP floor of one training of `config`'s downstream stage: each of its `T₂` steps
    /// `2 · 2m N₂²` (`P = R G`, §5) and its test product `2 · 2m N₂ n_test` (the noise coefficients onto the test points).
    static func spanFloor(_ config: ExperimentConfig) -> (step: Double, test: Double, total: Double) {
        let step = 4 * Double(config.m * config.n2 * config.n2), test = 4 * Double(config.m * config.n2 * config.nTest)
        return (step, test, Double(config.steps2) * step + test)
    }

    /// The network, training set (seed 3) and initial parameters (seed 4) the step measurements train: the theory
    /// preset's (no bias, `κ = 1/m`, Gaussian init, projected noise), or with `kou` that of `kou2023-code` (biases,
    /// `κ = 1/2`, PyTorch's uniform init, isotropic noise).
    static func stepProblem(n: Int, d: Int, m: Int, kou: Bool) -> (Architecture, TaskSample, Parameters) {
        let architecture = Architecture(
            filtersPerClass: m, dimension: d, outputScale: kou ? 0.5 : 1 / Double(m), hasBias: kou)
        let distribution = TaskDistribution(
            task: .two, signals: Signals(uNorm: 1, v1Norm: 1, v2Norm: 1, cosine: 0),
            dimension: d, noiseLevel: 1, flipRate: 0.1, noise: kou ? .isotropic : .projected)
        var generator = Xoshiro256StarStar(seed: 4)
        let initial = (kou ? Initialization.pytorchUniform : .gaussian(sigma0: 0.01)).draw(
            architecture, generator: &generator)
        return (architecture, distribution.sample(count: n, seed: 3), initial)
    }

    /// Seconds per cell per step of `cells` cells of `kou2023-code`'s network (as ``stepSeconds`` with `kou`) that
    /// share `Ξ`, labels and initial filters, with ‖μ‖ = 0, 0.1, …, trained as a sweep row trains them
    /// (``GradientDescent/train(cells:from:schedule:evaluators:shared:)``: ``SpanBatch``es of
    /// ``SpanBatch/cellsPerBatch``); the best of 5 runs, the one-off shared products included.
    func batchStepSeconds(cells: Int, n: Int, d: Int, m: Int, steps: Int) -> Double {
        let (architecture, sample, initial) = Self.stepProblem(n: n, d: d, m: m, kou: true)
        let norm = BLAS.dot(sample.mu, sample.mu).squareRoot()
        let samples = (0..<cells).map { cell in
            TaskSample(
                mu: sample.mu.map { $0 * 0.1 * Double(cell) / norm }, cleanLabels: sample.cleanLabels,
                labels: sample.labels, noise: sample.noise)
        }
        let schedule = TrainingSchedule(
            stepSize: 0.1, steps: steps, filterCount: architecture.filterCount, logEvery: steps)
        let trainer = GradientDescent(architecture: architecture, alignmentDirections: [], engine: .span)
        func run() { _ = trainer.train(cells: samples, from: initial, schedule: schedule) }
        run()
        let best = (0..<5).map { _ in Self.time { run() } }.min() ?? .nan
        return best / Double(steps * cells)
    }

    /// Runs a sweep into a temporary directory and returns its throughput row (trainings per second), from the
    /// fastest of `runs` runs (each into a directory of its own).
    /// With `kouSlice = (μ steps, d steps, replicates)` the grid is replaced by that slice of Kou et al.'s ranges;
    /// with `fixedD` the `d` axis by that one value, with one replicate; `overrides` are set on every cell (a layer
    /// after the file's). With `unitSize` each run is bracketed by two
    /// ``dgemmRate(size:)`` measurements (``Throughput/runs``).
    func sweepThroughput(
        name: String, config: String, kouSlice: (Int, Int, Int)?, fixedD: Int? = nil,
        overrides: [ConfigLoader.Entry] = [], runs: Int = 1, unitSize: Int? = nil
    ) throws -> Throughput {
        var plan = try SweepPlan.load(path: config)
        if !overrides.isEmpty { plan = try SweepPlan(baseLayers: plan.baseLayers + [overrides], spec: plan.spec) }
        if let fixedD {
            let axes = plan.spec.axes.map {
                $0.keys == ["d"] ? SweepSpec.Axis(keys: ["d"], points: [[String(fixedD)]], zipped: false) : $0
            }
            plan = try SweepPlan(baseLayers: plan.baseLayers, spec: SweepSpec(axes: axes, replicates: 1))
        }
        if let (muSteps, dSteps, replicates) = kouSlice {
            // Evenly spread indices of Kou et al.'s grid: ‖μ‖ = 0.1 s, d = 100 + 10 t, s, t ∈ 0..99.
            let picks = { (count: Int) in
                (0..<count).map { Int((Double($0) * 99 / Double(max(count - 1, 1))).rounded()) }
            }
            let spec = SweepSpec(
                axes: [
                    SweepSpec.Axis(
                        keys: ["mu2_norm"], points: picks(muSteps).map { [SweepSpec.format(0.1 * Double($0))] },
                        zipped: false),
                    SweepSpec.Axis(keys: ["d"], points: picks(dSteps).map { [String(100 + 10 * $0)] }, zipped: false),
                ], replicates: replicates)
            plan = try SweepPlan(baseLayers: plan.baseLayers, spec: spec)
        }
        var upstreamTrainings = 0
        // With `unitSize`, each run is bracketed by `dgemm` measurements: this machine's speed drifts between minutes,
        // so a run's floor is taken at the rate of its own moment (the mean of the two), not the table's first line.
        let measured = try (0..<max(runs, 1)).map { _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "transfersim-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let before = unitSize.map(dgemmRate(size:))
            let seconds = try Self.time {
                upstreamTrainings = try SweepRunner(plan: plan, directory: directory.path, threads: threads).run()
                    .upstreamTrainings
            }
            let after = unitSize.map(dgemmRate(size:))
            let unit = before.flatMap { first in after.map { (first + $0) / 2 } }
            return (seconds: seconds, unit: unit)
        }
        let seconds = measured.map(\.seconds).min() ?? .nan
        let trainings =
            plan.cells.reduce(0) { $0 + ($1.config.needsUpstream ? 2 : 1) } * plan.spec.replicates + upstreamTrainings
        let rate = Double(trainings) / seconds
        return Throughput(
            row: Row(
                name: name, value: rate, unit: "trainings/s",
                note: String(
                    format: "%d trainings (%d cells × %d replicates) in %.2f s, %d threads", trainings,
                    plan.cells.count, plan.spec.replicates, seconds, threads)),
            rate: rate, seconds: seconds, plan: plan, upstreamTrainings: upstreamTrainings,
            runs: measured.compactMap { run in run.unit.map { (seconds: run.seconds, unit: $0) } })
    }

    /// A sweep workload's measurement: its table row, trainings per second, wall seconds, the plan it ran and how
    /// many upstream models it trained.
    struct Throughput {
        let row: Row
        let rate: Double
        let seconds: Double
        let plan: SweepPlan
        let upstreamTrainings: Int
        /// Each run's wall seconds and the `dgemm` rate measured around it (with `unitSize`; else empty).
        let runs: [(seconds: Double, unit: Double)]

        /// The `dgemm` rate measured around the fastest run (the one ``seconds`` and ``rate`` report; NaN without
        /// ``runs``).
        var fastestRunUnit: Double { runs.min { $0.seconds < $1.seconds }?.unit ?? .nan }

        /// The smallest ratio of a run's time to `flops` at `threads` × its own `dgemm` rate, and that rate.
        func floorRatio(flops: Double, threads: Int) -> (ratio: Double, unit: Double) {
            runs.map { (ratio: $0.seconds / (flops / ($0.unit * Double(threads))), unit: $0.unit) }
                .min { $0.ratio < $1.ratio } ?? (.nan, .nan)
        }
    }

    /// Trainings per second of `bench/reference.py` with `arguments`, or nil when python3/numpy is unavailable.
    func referenceRun(_ arguments: [String]) -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", reference] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let trainings = object["trainings"] as? Double ?? (object["trainings"] as? Int).map(Double.init),
            let seconds = object["seconds"] as? Double, seconds > 0
        else { return nil }
        return trainings / seconds
    }
}
