/// Derivation of independent named random streams from a base seed.
///
/// A stream is identified by a path of labels from the base seed, e.g. `seed → "upstream-data"`.
/// `derive(seed, label) = mix(mix(seed + φ) ⊕ fnv1a64(label))`, with `mix` the SplitMix64 finaliser and
/// φ = 0x9E3779B97F4A7C15. Derivations compose (`derive(derive(s, "replicate-3"), "test")`), so a stream
/// depends only on its path, never on how many draws other streams made or on thread scheduling.
package enum StreamSeed {
    /// The stream roles of one experiment (docs/model.md §6, §7), each an independent generator.
    package enum Role: String, CaseIterable, Sendable {
        /// Task-1 training set.
        case upstreamData = "upstream-data"
        /// Upstream model's initial filters.
        case upstreamInit = "upstream-init"
        /// Task-2 training set.
        case downstreamData = "downstream-data"
        /// Fresh initialisation shared by the transfer model's non-inherited part and the baseline.
        case downstreamInit = "downstream-init"
        /// Which filters (or entries) are inherited.
        case inheritance = "inheritance"
        /// Task-2 test draws (shared by transfer and baseline).
        case test = "test"
        /// Task-1 test draws (upstream evaluation).
        case upstreamTest = "upstream-test"
        /// LoRA's `A` (recipe `lora`, docs/model.md §11).
        case loraInit = "lora-init"
    }

    /// The seed of stream `label` under `seed`.
    package static func derive(_ seed: UInt64, _ label: String) -> UInt64 {
        SplitMix64.mix(SplitMix64.mix(seed &+ 0x9E37_79B9_7F4A_7C15) ^ fnv1a64(label))
    }

    /// 64-bit FNV-1a hash of the UTF-8 bytes of `text`.
    package static func fnv1a64(_ text: String) -> UInt64 { fnv1a64(bytes: text.utf8) }

    /// 64-bit FNV-1a hash of `bytes`: `h ← (h ⊕ b) · 0x100000001B3` from `h = 0xCBF29CE484222325`. Each step is a
    /// bijection of `h`, so changing any one byte always changes the hash.
    package static func fnv1a64<Bytes: Sequence>(bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
