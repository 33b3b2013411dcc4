import TransferSimCore

/// What a config key determines: the single source of "which key changes what" (``ConfigField/affects``).
///
/// The upstream model's identity (``ExperimentConfig/upstreamKey``, shared across a sweep's cells) and the
/// layout part of every random stream's seed (``ExperimentConfig/streamLayout(_:)``) are derived from these
/// declarations; a test fails when a key is added without one, and checks each declaration by perturbing
/// the key.
package enum Influence: Hashable, Sendable {
    /// Every random stream (the base seed and the replicate index).
    case streams
    /// The layout of this role's draws: the key enters the stream's seed, so a change redraws it (values that
    /// only scale or transform draws are left out, which gives common random numbers across cells).
    case layout(StreamSeed.Role)
    /// The upstream stage: task-1 data, initialisation, training, its history and its test error.
    case upstream
    /// The transfer and baseline stages (task-2 training, inheritance, history).
    case downstream
    /// The task-2 test error estimate.
    case evaluation

    /// The layouts of every role (for `d`, which lays out every draw).
    package static let everyLayout: [Influence] = StreamSeed.Role.allCases.map { .layout($0) }
}

extension ConfigField {
    /// This field with its influences declared (and, for stream layouts, the name it has there when that
    /// differs from the key, e.g. `unit` for `inherit_unit`).
    func affecting(_ influences: [Influence], layoutName: String? = nil) -> ConfigField {
        var copy = self
        copy.affects = Set(influences)
        copy.layoutName = layoutName ?? key
        return copy
    }
}

extension ConfigField {
    /// The fields of ``ExperimentConfig/upstreamKey``, in table order (derived once).
    static let upstreamFields = all.filter { !$0.affects.isDisjoint(with: [.upstream, .streams]) }

    /// The fields of each role's ``ExperimentConfig/streamLayout(_:)``, in table order (derived once).
    static let layoutFields = Dictionary(
        uniqueKeysWithValues: StreamSeed.Role.allCases.map { role in
            (role, all.filter { $0.affects.contains(.layout(role)) })
        })
}

extension ExperimentConfig {
    /// The values the upstream stage depends on — every key declaring ``Influence/upstream`` or
    /// ``Influence/streams`` — as `key=value;…`: two configs with the same key train the identical upstream
    /// model, which a sweep then trains once.
    package var upstreamKey: String {
        ConfigField.upstreamFields.map { "\($0.key)=\($0.render(self))" }.joined(separator: ";")
    }

    /// The layout part of a stream key: `name=value` of every key declaring ``Influence/layout(_:)`` for
    /// `role`, in table order — `d` for data (samples are nested in `N`, flips monotone in `p`); `d, m, init`
    /// for initialisations; `d, m, unit, selection` for inheritance (filter subsets are nested in `α`);
    /// `d, m, evaluation` for test draws.
    package func streamLayout(_ role: StreamSeed.Role) -> String {
        (ConfigField.layoutFields[role] ?? []).map { "\($0.layoutName)=\($0.render(self))" }.joined(separator: ",")
    }
}
