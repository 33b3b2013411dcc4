import Foundation
import Testing

@testable import TransferSimCore

@Suite struct SpanBatchTests {
    /// Cells of a Kou-type row: one `Ξ`, labels and initial filters; `μ = ‖μ‖ · û` with the cell's norm.
    struct Row {
        let architecture: Architecture
        let initial: Parameters
        let samples: [TaskSample]
        let directions: [[(Int, Double)]]

        init(seed: UInt64, norms: [Double], d: Int = 30, n: Int = 12, m: Int = 4) {
            var generator = Xoshiro256StarStar(seed: seed)
            architecture = Architecture(filtersPerClass: m, dimension: d, outputScale: 0.5, hasBias: true)
            initial = Parameters(
                weights: Matrix(rows: 2 * m, cols: d, storage: generator.normals(count: 2 * m * d, scale: 0.1)),
                biases: generator.normals(count: 2 * m, scale: 0.1))
            let noise = Matrix(rows: n, cols: d, storage: generator.normals(count: n * d))
            let clean = (0..<n).map { _ in generator.next() % 2 == 0 ? 1.0 : -1.0 }
            let labels = clean.map { generator.next() % 5 == 0 ? -$0 : $0 }
            var direction = generator.normals(count: d)
            let length = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            direction = direction.map { $0 / length }
            samples = norms.map { norm in
                TaskSample(mu: direction.map { $0 * norm }, cleanLabels: clean, labels: labels, noise: noise)
            }
            directions = [[(0, 1)], [(1, 0.6), (2, 0.8)], [(d - 1, 1), (d + 3, 1)]]
        }

        func batch(_ cells: [Int], _ schedule: TrainingSchedule) -> [TrainingResult] {
            SpanBatch(
                architecture: architecture, initial: initial, samples: cells.map { samples[$0] }, schedule: schedule,
                alignmentDirections: directions
            ).train()
        }

        /// `cell` trained by ``TrainingRun`` over ``SpanState`` (one model at a time, as before ``SpanBatch`` existed).
        func blas(_ cell: Int, _ schedule: TrainingSchedule) -> TrainingResult {
            var run = TrainingRun(
                state: SpanState(architecture: architecture, sample: samples[cell], initial: initial),
                architecture: architecture, alignmentDirections: directions, initial: initial, sample: samples[cell],
                schedule: schedule)
            while true {
                run.state.forward(into: &run.forward)
                if let result = run.advance() { return result }
            }
        }
    }

    static let norms = [0, 0.3, 1, 2.5, 4, 7.5, 1e60]

    /// Plain; frozen rows with `λ`; a target loss; distillation (12 samples); each logging every 7 steps.
    static func schedules(rows: Int) -> [TrainingSchedule] {
        let plain = TrainingSchedule(stepSize: 0.3, steps: 60, filterCount: rows, logEvery: 7)
        let frozen = TrainingSchedule(
            stepSize: 0.3, steps: 60, rowStepScales: (0..<rows).map { $0 % 3 == 0 ? 0.5 : 1 },
            frozenRows: (0..<rows).map { $0 % 2 == 0 }, freezeSteps: 25, logEvery: 7)
        var target = plain
        target.targetLoss = 0.45
        var distilled = plain
        distilled.distillation = Distillation(
            teacherLogits: (0..<12).map { sin(Double($0)) * 3 }, weight: 0.4, temperature: 2)
        return [plain, frozen, target, distilled]
    }

    /// Every number of a result (NaN, e.g. an unlogged test error, as −12345 so that two NaNs compare equal).
    static func values(_ result: TrainingResult) -> [Double] {
        values(result, history: true)
    }

    /// ``values(_:)``, without the history's unless `history`.
    static func values(_ result: TrainingResult, history: Bool) -> [Double] {
        let all =
            result.final.weights.storage + result.final.biases + result.decomposition.gamma
            + result.decomposition.rho.storage + (history ? result.history.flatMap(\.values) : [])
            + [result.trainLoss, result.trainError, Double(result.steps), result.signalNoiseRatio, result.rhoBarMax]
            + (result.span.map { $0.muCoefficients + $0.noiseCoefficients.storage } ?? [])
        return all.map { $0.isNaN ? -12345 : $0 }
    }

