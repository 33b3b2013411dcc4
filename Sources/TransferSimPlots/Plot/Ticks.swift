import Foundation
import TransferSimAnalysis
import TransferSimFiles
import TransferSimSweeps

/// Round tick values for an axis: multiples of 1, 2 or 5 × 10ᵏ (the Heckbert "nice numbers" rule), so a
/// reader sees 0.45, 0.50, 0.55 rather than 0.471, 0.553.
enum Ticks {
    /// About `count` round values covering `[low, high]`, and the rounded range they span.
    static func nice(_ low: Double, _ high: Double, count: Int = 5) -> (values: [Double], low: Double, high: Double) {
        guard low.isFinite, high.isFinite, high > low else { return ([low], low - 0.5, low + 0.5) }
        let step = round((high - low) / Double(max(count - 1, 1)))
        let first = (low / step).rounded(.down) * step, last = (high / step).rounded(.up) * step
        let values = stride(from: first, through: last + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
        return (values, first, last)
    }

    /// Whole exponents covering `[low, high]` (log₁₀ values), for a logarithmic axis ticked at powers of ten.
    static func exponents(_ low: Double, _ high: Double) -> (values: [Double], low: Double, high: Double) {
        let first = low.rounded(.down), last = max(high.rounded(.up), first + 1)
        return (Array(stride(from: first, through: last, by: 1)), first, last)
    }

    /// The round step nearest `x`: 1, 2 or 5 × 10ᵏ.
    static func round(_ x: Double) -> Double {
        let exponent = (log10(x)).rounded(.down), fraction = x / pow(10, exponent)
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * pow(10, exponent)
    }

    /// A tick value printed without trailing noise (`0.30000000000000004` → `0.3`).
    static func label(_ value: Double) -> String {
        String(format: "%g", (value * 1e9).rounded() / 1e9)
    }
}
