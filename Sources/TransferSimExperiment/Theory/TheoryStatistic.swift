import TransferSimCore

/// A scalar the theory uses to predict a cell's regime (docs/model.md §8), computed from the config alone.
///
/// ``all`` is the registry: every entry becomes a column of `summary.json`, `results.csv` and
/// `summary.csv`. To try another formula, add one entry there (a name and a closure); nothing else changes.
package struct TheoryStatistic: Sendable {
    /// Column name.
    package let name: String
    /// What it is, with its formula.
    package let meaning: String
    /// Its value for a config.
    package let value: @Sendable (ExperimentConfig) -> Double
    /// The power of each config key in the statistic where it is a monomial in them (`S_2 = N_2 ‖μ_2‖⁴ σ_{p,2}⁻⁴ d⁻¹`:
    /// `n2: 1, mu2_norm: 4, sigma_p2: −4, d: −1`), so a fit with free exponents can be set against the theory's.
    package let exponents: [String: Double]

    /// A statistic; see the properties.
    package init(
        name: String, meaning: String, exponents: [String: Double] = [:],
        value: @escaping @Sendable (ExperimentConfig) -> Double
    ) {
        self.name = name
        self.meaning = meaning
        self.exponents = exponents
        self.value = value
    }

    /// The registered statistics, in column order.
    package static let all: [TheoryStatistic] = [
        TheoryStatistic(
            name: "kou_stat_1", meaning: "S_1 = N_1 ‖μ_1‖⁴ / (σ_{p,1}⁴ d), Kou et al.'s statistic of task 1",
            exponents: ["n1": 1, "mu1_norm": 4, "sigma_p1": -4, "d": -1]
        ) { c in
            PhaseStatistics.kou(sampleSize: c.n1, muNorm: c.signals.muNorm(.one), noiseLevel: c.sigmaP1, dimension: c.d)
        },
        TheoryStatistic(
            name: "kou_stat_2",
            meaning: "S_2 = N_2 ‖μ_2‖⁴ / (σ_{p,2}⁴ d), Kou et al.'s statistic of task 2 (the baseline's)",
            exponents: ["n2": 1, "mu2_norm": 4, "sigma_p2": -4, "d": -1]
        ) { c in
            PhaseStatistics.kou(sampleSize: c.n2, muNorm: c.signals.muNorm(.two), noiseLevel: c.sigmaP2, dimension: c.d)
        },
        TheoryStatistic(
            name: "transfer_stat", meaning: "Γ = ‖u‖⁴ / (σ_{p,2}² (‖v_1‖² + c_Γ σ_{p,1}² d / N_1)), c_Γ = 1",
            exponents: ["u_norm": 4, "sigma_p2": -2, "alpha": 0]
        ) { c in
            PhaseStatistics.transfer(
                uNorm: c.uNorm, v1Norm: c.signals.v1Norm, noiseLevel1: c.sigmaP1, noiseLevel2: c.sigmaP2,
                n1: c.n1, dimension: c.d)
        },
        // The candidate that sees α (issue 15, docs/verification.md "A transfer statistic that sees α"). Γ has no α, so its boundary Γ = C is
        // the same line at every α; and it falls with d, while the gain's sign boundary on fig2 moves the other way (the
        // baseline degrades with d). Free-exponent fits put the boundary at ‖u‖⁴ ∝ α^0.89 [0.78, 1.00] (α sweep) and show
        // the gain rising with d (fig2): dividing Γ by α and by the baseline's S_2 = N_2‖μ_2‖⁴/(σ_{p,2}⁴ d) does both.
        TheoryStatistic(
            name: "transfer_stat_alpha",
            meaning:
                "Γ_α = Γ / (α S_2): the transfer statistic per inherited fraction, relative to the baseline's Kou statistic (NaN at α = 0, where nothing is inherited)",
            exponents: ["u_norm": 4, "alpha": -1, "n2": -1, "mu2_norm": -4, "sigma_p2": 2]
        ) { c in
            guard c.alpha > 0 else { return .nan }
            let gamma = PhaseStatistics.transfer(
                uNorm: c.uNorm, v1Norm: c.signals.v1Norm, noiseLevel1: c.sigmaP1, noiseLevel2: c.sigmaP2,
                n1: c.n1, dimension: c.d)
            return gamma
                / (c.alpha
                    * PhaseStatistics.kou(
                        sampleSize: c.n2, muNorm: c.signals.muNorm(.two), noiseLevel: c.sigmaP2, dimension: c.d))
        },
        TheoryStatistic(
            name: "inherited_strength", meaning: "Λ = α N_1 ‖u‖² / (σ_{p,1}² d)",
            exponents: ["alpha": 1, "n1": 1, "u_norm": 2, "sigma_p1": -2, "d": -1]
        ) { c in
            PhaseStatistics.inheritedStrength(
                alpha: c.alpha, n1: c.n1, uNorm: c.uNorm, noiseLevel1: c.sigmaP1, dimension: c.d)
        },
    ]
}
