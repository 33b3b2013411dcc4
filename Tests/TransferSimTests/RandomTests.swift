import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimAnalysis
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimFiles
@testable import TransferSimPlots
@testable import TransferSimSweeps

@Suite struct RandomTests {
    @Test("xoshiro256** matches the reference outputs for state {1, 2, 3, 4}")
    func xoshiro_referenceVector() {
        var generator = Xoshiro256StarStar(state: 1, 2, 3, 4)
        let outputs = (0..<4).map { _ in generator.next() }
        #expect(outputs == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test("SplitMix64 matches the reference outputs for seed 1234567")
    func splitMix_referenceVector() {
        var generator = SplitMix64(seed: 1_234_567)
        let outputs = (0..<3).map { _ in generator.next() }
        #expect(outputs == [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423])
    }

    @Test("normal draws have mean 0 and variance 1 within 5 standard errors", arguments: [1, 2, 3] as [UInt64])
    func normal_moments(seed: UInt64) {
        var generator = Xoshiro256StarStar(seed: seed)
        let n = 200_000
        var values = [Double](repeating: 0, count: n)
        generator.fillNormal(&values)
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
        let fourth = values.map { $0 * $0 * $0 * $0 }.reduce(0, +) / Double(n)
        let root: Double = Double(n).squareRoot()
        #expect(abs(mean) < 5 / root)
        #expect(abs(variance - 1) < 5 * 2.0.squareRoot() / root)
        #expect(abs(fourth - 3) < 5 * 96.0.squareRoot() / root)
    }

    @Test("fillNormal and normals(count:) give the draws of repeated normal() calls, across lengths")
    func fillNormal_equalsNormalCalls() {
        var filled = Xoshiro256StarStar(seed: 9), fresh = Xoshiro256StarStar(seed: 9),
            called = Xoshiro256StarStar(seed: 9)
        for length in [0, 1, 3, 4, 7, 2, 1, 6, 1000] {
            var buffer = [Double](repeating: .nan, count: length)
            filled.fillNormal(&buffer, scale: 0.5)
            let drawn = fresh.normals(count: length, scale: 0.5)
            let expected = (0..<length).map { _ in 0.5 * called.normal() }
            #expect(buffer.map(\.bitPattern) == expected.map(\.bitPattern), "length \(length)")
            #expect(drawn.map(\.bitPattern) == expected.map(\.bitPattern), "normals(count: \(length))")
        }
        let next = called.normal()
        #expect(filled.normal() == next)
        #expect(fresh.normal() == next)
    }

    @Test("the ziggurat's 256 layers have equal areas and its tail starts at Marsaglia and Tsang's r")
    func ziggurat_tables() {
        let z = Ziggurat.standard
        let f = { (x: Double) in exp(-0.5 * x * x) }
        #expect(abs(z.tailStart - 3.6541528853610088) < 1e-9)
        let area = z.tailStart * f(z.tailStart) + (Double.pi / 2).squareRoot() * erfc(z.tailStart / 2.0.squareRoot())
        #expect(abs(z.widths[0] * f(z.tailStart) - area) < 1e-15)
        #expect(z.widths[256] == 0 && z.heights[256] == 1)
        for i in 1...255 {
            #expect(z.widths[i + 1] < z.widths[i])
            #expect(abs(z.widths[i] * (z.heights[i + 1] - z.heights[i]) - area) < 1e-12 * area, "layer \(i)")
        }
    }

    @Test(
        "normal draws follow N(0, 1): Kolmogorov–Smirnov distance, and the tail beyond the ziggurat's r",
        arguments: [4, 5] as [UInt64])
    func normal_distribution(seed: UInt64) {
        var generator = Xoshiro256StarStar(seed: seed)
        let n = 400_000
        var values = [Double](repeating: 0, count: n)
        generator.fillNormal(&values)
        let sorted = values.sorted()
        let cdf = { (x: Double) in 0.5 * erfc(-x / 2.0.squareRoot()) }
        var distance = 0.0
        for (k, x) in sorted.enumerated() {
            let p = cdf(x)
            distance = max(distance, abs(Double(k + 1) / Double(n) - p), abs(p - Double(k) / Double(n)))
        }
        // The 0.999 quantile of √n D is 1.95.
        #expect(distance * Double(n).squareRoot() < 1.95)
        // P(|Z| > r) = erfc(r/√2) ≈ 2.6e-4: about 100 draws come from the tail branch.
        let r = Ziggurat.standard.tailStart
        let expected = Double(n) * erfc(r / 2.0.squareRoot())
        let tail = Double(values.filter { abs($0) > r }.count)
        #expect(abs(tail - expected) < 5 * expected.squareRoot())
        let beyond = Double(values.filter { abs($0) > r + 0.5 }.count)
        let expectedBeyond = Double(n) * erfc((r + 0.5) / 2.0.squareRoot())
        #expect(abs(beyond - expectedBeyond) < 5 * max(expectedBeyond.squareRoot(), 1))
    }

    @Test("uniform draws lie in [0, 1) with mean 1/2")
    func uniform_range() {
        var generator = Xoshiro256StarStar(seed: 5)
        let values = (0..<100_000).map { _ in generator.uniform() }
        #expect(values.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean: Double = values.reduce(0, +) / 100_000
        let tolerance: Double = 5 * (1.0 / 12 / 100_000).squareRoot()
        #expect(abs(mean - 0.5) < tolerance)
    }

    @Test("named streams are distinct and depend only on (seed, role)")
    func streams_independentByRole() {
        let seeds = StreamSeed.Role.allCases.map { StreamSeed.derive(42, $0.rawValue) }
        #expect(Set(seeds).count == seeds.count)
        #expect(StreamSeed.derive(42, "test") == StreamSeed.derive(42, "test"))
        #expect(StreamSeed.derive(42, "test") != StreamSeed.derive(43, "test"))
        var a = Xoshiro256StarStar(seed: StreamSeed.derive(9, "upstream-data"))
        var b = Xoshiro256StarStar(seed: StreamSeed.derive(9, "upstream-data"))
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
    }

    @Test(
        "stream seeds depend on seed, replicate and layout keys only, not on scale parameters; from their parts, the same"
    )
    func streamSeeds_layoutOnly() throws {
        let base = try Fixtures.config(.theory)
        let scaled = try Fixtures.config(
            .theory, ["sigma_p1": "2", "flip2": "0.2", "u_norm": "0.5", "alpha": "0.3", "n1": "40"])
        let otherD = try Fixtures.config(.theory, ["d": "30"])
        let otherReplicate = try Fixtures.config(.theory, ["replicate": "1"])
        for role in StreamSeed.Role.allCases {
            #expect(base.streamSeed(role) == scaled.streamSeed(role))
            #expect(base.streamSeed(role) != otherD.streamSeed(role))
            #expect(base.streamSeed(role) != otherReplicate.streamSeed(role))
            // From its parts (a sweep renders a cell's layout once for its replicates): the config's own seed.
            for config in [base, otherD, otherReplicate] {
                #expect(
                    ExperimentConfig.streamSeed(
                        role, seed: config.seed, replicate: config.replicate, layout: config.streamLayout(role))
                        == config.streamSeed(role))
            }
        }
        let seeds = StreamSeed.Role.allCases.map { base.streamSeed($0) }
        #expect(Set(seeds).count == seeds.count)
    }
}
