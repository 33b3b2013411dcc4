import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

extension VerificationSuite {
    // MARK: - Claim 1: Kou's dichotomy for the baseline (Theorem 4.3)

    func dichotomy() throws -> ClaimResult {
        let mus =
            quick ? ["0.5", "1", "1.5", "2", "3", "4"] : ["0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"]
        let ds = quick ? ["100", "400", "1600"] : ["100", "200", "400", "800", "1600"]
        let reps = quick ? 3 : 8
        _ = try sweep(
            "dichotomy", [("alpha", "0"), ("u_norm", "0")], grid: [("mu2_norm", mus), ("d", ds)], replicates: reps)
        let table = try SweepTable(directory: directory.appendingPathComponent("sweeps/dichotomy"))
        let setting =
            "baseline (α = 0), u = 0, ‖μ₂‖ ∈ {\(mus.joined(separator: ", "))} × d ∈ {\(ds.joined(separator: ", "))}, \(reps) replicates; benign: error ≤ p + 0.05, harmful: ≥ p + 0.1"
        let claim =
            "Baseline dichotomy (Thm 4.3): clean error ≈ 0 where S₂ is large, ≥ p + 0.1 where S₂ is small; a fitted S₂ = C classifies ≥ 90% of cells"
        let fit: LogisticBoundary
        do { fit = try BoundarySpec.baselineDichotomy.fit(table) } catch {
            return ClaimResult(
                id: "1", claim: claim, setting: setting, evidence: "no fit: \(error)", verdict: .inconclusive)
        }
        let cells = table.plan.cells
        let large = cells.filter { table.value($0, "kou_stat_2_mean") >= 4 * fit.threshold }
        let small = cells.filter { table.value($0, "kou_stat_2_mean") <= fit.threshold / 4 }
        let largeClean =
            large.map { table.value($0, "baseline_clean_test_error_mean") }.reduce(0, +) / Double(max(large.count, 1))
        let smallExcess =
            small.map { table.value($0, "baseline_test_error_mean") - $0.config.flip2 }.reduce(0, +)
            / Double(max(small.count, 1))
        let evidence =
            "C = \(Self.f(fit.threshold, 3)) (95% CI [\(Self.f(fit.interval.low)), \(Self.f(fit.interval.high))]); "
            + "fit classifies \(Self.f(100 * fit.accuracy, 0))% of \(fit.count) cells; mean clean error for S₂ ≥ 4C: \(Self.f(largeClean)) (\(large.count) cells); "
            + "mean test error − p for S₂ ≤ C/4: \(Self.f(smallExcess)) (\(small.count) cells)"
        let verdict: Verdict
        if fit.accuracy >= 0.9 && !large.isEmpty && !small.isEmpty && largeClean <= 0.05 && smallExcess >= 0.1 {
            verdict = .supported
        } else if fit.accuracy < 0.7 || (!large.isEmpty && largeClean > 0.2) {
            verdict = .contradicted
        } else {
            verdict = .inconclusive
        }
        return ClaimResult(id: "1", claim: claim, setting: setting, evidence: evidence, verdict: verdict)
    }

    // MARK: - Claim 2: benign transfer improves with α, N_1, ‖u‖; worsens with σ_{p,1} (Theorem 4.2)

    func monotonicity() throws -> [ClaimResult] {
        let bigN = "300"
        let factors:
            [(id: String, key: String, low: String, high: String, increases: Bool, fixed: [ConfigLoader.Entry])] = [
                ("2a", "alpha", "0.25", "1", true, [("u_norm", "2")]),
                ("2b", "n1", "30", bigN, true, [("u_norm", "2")]),
                ("2c", "u_norm", "1", "2", true, []),
                ("2d", "sigma_p1", "1", "2", false, [("u_norm", "2")]),
            ]
        return try factors.map { factor in
            let (_, value) = try sweep(
                "monotone-\(factor.key)", factor.fixed + [("alpha", "1")].filter { _ in factor.key != "alpha" },
                grid: [(factor.key, [factor.low, factor.high])])
            let comparison = PairedComparison(
                series(value, cell: 0, metric: "transfer_test_accuracy"),
                series(value, cell: 1, metric: "transfer_test_accuracy"))
            let direction = factor.increases ? "increases" : "decreases"
            let expectedSign: Double = factor.increases ? 1 : -1
            let significant = comparison.pValue < 0.05
            let verdict: Verdict =
                !significant ? .inconclusive : (comparison.mean * expectedSign > 0 ? .supported : .contradicted)
            return ClaimResult(
                id: factor.id, claim: "Transfer accuracy \(direction) with \(factor.key) (Thm 4.2)",
                setting:
                    "\(settingText); \(factor.key) \(factor.low) → \(factor.high)\(factor.fixed.map { ", \($0.key) = \($0.value)" }.joined()), paired over replicates",
                evidence: "change in transfer accuracy: \(Self.interval(comparison))", verdict: verdict)
        }
    }

