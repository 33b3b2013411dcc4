import Foundation

/// The tables of the ziggurat method for standard normal draws (Marsaglia & Tsang 2000), behind
/// ``Xoshiro256StarStar/normal()``.
///
/// The area under `f(x) = exp(−x²/2)`, `x ≥ 0`, is covered by 256 layers of equal area `v`: layer 0 is the
/// rectangle `[0, x₀] × [0, f(r)]` with `x₀ = v / f(r)`, which holds the tail beyond `r = x₁`; layer `i ≥ 1` is
/// `[0, x_i] × [f(x_i), f(x_{i+1})]` with `x_{i+1} = f⁻¹(v / x_i + f(x_i))`, `x₂₅₆ = 0`. A draw picks a layer `i`
/// and `x = U x_i`: it is accepted at once when `x < x_{i+1}` (the point lies under the curve whatever its height),
/// in layer 0 beyond `r` it is replaced by a tail draw (Marsaglia 1964: `x = −ln U₁ / r`, `y = −ln U₂`, accept when
/// `2y > x²`, return `r + x`), and otherwise it is accepted when a uniform height in `[f(x_i), f(x_{i+1})]` lies
/// below `f(x)`. Every branch is an exact rejection step, so the output is N(0, 1) up to the rounding of the tables.
///
/// `r` is solved for (bisection in double precision) so that the top layer's area `x₂₅₅ (1 − f(x₂₅₅))` equals
/// `v(r) = r f(r) + √(π/2) erfc(r/√2)`: the layers tile the area exactly, not to the 10 digits of the published
/// constants (`r ≈ 3.6541528853610088`).
struct Ziggurat: Sendable {
    /// Layer widths `x_0 … x_256` (`x_256 = 0`).
    let widths: [Double]
    /// `f(x_i)` for `i = 0 … 256` (`f(x_0) = f(r)`, `f(x_256) = 1`).
    let heights: [Double]
    /// Where the tail starts, `r = x_1`.
    let tailStart: Double

    /// The tables, computed once per process.
    static let standard = Ziggurat()

    private static func f(_ x: Double) -> Double { exp(-0.5 * x * x) }

    /// The layer widths for a tail start `r`, and how far the top layer's area exceeds `v(r)` (zero for the right `r`).
    private static func layers(tailStart r: Double) -> (widths: [Double], mismatch: Double) {
        let area = r * f(r) + (Double.pi / 2).squareRoot() * erfc(r / 2.0.squareRoot())
        var widths = [Double](repeating: 0, count: 257)
        widths[0] = area / f(r)
        widths[1] = r
        for i in 1..<255 {
            let height = area / widths[i] + f(widths[i])
            // Past the peak: r too small (v too large: the layers reach the top early, the last one too small).
            guard height < 1 else { return (widths, -.infinity) }
            widths[i + 1] = (-2 * log(height)).squareRoot()
        }
        return (widths, widths[255] * (1 - f(widths[255])) - area)
    }

    private init() {
        // The top layer's excess area grows with r (a larger r, thinner layers, a wider top one); bisect it to
        // zero between bracketing values.
        var low = 3.0, high = 4.0
        for _ in 0..<200 {
            let middle = 0.5 * (low + high)
            guard middle != low, middle != high else { break }
            if Self.layers(tailStart: middle).mismatch > 0 { high = middle } else { low = middle }
        }
        let widths = Self.layers(tailStart: high).widths
        tailStart = high
        self.widths = widths
        heights = widths.indices.map { $0 == 0 ? Self.f(high) : Self.f(widths[$0]) }
    }

    /// One N(0, 1) draw from `generator`: one 64-bit output per attempt (bits 0–7 the layer, bit 8 the sign, the top
    /// 53 the uniform), plus a uniform for a wedge test or two per tail attempt.
    ///
    /// The accepted-at-once case is inlined; the rest (about 1% of draws) takes the generator by value and returns
    /// it (``rejected(_:_:)``), so that a caller's generator never has its address taken and stays in registers.
    @inline(__always)
    func draw(_ generator: inout Xoshiro256StarStar) -> Double {
        let bits = generator.next()
        let (layer, x, sign) = candidate(bits)
        if x < widths[layer + 1] { return Self.signed(x, sign) }
        let (value, next) = rejected(bits, generator)
        generator = next
        return value
    }

    /// The layer, the point `x = U x_layer` and the sign bit (bit 63 set for −) that the 64 bits `bits` propose.
    @inline(__always)
    private func candidate(_ bits: UInt64) -> (layer: Int, x: Double, sign: UInt64) {
        let layer = Int(bits & 0xFF)
        return (layer, Double(bits >> 11) * 0x1.0p-53 * widths[layer], (bits & 0x100) << 55)
    }

    /// `magnitude ≥ 0` with the sign bit `sign`: `±1 · magnitude` exactly, without a branch on a coin flip.
    @inline(__always)
    private static func signed(_ magnitude: Double, _ sign: UInt64) -> Double {
        Double(bitPattern: magnitude.bitPattern | sign)
    }

    /// The draw from a proposal `bits` on: a point beyond the next layer's width goes to the tail (layer 0) or the
    /// wedge test, and a rejected one is followed by fresh proposals from `generator` until one is accepted.
    @inline(never)
    private func rejected(_ bits: UInt64, _ start: Xoshiro256StarStar) -> (Double, Xoshiro256StarStar) {
        var bits = bits, generator = start
        while true {
            let (layer, x, sign) = candidate(bits)
            if x < widths[layer + 1] { return (Self.signed(x, sign), generator) }
            if layer == 0 { return (Self.signed(tail(&generator), sign), generator) }
            let height = heights[layer] + generator.uniform() * (heights[layer + 1] - heights[layer])
            if height < exp(-0.5 * x * x) { return (Self.signed(x, sign), generator) }
            bits = generator.next()
        }
    }

    /// A draw of `|Z|` given `|Z| > r` (Marsaglia 1964), with `U ∈ (0, 1]` so that every logarithm is finite.
    private func tail(_ generator: inout Xoshiro256StarStar) -> Double {
        while true {
            let x = -log(1 - generator.uniform()) / tailStart
            let y = -log(1 - generator.uniform())
            if 2 * y > x * x { return tailStart + x }
        }
    }
}
