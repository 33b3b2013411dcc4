import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

/// `boundary --free`: separation is said, and the cluster bootstrap's interval covers a known exponent.
@Suite struct BoundaryBootstrapTests {
    /// A 15 × 15 grid of (log d, log ‖μ‖) whose replicate values are `log d − k log ‖μ‖ − c` plus N(0, σ²) noise, and
    /// labels "positive" where a cell's mean over replicates is > 0: the boundary is `d ∝ ‖μ‖^k`.
    static func synthetic(
        exponent k: Double, noise: Double, replicates: Int, seed: UInt64
    ) -> (features: [[Double]], values: [[Int: Double]]) {
        var generator = Xoshiro256StarStar(seed: seed)
        var features: [[Double]] = [], values: [[Int: Double]] = []
        for i in 0..<15 {
            for j in 0..<15 {
                let logD = log(100.0) + Double(i) * 0.2, logMu = Double(j) * 0.05
                features.append([logD, logMu])
                let index = logD - k * logMu - (log(100.0) + 1.4 - k * 0.35)
                values.append(
                    Dictionary(
                        uniqueKeysWithValues: (0..<replicates).map { r in (r, index + noise * generator.normal()) }))
            }
        }
        return (features, values)
    }

    @Test(
        "the cluster bootstrap's 95% interval covers the true exponent 4 in at least 90% of 30 seeded synthetic sweeps")
    func bootstrap_coversKnownExponent() {
        var covered = 0
        for repetition in 0..<30 {
            let (features, values) = Self.synthetic(exponent: 4, noise: 1.5, replicates: 8, seed: UInt64(repetition))
            let ratios = FreeBoundary.bootstrapRatios(
                features: features, values: values, replicates: 8, resamples: 100,
                seed: UInt64(1000 + repetition)
            ) { _, mean in mean.isFinite ? mean > 0 : nil }
            let sorted = ratios[1].map { -$0 }.sorted()  // d ∝ ‖μ‖^(−b_μ/b_d)
            #expect(sorted.count >= 90)
            guard sorted.count >= 2 else { continue }
            let low = sorted[Int(0.025 * Double(sorted.count - 1))],
                high = sorted[Int((0.975 * Double(sorted.count - 1)).rounded())]
            if low <= 4 && 4 <= high { covered += 1 }
        }
        #expect(covered >= 27, "covered \(covered) of 30")
    }

    @Test("a separable synthetic set is classified perfectly and said to be separated; a noisy one is not")
    func separation_isDetected() throws {
        let (features, clean) = Self.synthetic(exponent: 4, noise: 0, replicates: 1, seed: 1)
        let labels = clean.map { $0[0]! > 0 }
        #expect(try FreeBoundary.fit(features, labels).accuracy == 1)
        let (_, noisy) = Self.synthetic(exponent: 4, noise: 3, replicates: 1, seed: 1)
        #expect(try FreeBoundary.fit(features, noisy.map { $0[0]! > 0 }).accuracy < 1)
        // The bootstrap is reproducible from its seed.
        let (f, v) = Self.synthetic(exponent: 4, noise: 1.5, replicates: 8, seed: 7)
        let run = {
            FreeBoundary.bootstrapRatios(features: f, values: v, replicates: 8, resamples: 20, seed: 3) { _, mean in
                mean > 0
            }
        }
        #expect(run() == run())
    }
}