    @Test(
        "each cell of a batch equals TrainingRun over SpanState (one model at a time) to rounding: filters, decomposition, log, loss, steps; a diverging cell stops at the same step"
    )
    func batch_matchesSpanEngine() throws {
        for seed in 1...3 as ClosedRange<UInt64> {
            let row = Row(seed: seed, norms: Self.norms)
            for (index, schedule) in Self.schedules(rows: row.architecture.filterCount).enumerated() {
                let batch = row.batch(Array(Self.norms.indices), schedule)
                for cell in Self.norms.indices {
                    let reference = row.blas(cell, schedule), result = batch[cell]
                    let label = "seed \(seed) schedule \(index) cell \(cell)"
                    #expect(result.status == reference.status, "\(label)")
                    #expect(result.steps == reference.steps, "\(label)")
                    #expect(result.converged == reference.converged, "\(label)")
                    #expect(result.history.map(\.step) == reference.history.map(\.step), "\(label)")
                    guard reference.status == .ok else { continue }
                    let (a, b) = (Self.values(result), Self.values(reference))
                    #expect(a.count == b.count && EngineTests.relative(a, b) < 1e-10, "\(label)")
                    #expect(
                        result.decomposition.rho.storage.contains { $0 != 0 } && result.history.count >= 2,
                        "\(label): the run moved and logged (agreement of two idle runs could not fail)")
                }
                #expect(batch[Self.norms.count - 1].status == .diverged, "‖μ‖ = 1e60 diverges")
            }
            let target = Self.schedules(rows: row.architecture.filterCount)[2]
            #expect(row.batch([2], target)[0].converged == true, "the target loss is reached by some cell")
        }
    }

    @Test(
        "a schedule that records no history trains every cell to the same bits and keeps only the last record (SpanBatch and TrainingRun over SpanState)"
    )
    func recordsHistoryOff_keepsOnlyTheLastRecord() throws {
        let row = Row(seed: 4, norms: Self.norms)
        let cells = Array(Self.norms.indices)
        for schedule in Self.schedules(rows: row.architecture.filterCount) {
            var quiet = schedule
            quiet.recordsHistory = false
            let (full, last) = (row.batch(cells, schedule), row.batch(cells, quiet))
            for cell in cells {
                for (logged, unlogged) in [(full[cell], last[cell]), (row.blas(cell, schedule), row.blas(cell, quiet))]
                {
                    let final = try #require(logged.history.last)
                    #expect(logged.history.count >= 2 || logged.status == .diverged, "cell \(cell): steps were logged")
                    #expect(unlogged.history.map { $0.values.map(\.bitPattern) } == [final.values.map(\.bitPattern)])
                    #expect(
                        Self.values(unlogged, history: false).map(\.bitPattern)
                            == Self.values(logged, history: false).map(\.bitPattern), "cell \(cell)")
                }
            }
        }
    }

    @Test(
        "a cell's bits depend on nothing but the cell: alone, in the whole batch, reversed, beside other cells, or through GradientDescent (in batches of 16)"
    )
    func cellBits_independentOfBatch() throws {
        let row = Row(seed: 9, norms: Self.norms + [0.7, 3.3, 5, 9.9] + (0..<30).map { 0.3 * Double($0) })
        let all = Array(row.samples.indices)
        for schedule in Self.schedules(rows: row.architecture.filterCount) {
            func trained(_ cells: [Int]) -> [Int: [Double]] {
                Dictionary(zip(cells, row.batch(cells, schedule).map(Self.values))) { first, _ in first }
            }
            let reference = trained(all)
            let layouts = [
                all.reversed(), [3], [5, 1], Array(all.dropFirst(2)) + [0, 1], [2, 2, 4, 8, 9, 10, 6, 0],
                Array(all.prefix(33)), Array(all.suffix(9)),
            ]
            for layout in layouts {
                for (cell, value) in trained(Array(layout)) {
                    let expected = try #require(reference[cell])
                    #expect(
                        value.map(\.bitPattern) == expected.map(\.bitPattern), "cell \(cell) in \(layout.count) cells")
                }
            }
            let trainer = GradientDescent(
                architecture: row.architecture, alignmentDirections: row.directions, engine: .span)
            for cell in [0, 4, 17] {
                let alone = trainer.train(from: row.initial, on: row.samples[cell], schedule: schedule)
                #expect(Self.values(alone).map(\.bitPattern) == reference[cell]?.map(\.bitPattern), "cell \(cell)")
            }
            // Through train(cells:) with every cell: more than SpanBatch.cellsPerBatch, so in several batches.
            #expect(row.samples.count > 2 * SpanBatch.cellsPerBatch)
            let everything = trainer.train(cells: row.samples, from: row.initial, schedule: schedule)
            for cell in all {
                #expect(
                    Self.values(everything[cell]).map(\.bitPattern) == reference[cell]?.map(\.bitPattern),
                    "cell \(cell) of \(all.count) through train(cells:)")
            }
            // Through train(cells:), with repeated cells (trained once) and a cell whose noise differs (its own batch).
            var other = row.samples[5]
            other = TaskSample(
                mu: other.mu, cleanLabels: other.cleanLabels, labels: other.labels,
                noise: Matrix(
                    rows: other.noise.rows, cols: other.noise.cols, storage: other.noise.storage.map { $0 * 1.5 }))
            let cells = [3, 9, 3, 12, 9, 3]
            let results = trainer.train(
                cells: cells.map { row.samples[$0] } + [other], from: row.initial, schedule: schedule)
            for (position, cell) in cells.enumerated() {
                #expect(Self.values(results[position]).map(\.bitPattern) == reference[cell]?.map(\.bitPattern))
            }
            let otherAlone = trainer.train(from: row.initial, on: other, schedule: schedule)
            #expect(Self.values(results[6]).map(\.bitPattern) == Self.values(otherAlone).map(\.bitPattern))
            #expect(Self.values(results[6]) != reference[5], "other noise, other run")
        }
    }
}
