import Foundation

/// The logistic loss `ℓ(z) = log(1 + e^{−z})` and its derivative (MODEL.md §4), evaluated stably.
package enum LogisticLoss {
    /// `ℓ(z) = max(−z, 0) + log1p(e^{−|z|})`, exact for every finite `z` without overflow.
    @inlinable
    public static func value(_ z: Double) -> Double {
        max(-z, 0) + log1p(exp(-abs(z)))
    }

    /// `ℓ'(z) = −1 / (1 + e^{z})`, written as `−e^{−z}/(1 + e^{−z})` for `z > 0` so neither branch overflows.
    @inlinable
    public static func derivative(_ z: Double) -> Double {
        if z > 0 {
            let e = exp(-z)
            return -e / (1 + e)
        }
        return -1 / (1 + exp(z))
    }
}
