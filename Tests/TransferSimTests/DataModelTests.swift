import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct DataModelTests {
    @Test(
        "projected noise is orthogonal to u, v_1 and v_2 of its task to machine precision",
        arguments: [Signals.Task.one, .two])
    func noise_orthogonalToSignals(task: Signals.Task) throws {
        let config = try Fixtures.config(
            .theory, ["cos_v1_v2": "0.6", "u_norm": "1.3", "v1_norm": "2", "v2_norm": "0.7", "sigma_p1": "2.5"])
        let sample = Fixtures.sample(config, task: task, count: 200)
        let d = config.d
        for direction in config.signals.projectorBasis(task) {
            var dense = [Double](repeating: 0, count: d)
            for (axis, value) in direction { dense[axis] = value }
            for i in 0..<sample.count {
                let dot = BLAS.dot(sample.noise.row(i), dense)
                #expect(abs(dot) < 1e-13 * Fixtures.norm(sample.noise.row(i)))
            }
        }
        // μ_k itself lies in the removed span: subtracting its projections on the (orthonormal) basis leaves 0.
        var residual = sample.mu
        for direction in config.signals.projectorBasis(task) {
            let dot = direction.reduce(0) { $0 + sample.mu[$1.0] * $1.1 }
            for (axis, value) in direction { residual[axis] -= dot * value }
        }
        #expect(Fixtures.norm(residual) < 1e-13 * Fixtures.norm(sample.mu))
        #expect(abs(Fixtures.norm(sample.mu) - config.signals.muNorm(task)) < 1e-14)
    }

    @Test(
        "noise has mean 0 and covariance σ²(I − P) within statistical tolerance",
        arguments: [NoiseKind.projected, .isotropic])
    func noise_moments(kind: NoiseKind) throws {
        let config = try Fixtures.config(.theory, ["noise": kind.rawValue, "d": "6", "sigma_p2": "1.7"])
        let n = 40_000
        let sample = Fixtures.sample(config, count: n, seed: 3)
        let sigma2 = 1.7 * 1.7
        let removed = Set(config.distribution(.two).removedDirections.flatMap { $0.map(\.0) })
        for k in 0..<config.d {
            var mean = 0.0, second = 0.0
            for i in 0..<n { mean += sample.noise[i, k]; second += sample.noise[i, k] * sample.noise[i, k] }
            mean /= Double(n)
            second /= Double(n)
            let expected = removed.contains(k) ? 0 : sigma2
            #expect(abs(mean) < 5 * (sigma2 / Double(n)).squareRoot())
            #expect(abs(second - expected) < 5 * sigma2 * (2 / Double(n)).squareRoot() + 1e-20)
        }
        // Off-diagonal covariance between two noise coordinates (axes 3 and 4 are never signal axes).
        var cross = 0.0
        for i in 0..<n { cross += sample.noise[i, 3] * sample.noise[i, 4] }
        #expect(abs(cross / Double(n)) < 5 * sigma2 / Double(n).squareRoot())
    }

    @Test("label flips occur at rate p and clean labels are balanced", arguments: [0.0, 0.1, 0.35])
    func labels_flipRate(p: Double) throws {
        let config = try Fixtures.config(.theory, ["flip2": "\(p)"])
        let n = 50_000
        let sample = Fixtures.sample(config, count: n, seed: 19)
        let flips = zip(sample.labels, sample.cleanLabels).filter { $0 != $1 }.count
        let rate = Double(flips) / Double(n)
        #expect(abs(rate - p) <= 5 * (max(p * (1 - p), 1e-12) / Double(n)).squareRoot())
        let positives = Double(sample.cleanLabels.filter { $0 == 1 }.count) / Double(n)
        #expect(abs(positives - 0.5) < 5 * (0.25 / Double(n)).squareRoot())
        #expect(sample.labels.allSatisfy { $0 == 1 || $0 == -1 })
    }

    @Test("signals follow §1: u ⟂ v_k, cos(v_1, v_2) = c, and ‖μ_k‖ parametrisation")
    func signals_geometry() throws {
        let config = try Fixtures.config(
            .theory, ["u_norm": "1.2", "mu2_norm": "2.5", "v1_norm": "1.5", "cos_v1_v2": "-0.3"])
        let mu1 = config.signals.mu(.one, dimension: config.d)
        let mu2 = config.signals.mu(.two, dimension: config.d)
        var u = [Double](repeating: 0, count: config.d)
        u[0] = 1.2
        let v1 = zip(mu1, u).map { $0 - $1 }, v2 = zip(mu2, u).map { $0 - $1 }
        #expect(abs(BLAS.dot(u, v1)) < 1e-15 && abs(BLAS.dot(u, v2)) < 1e-15)
        #expect(abs(BLAS.dot(v1, v2) / (Fixtures.norm(v1) * Fixtures.norm(v2)) + 0.3) < 1e-14)
        #expect(abs(Fixtures.norm(mu2) - 2.5) < 1e-14)
        #expect(abs(Fixtures.norm(v2) - (2.5 * 2.5 - 1.44).squareRoot()) < 1e-14)
        #expect(abs(Fixtures.norm(v1) - 1.5) < 1e-14)
    }
}
