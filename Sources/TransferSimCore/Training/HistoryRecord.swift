/// One logged training step: loss, error, the §5 decomposition summary and the filters' alignments.
///
/// Columns of `history.csv` (see `docs/outputs.md`):
/// - `gamma_pos_*` / `gamma_neg_*`: max and mean of `γ_{j,r}` over the filters of class `j = +1` / `−1`;
/// - `rho_bar_max`: `max ρ̄_{j,r,i}` over `j = y_i` (`ρ̄ = max(ρ, 0)`), the noise memorised by the
///   filters of the sample's own class;
/// - `rho_under_min`: `min ρ̲_{j,r,i}` over `j = −y_i` (`ρ̲ = min(ρ, 0)`);
/// - `align_<s>_mean|max`: mean and max over all `2m` filters of the class-signed alignment
///   `j ⟨w_{j,r}, ŝ⟩` with `ŝ ∈ {e_u, v̂_1, v̂_2}`; it grows as filters learn the feature.
package struct HistoryRecord: Sendable, Equatable {
    /// Gradient-descent step `t` (0 = before the first update).
    package var step: Int
    /// Training loss `L(W⁽ᵗ⁾)`.
    package var loss: Double
    /// Training error against the observed labels.
    package var trainError: Double
    /// Max of `γ` over class `+1`.
    package var gammaPositiveMax: Double
    /// Mean of `γ` over class `+1`.
    package var gammaPositiveMean: Double
    /// Max of `γ` over class `−1`.
    package var gammaNegativeMax: Double
    /// Mean of `γ` over class `−1`.
    package var gammaNegativeMean: Double
    /// `max ρ̄` over `j = y_i`.
    package var rhoBarMax: Double
    /// `min ρ̲` over `j = −y_i`.
    package var rhoUnderMin: Double
    /// Mean class-signed alignment with `e_u`, `v̂_1`, `v̂_2` (in that order).
    package var alignmentMean: [Double]
    /// Max class-signed alignment with `e_u`, `v̂_1`, `v̂_2` (in that order).
    package var alignmentMax: [Double]
    /// Test error (noisy labels) of the filters at this step, on the stage's test draws with its estimator (§7);
    /// nil unless the trainer was given an evaluator (`transfersim run` gives one); an empty field in history.csv.
    package var testError: Double?
    /// Clean-label test error at this step (as ``testError``).
    package var cleanTestError: Double?

    /// The CSV column names after `stage`, in order.
    package static let columns = [
        "step", "loss", "train_error",
        "gamma_pos_max", "gamma_pos_mean", "gamma_neg_max", "gamma_neg_mean",
        "rho_bar_max", "rho_under_min",
        "align_u_mean", "align_u_max", "align_v1_mean", "align_v1_max", "align_v2_mean", "align_v2_max",
        "test_error", "clean_test_error",
    ]

    /// The values in ``columns`` order.
    package var values: [Double] {
        [
            Double(step), loss, trainError,
            gammaPositiveMax, gammaPositiveMean, gammaNegativeMax, gammaNegativeMean,
            rhoBarMax, rhoUnderMin,
            alignmentMean[0], alignmentMax[0], alignmentMean[1], alignmentMax[1], alignmentMean[2], alignmentMax[2],
            testError ?? .nan, cleanTestError ?? .nan,
        ]
    }

    /// Summarises the state at step `step`; `alignments[k][row]` is `⟨w_row, ŝ_k⟩`. An undefined decomposition (NaN)
    /// gives NaN `γ` and `ρ` summaries.
    package init(
        step: Int, loss: Double, trainError: Double, alignments: [[Double]], decomposition: Decomposition,
        architecture: Architecture, labels: [Double]
    ) {
        self.step = step
        self.loss = loss
        self.trainError = trainError
        let m = architecture.filtersPerClass
        let positive = decomposition.gamma[0..<m]
        let negative = decomposition.gamma[m...]
        gammaPositiveMax = positive.max() ?? 0
        gammaPositiveMean = positive.reduce(0, +) / Double(m)
        gammaNegativeMax = negative.max() ?? 0
        gammaNegativeMean = negative.reduce(0, +) / Double(m)
        (rhoBarMax, rhoUnderMin) = decomposition.rhoExtremes(architecture: architecture, labels: labels)
        let signed = alignments.map { dots in dots.indices.map { architecture.classSign(ofRow: $0) * dots[$0] } }
        alignmentMean = signed.map { $0.reduce(0, +) / Double(architecture.filterCount) }
        alignmentMax = signed.map { $0.max() ?? 0 }
    }
}
