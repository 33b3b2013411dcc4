import TransferSimCore

extension ExperimentConfig {
    /// The seed of stream `role` for this config (docs/model.md §6–§7 draws).
    ///
    /// `derive(derive(seed, "replicate-r"), "<role>|<layout>")`, where the layout lists only the values
    /// that change how the stream's draws are laid out (``streamLayout(_:)``). Parameters that merely scale
    /// or transform the draws (`σ_p`, `p`, `‖u‖`, `σ_0`, `α`, …) are not part of the key, so cells that
    /// differ only in them see the same underlying random numbers (common random numbers), and a cell's
    /// streams never depend on which other cells a sweep contains or on the thread that runs it.
    package func streamSeed(_ role: StreamSeed.Role) -> UInt64 {
        Self.streamSeed(role, seed: seed, replicate: replicate, layout: streamLayout(role))
    }

    /// ``streamSeed(_:)`` of a config with base seed `seed`, replicate `replicate` and ``streamLayout(_:)`` `layout`
    /// for `role`: a sweep renders a cell's layouts once for all its replicates.
    package static func streamSeed(_ role: StreamSeed.Role, seed: UInt64, replicate: Int, layout: String) -> UInt64 {
        let replicateSeed = StreamSeed.derive(seed, "replicate-\(replicate)")
        return StreamSeed.derive(replicateSeed, role.rawValue + "|" + layout)
    }
}