    // MARK: - Claim 3: negative transfer exists (Proposition 4.4)

    func negativeTransfer() throws -> ClaimResult {
        let us = ["0", "1", "2"], ns = ["30", "300"]
        let (plan, value) = try sweep("negative", [("alpha", "1")], grid: [("u_norm", us), ("n1", ns)])
        var significant: [String] = []
        var worst: (gain: Double, cell: Int) = (.infinity, 0)
        for cell in plan.cells {
            let comparison = PairedComparison(
                series(value, cell: cell.index, metric: "baseline_test_accuracy"),
                series(value, cell: cell.index, metric: "transfer_test_accuracy"))
            if comparison.mean < worst.gain { worst = (comparison.mean, cell.index) }
            if comparison.mean < 0 && comparison.pValue < 0.01 {
                significant.append(
                    "‖u‖ = \(Self.f(cell.config.uNorm, 1)), N₁ = \(cell.config.n1): \(Self.interval(comparison))")
            }
        }
        let worstConfig = plan.cells[worst.cell].config
        let evidence =
            "\(significant.count) of \(plan.cells.count) cells significantly negative (p < 0.01)"
            + (significant.isEmpty ? "" : ": " + significant.joined(separator: "; "))
            + "; most negative gain \(Self.f(worst.gain)) at ‖u‖ = \(Self.f(worstConfig.uNorm, 1)), N₁ = \(worstConfig.n1)"
        let located = worstConfig.uNorm == 0 && String(worstConfig.n1) == ns[1]
        let verdict: Verdict =
            significant.isEmpty
            ? (worst.gain < 0 ? .inconclusive : .contradicted) : (located ? .supported : .inconclusive)
        return ClaimResult(
            id: "3", claim: "Negative transfer exists, most of all where ‖u‖ is small and the source large (Prop 4.4)",
            setting:
                "\(settingText); α = 1, ‖u‖ ∈ {\(us.joined(separator: ", "))} × N₁ ∈ {\(ns.joined(separator: ", "))}",
            evidence: evidence, verdict: verdict)
    }

    // MARK: - Claim 4: the mechanism (§5)

    func mechanism() throws -> [ClaimResult] {
        let reps = quick ? 3 : 8
        func runs(_ overrides: [ConfigLoader.Entry]) throws -> [ExperimentResult] {
            try (0..<reps).map { r in
                try TransferExperiment(config: ConfigLoader.resolve([base + overrides + [("replicate", String(r))]]))
                    .run()
            }
        }
        /// max γ over the filters / the typical memorisation: mean over samples of max_{r, j = y_i} ρ̄_{j,r,i}.
        func ratio(_ result: ExperimentResult) -> Double {
            guard let training = result.baseline.training else { return .nan }
            let decomposition = training.decomposition
            let architecture = result.config.architecture
            let labels = result.downstreamSample.labels
            var memorised = 0.0
            for i in labels.indices {
                var largest = 0.0
                for row in 0..<architecture.filterCount where architecture.classSign(ofRow: row) == labels[i] {
                    largest = max(largest, decomposition.rho[row, i])
                }
                memorised += largest / Double(labels.count)
            }
            return (decomposition.gamma.max() ?? 0) / max(memorised, 1e-300)
        }
        let benign = try runs([("alpha", "0"), ("u_norm", "0"), ("mu2_norm", "4"), ("d", "100")])
        let harmful = try runs([("alpha", "0"), ("u_norm", "0"), ("mu2_norm", "1"), ("d", "1600")])
        let benignRatios = benign.map(ratio), harmfulRatios = harmful.map(ratio)
        let gammaRow = ClaimResult(
            id: "4a",
            claim:
                "Mechanism: in benign cells γ outgrows ρ̄; in harmful cells ρ̄ dominates (max γ / mean over samples of max ρ̄)",
            setting:
                "baseline after T₂ = 50 steps; benign ‖μ₂‖ = 4, d = 100 (S₂ = 51); harmful ‖μ₂‖ = 1, d = 1600 (S₂ = 0.0125); \(reps) replicates each",
            evidence:
                "max γ / mean ρ̄: benign \(benignRatios.map { Self.f($0, 2) }.joined(separator: ", ")); harmful \(harmfulRatios.map { Self.f($0, 2) }.joined(separator: ", "))",
            verdict: benignRatios.allSatisfy { $0 > 1 } && harmfulRatios.allSatisfy { $0 < 1 }
                ? .supported
                : (benignRatios.allSatisfy { $0 < 1 } || harmfulRatios.allSatisfy { $0 > 1 }
                    ? .contradicted : .inconclusive))

        let transfers = try runs([("alpha", "1"), ("u_norm", "1")])
        var alignments: [(transfer: Double, baseline: Double)] = []
        var noiseRatios: [Double] = []
        for result in transfers {
            guard let t = result.transfer.training, let b = result.baseline.training else { continue }
            alignments.append((t.history[0].alignmentMean[1], b.history[0].alignmentMean[1]))
            noiseRatios.append(Self.offSignalNorm(t.initial.weights) / Self.offSignalNorm(b.initial.weights))
        }
        let carriesV1 = alignments.allSatisfy { $0.transfer > 5 * max(abs($0.baseline), 1e-12) }
        let carriesNoise = noiseRatios.allSatisfy { $0 > 2 }
        let carryRow = ClaimResult(
            id: "4b", claim: "Inherited filters carry v₁ and task-1 noise into task 2",
            setting: "\(settingText); α = 1, ‖u‖ = 1; at the start of fine-tuning (t = 0)",
            evidence:
                "mean class-signed alignment with v̂₁: transfer \(alignments.map { Self.f($0.transfer) }.joined(separator: ", ")) vs fresh init \(alignments.map { Self.f($0.baseline) }.joined(separator: ", ")); "
                + "norm of the filters off the signal axes, inherited / fresh: \(noiseRatios.map { Self.f($0, 1) }.joined(separator: ", "))",
            verdict: carriesV1 && carriesNoise
                ? .supported : (alignments.allSatisfy { $0.transfer <= 0 } ? .contradicted : .inconclusive))
        return [gammaRow, carryRow]
    }

