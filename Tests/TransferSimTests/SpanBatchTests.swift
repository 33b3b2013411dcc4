import Foundation
import Testing

@testable import TransferSimCore

@Suite struct SpanBatchTests {
    /// Cells of a Kou-type row: one `Ξ`, labels and initial filters; `μ = ‖μ‖ · û` with the cell's norm.
    struct Row {
        let architecture: Architecture
        let initial: Parameters
        let samples: [TaskSample]
        let gram: Matrix
        let products: Matrix

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
            gram = SpanState.gram(noise)
            products = SpanState.initialProducts(initial.weights, noise)
        }

        func batch(_ cells: [Int]) -> SpanBatch {
            SpanBatch(
                architecture: architecture, initial: initial, samples: cells.map { samples[$0] }, gram: gram,
                initialProducts: products)
        }
    }

    static let norms = [0, 0.3, 1, 2.5, 4, 7.5, 1e60]

    @Test(
        "each cell of a batch equals the BLAS span engine's run of that cell to rounding; a diverging cell stops at the same step"
    )
    func batch_matchesSpanEngine() throws {
        for seed in 1...4 as ClosedRange<UInt64> {
            let row = Row(seed: seed, norms: Self.norms)
            var batch = row.batch(Array(Self.norms.indices))
            let losses = batch.train(steps: 60, stepSize: 0.3)
            let trainer = GradientDescent(architecture: row.architecture, alignmentDirections: [], engine: .span)
            for (cell, sample) in row.samples.enumerated() {
                let run = trainer.train(
                    from: row.initial, on: sample,
                    schedule: TrainingSchedule(
                        stepSize: 0.3, steps: 60, filterCount: row.architecture.filterCount, logEvery: 60))
                #expect((run.status == .ok) == batch.running[cell], "seed \(seed) cell \(cell)")
                #expect(run.steps == batch.stepsTaken[cell], "seed \(seed) cell \(cell)")
                guard run.status == .ok, let span = run.span else { continue }
                let (mu, noise, biases) = batch.coefficients(cell: cell)
                #expect(EngineTests.relative(mu, span.muCoefficients) < 1e-10, "seed \(seed) cell \(cell) c")
                #expect(
                    EngineTests.relative(noise.storage, span.noiseCoefficients.storage) < 1e-10,
                    "seed \(seed) cell \(cell) R")
                #expect(EngineTests.relative(biases, run.final.biases) < 1e-10, "seed \(seed) cell \(cell) b")
                #expect(abs(losses[cell] - run.trainLoss) <= 1e-10 * max(run.trainLoss, 1e-12))
                // The run moved: a test of agreement between two runs that did nothing could not fail.
                #expect(span.noiseCoefficients.storage.contains { $0 != 0 })
            }
            #expect(!batch.running[Self.norms.count - 1], "‖μ‖ = 1e60 diverges")
        }
    }

    @Test("a cell's bits depend on nothing but the cell: alone, in the whole batch, reversed, or beside other cells")
    func cellBits_independentOfBatch() throws {
        let row = Row(seed: 9, norms: Self.norms + [0.7, 3.3, 5, 9.9])
        let all = Array(row.samples.indices)
        func trained(_ cells: [Int]) -> [Int: ([Double], [Double], [Double], Double)] {
            var batch = row.batch(cells)
            let losses = batch.train(steps: 40, stepSize: 0.2)
            var result: [Int: ([Double], [Double], [Double], Double)] = [:]
            for (position, cell) in cells.enumerated() {
                let (mu, noise, biases) = batch.coefficients(cell: position)
                result[cell] = (mu, noise.storage, biases, losses[position])
            }
            return result
        }
        let reference = trained(all)
        for layout in [all.reversed(), [3], [5, 1], Array(all.dropFirst(2)) + [0, 1], [2, 2, 4, 8, 9, 10, 6, 0]] {
            for (cell, value) in trained(Array(layout)) {
                let expected = try #require(reference[cell])
                #expect(
                    value.0 == expected.0 && value.1 == expected.1 && value.2 == expected.2
                        && value.3.bitPattern == expected.3.bitPattern, "cell \(cell) in \(layout)")
            }
        }
    }
}
