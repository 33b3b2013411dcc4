import Foundation

/// xoshiro256** 1.0 (Blackman & Vigna 2018), the generator behind every random draw of the simulator.
///
/// 256 bits of state, period 2²⁵⁶ − 1, output `rotl(s₁ · 5, 7) · 9`. The state is filled from a 64-bit
/// seed by four outputs of ``SplitMix64``, as the authors recommend. Given the same seed it yields the
/// same integer sequence on every platform. What is computed from it is bit-reproducible for one build of the
/// code and its libraries, not across them: normal draws go through libm's `exp` and `log` (the ziggurat's
/// tables and its rejection tests), and matrix products through OpenBLAS's CPU-specific kernels, whose last bits
/// may differ between library versions and processors (README "Reproducibility").
package struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose state is four SplitMix64 outputs from `seed`.
    package init(seed: UInt64) {
        var expander = SplitMix64(seed: seed)
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
    }

    /// A generator with the raw state `(s0, s1, s2, s3)` (not all zero), for reference test vectors.
    package init(state s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64) {
        precondition(s0 | s1 | s2 | s3 != 0, "xoshiro256** state must not be all zero")
        self.s0 = s0
        self.s1 = s1
        self.s2 = s2
        self.s3 = s3
    }

    /// Next 64 random bits.
    package mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, by: 45)
        return result
    }

    func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    // MARK: - Derived draws

    /// A uniform double in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³.
    package mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform sign ±1 from the top bit of ``next()``.
    package mutating func sign() -> Double {
        (next() >> 63) == 0 ? 1 : -1
    }

    /// A standard normal draw by the ziggurat method (``Ziggurat``; 256 layers, Marsaglia & Tsang 2000).
    package mutating func normal() -> Double {
        Ziggurat.standard.draw(&self)
    }

    /// Fills `buffer` with i.i.d. N(0, scale²) draws, in order: the values of `scale * normal()` called
    /// `buffer.count` times.
    package mutating func fillNormal(_ buffer: inout [Double], scale: Double = 1) {
        let ziggurat = Ziggurat.standard
        var state = self
        buffer.withUnsafeMutableBufferPointer { out in
            // A copy local to the loop keeps the state in registers (the same sequence as `self`'s).
            var generator = state
            for i in out.indices { out[i] = scale * ziggurat.draw(&generator) }
            state = generator
        }
        self = state
    }

    /// `count` i.i.d. N(0, scale²) draws, in order (the values ``fillNormal(_:scale:)`` writes), in storage that is not
    /// zeroed first: a large draw (a test set's `n_test × d` noise) is written once.
    package mutating func normals(count: Int, scale: Double = 1) -> [Double] {
        let ziggurat = Ziggurat.standard
        var state = self
        let values = [Double](unsafeUninitializedCapacity: count) { out, initialized in
            // `fillNormal`'s loop, repeated: both calling one shared loop took 2.05 ns a draw instead of 1.75 (`bench`).
            var generator = state
            for i in 0..<count { out[i] = scale * ziggurat.draw(&generator) }
            state = generator
            initialized = count
        }
        self = state
        return values
    }
}
