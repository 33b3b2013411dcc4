/// The names of the transfer recipes of stage 3 (docs/model.md §11), as written in configs (`recipe:`).
public enum RecipeKind: String, Sendable, CaseIterable {
    /// §6 as it stands: inherit, then train every filter (`T_freeze`, `λ`).
    case finetune
    /// Filters and biases fixed after inheritance; a trainable head `a_{j,r}` learns with step `h η_2`.
    case linearProbe = "linear-probe"
    /// `linear-probe` for `probe_steps` steps, then filters and head together for `T_2` steps.
    case lpFt = "lp-ft"
    /// Frozen downstream start plus a trained low-rank update `(s/r) B_j A_j` per class.
    case lora
    /// `finetune` with the inherited filters pulled towards their inherited values by `(β_sp/2)‖w − w⁰‖²`.
    case l2sp
    /// A fresh student (the baseline's init) trained on soft labels from a teacher (`teacher`).
    case distill
}

/// How stage 3 uses the upstream model (docs/model.md §11), with the settings of that recipe alone.
///
/// A recipe's settings exist only under it: the config loader builds the payload from the flat keys
/// (`l2sp_strength`, `distill_weight`, …), and a key given for another recipe is refused whatever its value
/// (``ConfigField/recipes``). In `results.csv` a key of another recipe is written at its default (it has no effect).
public enum Recipe: Sendable, Equatable {
    /// `finetune`: §6.
    case finetune
    /// `linear-probe`: fixed filters, a trained head.
    case linearProbe(HeadTraining)
    /// `lp-ft`: linear probing for `probeSteps` (`T_p`) steps, then filters and head together for `T_2` steps.
    case lpFt(HeadTraining, probeSteps: Int)
    /// `lora`: a trained low-rank update of the frozen start.
    case lora(LowRankSettings)
    /// `l2sp`: `finetune` plus the pull `(β_sp/2)‖w − w⁰‖²` of strength `strength` (`β_sp`) on inherited filters.
    case l2sp(strength: Double)
    /// `distill`: a fresh student on a teacher's soft labels.
    case distill(DistillationSettings)

    /// The trainable head of `linear-probe` and `lp-ft` (`head_init`, `head_lr_scale`).
    public struct HeadTraining: Sendable, Equatable {
        /// How the head starts.
        public var start: HeadInit = .kappa
        /// `h`: the head trains with step `h η_2`.
        public var stepScale = 1.0
        /// The defaults: `a = κ`, `h = 1`.
        public init() {}
    }

    /// LoRA's settings (`lora_rank`, `lora_scale`, `lora_init`).
    public struct LowRankSettings: Sendable, Equatable {
        /// `r`, the rank.
        public var rank = 1
        /// `s`; nil is `r` (§11's default).
        public var scale: Double? = nil
        /// `σ_A`, the standard deviation of `A`; nil is `1/√d` (§11's default).
        public var initScale: Double? = nil
        /// The defaults: `r = 1`, `s = r`, `σ_A = 1/√d`.
        public init() {}
        /// `s` in force: the explicit value or `r`.
        public var resolvedScale: Double { scale ?? Double(rank) }
        /// `σ_A` in force at patch dimension `d`: the explicit value or `1/√d`.
        public func resolvedInitScale(dimension d: Int) -> Double { initScale ?? 1 / Double(d).squareRoot() }
    }

    /// Distillation's settings (`distill_weight`, `distill_temperature`, `teacher`).
    public struct DistillationSettings: Sendable, Equatable {
        /// `β`, the weight of the soft labels.
        public var weight = 0.5
        /// `τ`, the softening temperature.
        public var temperature = 1.0
        /// Whose soft labels.
        public var teacher: Teacher = .upstream
        /// The defaults: `β = 0.5`, `τ = 1`, teacher `upstream`.
        public init() {}
    }

    /// `lp-ft`'s default `T_p` (**choice**: 25, half the theory preset's `T_2`).
    public static let defaultProbeSteps = 25

    /// The recipe `kind` with its default settings.
    public init(_ kind: RecipeKind) {
        switch kind {
        case .finetune: self = .finetune
        case .linearProbe: self = .linearProbe(HeadTraining())
        case .lpFt: self = .lpFt(HeadTraining(), probeSteps: Self.defaultProbeSteps)
        case .lora: self = .lora(LowRankSettings())
        case .l2sp: self = .l2sp(strength: 0)
        case .distill: self = .distill(DistillationSettings())
        }
    }

    /// The recipe's name.
    public var kind: RecipeKind {
        switch self {
        case .finetune: return .finetune
        case .linearProbe: return .linearProbe
        case .lpFt: return .lpFt
        case .lora: return .lora
        case .l2sp: return .l2sp
        case .distill: return .distill
        }
    }

    /// Whether inherited filters are fine-tuned (`finetune`, `lp-ft`, `l2sp`): the recipes `freeze_steps` and
    /// `inherited_lr_scale` act under.
    public var finetunesInheritedFilters: Bool { kind == .finetune || kind == .lpFt || kind == .l2sp }

    // MARK: - The flat keys' views (the config table's accessors; a setter outside its recipe changes nothing)

    /// The head settings of `linear-probe` / `lp-ft`, else the defaults.
    var head: HeadTraining {
        get {
            switch self {
            case .linearProbe(let head), .lpFt(let head, _): return head
            default: return HeadTraining()
            }
        }
        set {
            switch self {
            case .linearProbe: self = .linearProbe(newValue)
            case .lpFt(_, let steps): self = .lpFt(newValue, probeSteps: steps)
            default: break
            }
        }
    }

    /// `T_p` of `lp-ft`, else the default.
    var probeSteps: Int {
        get {
            if case .lpFt(_, let steps) = self { return steps }
            return Self.defaultProbeSteps
        }
        set { if case .lpFt(let head, _) = self { self = .lpFt(head, probeSteps: newValue) } }
    }

    /// LoRA's settings, else the defaults.
    var lowRank: LowRankSettings {
        get {
            if case .lora(let settings) = self { return settings }
            return LowRankSettings()
        }
        set { if case .lora = self { self = .lora(newValue) } }
    }

    /// `β_sp` of `l2sp`, else 0.
    var l2spStrength: Double {
        get {
            if case .l2sp(let strength) = self { return strength }
            return 0
        }
        set { if case .l2sp = self { self = .l2sp(strength: newValue) } }
    }

    /// Distillation's settings, else the defaults.
    var distillation: DistillationSettings {
        get {
            if case .distill(let settings) = self { return settings }
            return DistillationSettings()
        }
        set { if case .distill = self { self = .distill(newValue) } }
    }

    /// The recipe named `kind`, keeping the settings when it is already that recipe.
    var named: RecipeKind {
        get { kind }
        set { if newValue != kind { self = Recipe(newValue) } }
    }
}

extension ExperimentConfig {
    /// LoRA's `s` in force (the default settings' under another recipe): `lora_scale`'s rendered value.
    var resolvedLoraScale: Double { recipe.lowRank.resolvedScale }
    /// LoRA's `σ_A` in force (the default settings' under another recipe): `lora_init`'s rendered value.
    var resolvedLoraInit: Double { recipe.lowRank.resolvedInitScale(dimension: d) }
}