    /// Frobenius norm of the filter entries on the noise axes (coordinates ≥ 3, off the signal directions).
    static func offSignalNorm(_ weights: Matrix) -> Double {
        var total = 0.0
        for row in 0..<weights.rows { for k in 3..<weights.cols { total += weights[row, k] * weights[row, k] } }
        return total.squareRoot()
    }

    // MARK: - Claim 5: exactness on the runs themselves

    func exactness() throws -> ClaimResult {
        var worstReconstruction = 0.0, worstGradient = 0.0
        let settings: [[ConfigLoader.Entry]] = [
            [("alpha", "1"), ("u_norm", "1")],
            [("alpha", "0.5"), ("u_norm", "2"), ("freeze_steps", "10"), ("inherited_lr_scale", "0.5")],
        ]
        for overrides in settings {
            let config = try ConfigLoader.resolve([base + overrides])
            let result = try TransferExperiment(config: config).run()
            for stage in Stage.allCases {
                guard let training = result.outcome(stage).training else { continue }
                let sample = stage == .upstream ? result.upstreamSample! : result.downstreamSample
                let rebuilt = training.decomposition.reconstruct(
                    initial: training.initial.weights, architecture: config.architecture, sample: sample)
                let final = training.final
                let scale = max(1, final.maxMagnitude)
                let error = zip(rebuilt.storage, final.weights.storage).map { abs($0 - $1) }.max() ?? 0
                worstReconstruction = max(worstReconstruction, error / scale)
            }
            // Central differences on 40 random filter entries of the final baseline model.
            guard let final = result.baseline.training?.final else { continue }
            let architecture = config.architecture
            let gradient = final.gradient(architecture: architecture, sample: result.downstreamSample)
            let norm = gradient.weights.storage.map(abs).max() ?? 1
            var generator = Xoshiro256StarStar(seed: 99)
            for _ in 0..<40 {
                let k = Int(generator.next() % UInt64(final.weights.storage.count))
                var plus = final, minus = final
                plus.weights.storage[k] += 1e-6
                minus.weights.storage[k] -= 1e-6
                let numeric =
                    (plus.loss(architecture: architecture, sample: result.downstreamSample)
                        - minus.loss(architecture: architecture, sample: result.downstreamSample)) / 2e-6
                worstGradient = max(worstGradient, abs(numeric - gradient.weights.storage[k]) / max(norm, 1e-300))
            }
        }
        return ClaimResult(
            id: "5",
            claim: "Exactness: w⁽ᵀ⁾ = w⁽⁰⁾ + jγμ/‖μ‖² + Σρξ/‖ξ‖² and the analytic gradient, on the runs themselves",
            setting:
                "\(settingText); every stage of 2 transfer runs (one with T_freeze = 10, λ = 0.5); 40 random filter entries per run",
            evidence:
                "max relative reconstruction error \(String(format: "%.1e", worstReconstruction)); max relative gradient error vs central differences (h = 1e-6) \(String(format: "%.1e", worstGradient))",
            verdict: worstReconstruction < 1e-9 && worstGradient < 1e-6 ? .supported : .contradicted)
    }
}
