import Foundation

/// The logistic loss `ℓ(z) = log(1 + e^{−z})` and its derivative (docs/model.md §4), evaluated stably.
package enum LogisticLoss {
    /// `ℓ(z) = max(−z, 0) + log1p(e^{−|z|})`, exact for every finite `z` without overflow.
    @inlinable
    package static func value(_ z: Double) -> Double {
        max(-z, 0) + log1p(exp(-abs(z)))
    }

    /// `ℓ'(z) = −1 / (1 + e^{z})`, written as `−e^{−z}/(1 + e^{−z})` for `z > 0` so neither case overflows: with
    /// `e = e^{−|z|}` (`e^{z}` when `z ≤ 0`) it is `−e/(1 + e)` or `−1/(1 + e)`, one exponential and a choice of
    /// numerator (no branch on the sign of `z`).
    @inlinable
    package static func derivative(_ z: Double) -> Double {
        let e = exp(-abs(z))
        return -(z > 0 ? e : 1) / (1 + e)
    }
}
