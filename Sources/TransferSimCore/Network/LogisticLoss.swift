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
    /// numerator (no branch on the sign of `z`). The exponential is ``Exponential``'s: the same bits on every machine.
    @inlinable
    package static func derivative(_ z: Double) -> Double {
        let e = Exponential.exp(-abs(z))
        return -(z > 0 ? e : 1) / (1 + e)
    }

    /// ``derivative(_:)-swift.type.method`` of 8 values at once, each lane by the scalar's operations: `−|z|` and the
    /// numerator's `−` flip the sign bit, as the scalar's negations do (SIMD's prefix `−` is `0 − x`, which makes `+0`
    /// of `+0`).
    @inline(__always)
    package static func derivative(_ z: SIMD8<Double>) -> SIMD8<Double> {
        let signBit = SIMD8<UInt64>(repeating: 1 << 63)
        let bits = unsafeBitCast(z, to: SIMD8<UInt64>.self)
        let e = Exponential.exp(unsafeBitCast(bits | signBit, to: SIMD8<Double>.self))
        let numerator = unsafeBitCast(e.replacing(with: 1, where: .!(z .> 0)), to: SIMD8<UInt64>.self) ^ signBit
        return unsafeBitCast(numerator, to: SIMD8<Double>.self) / (1 + e)
    }
}
