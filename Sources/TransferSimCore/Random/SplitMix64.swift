/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit generator used here only to expand seeds.
///
/// `state ← state + 0x9E3779B97F4A7C15`, output `mix(state)` with the finaliser below. It seeds
/// ``Xoshiro256StarStar`` (as its authors recommend) and mixes seed components in ``StreamSeed``.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    /// Current state.
    package private(set) var state: UInt64

    /// A generator starting from `seed`.
    package init(seed: UInt64) { state = seed }

    /// The SplitMix64 output finaliser: a bijective avalanche mix of 64 bits.
    @inlinable
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }
}
