import TransferSimCore

/// How a task's signal strength was given: as `‖v_k‖` or as `‖μ_k‖ = ‖u + v_k‖` (docs/model.md §1).
public enum SignalNorm: Sendable, Equatable {
    /// `‖v_k‖` given directly.
    case v(Double)
    /// `‖μ_k‖` given; `‖v_k‖ = √(‖μ_k‖² − ‖u‖²)`.
    case mu(Double)

    /// `‖v_k‖` for universal strength `uNorm` (negative radicands clamp to 0; validation rejects them first).
    public func vNorm(uNorm: Double) -> Double {
        switch self {
        case .v(let value): return value
        case .mu(let value): return max(value * value - uNorm * uNorm, 0).squareRoot()
        }
    }

    /// `‖μ_k‖` for universal strength `uNorm`.
    public func muNorm(uNorm: Double) -> Double {
        switch self {
        case .v(let value): return (value * value + uNorm * uNorm).squareRoot()
        case .mu(let value): return value
        }
    }
}

/// The named presets of docs/model.md §10.
public enum Preset: String, Sendable, CaseIterable {
    /// The theory setting (§3): `κ = 1/m`, no bias, Gaussian init, projected noise; defaults of §9.
    case theory
    /// Kou et al.'s released simulation: `κ = 1/2`, biases, PyTorch uniform init, isotropic noise.
    case kou2023Code = "kou2023-code"
}

/// How a trainable head starts (docs/model.md §11, `head_init`).
public enum HeadInit: String, Sendable, CaseIterable {
    /// `a_{j,r} = κ`: the model starts as §3's.
    case kappa
    /// `a_{j,r} = 0`: a new head.
    case zero
}

/// The teacher of recipe `distill` (docs/model.md §11, `teacher`).
public enum Teacher: String, Sendable, CaseIterable {
    /// The upstream model as it is.
    case upstream
    /// The `finetune` transfer model of §6 (its metrics are the `teacher_*` columns).
    case transfer
}

/// Initialisation scheme names as written in configs (see ``Initialization``).
public enum InitKind: String, Sendable, CaseIterable {
    /// `N(0, σ_0²)`.
    case gaussian
    /// `U(−1/√d, 1/√d)` for weights and biases.
    case pytorchUniform = "pytorch-uniform"
}

/// Every setting of one experiment (`docs/config.md`), with the `theory` preset's defaults.
///
/// Keys, meanings and ranges are listed once, in ``ConfigField/all``; docs/config.md's key table is
/// printed from it by `transfersim keys`.
public struct ExperimentConfig: Sendable, Equatable {
    /// Preset the values started from.
    public var preset: Preset = .theory
    /// Base seed of every random stream.
    public var seed: UInt64 = 0
    /// Replicate index `r`: streams derive from `(seed, r)`; a sweep's replicates are `0..<replicates`.
    public var replicate = 0
    /// Patch dimension `d`.
    public var d = 400
    /// Filters per class `m`.
    public var m = 10
    /// `‖u‖`.
    public var uNorm = 1.5
    /// Task-1 signal strength (`v1_norm` or `mu1_norm`).
    public var v1: SignalNorm = .v(2)
    /// Task-2 signal strength (`v2_norm` or `mu2_norm`).
    public var v2: SignalNorm = .mu(2.5)
    /// `c = cos(v_1, v_2)`.
    public var cosV1V2 = 0.0
    /// `N_1`.
    public var n1 = 300
    /// `N_2`.
    public var n2 = 20
    /// `σ_{p,1}`.
    public var sigmaP1 = 1.0
    /// `σ_{p,2}`.
    public var sigmaP2 = 1.0
    /// `p_1`.
    public var flip1 = 0.1
    /// `p_2`.
    public var flip2 = 0.1
    /// Projected or isotropic noise.
    public var noise: NoiseKind = .projected
    /// Initialisation scheme.
    public var initKind: InitKind = .gaussian
    /// `σ_0` for Gaussian init.
    public var sigma0 = 0.01
    /// Trainable biases.
    public var bias = false
    /// `κ`; `nil` means `1/m`.
    public var outputScale: Double? = nil
    /// `η_1`.
    public var eta1 = 1.0
    /// `η_2`.
    public var eta2 = 1.0
    /// `T_1`.
    public var steps1 = 1000
    /// `T_2`.
    public var steps2 = 50
    /// `α`.
    public var alpha = 1.0
    /// Filter or entry inheritance.
    public var inheritUnit: InheritanceUnit = .filter
    /// Random or first filters.
    public var inheritSelection: InheritanceSelection = .random
    /// `T_freeze`.
    public var freezeSteps = 0
    /// `λ`.
    public var inheritedLrScale = 1.0
    /// Test-error estimator.
    public var evaluation: EvaluationMethod = .population
    /// Test points for `sample`.
    public var nTest = 1000
    /// Gaussian draws for `population`.
    public var populationDraws = 10000
    /// History logging interval.
    public var logEvery = 10
    /// Gradient-descent engine (weight space, span, or chosen by cost).
    public var engine: Engine = .auto
    /// `ε` of the upstream stage (docs/model.md §12); 0 is off.
    public var targetLoss1 = 0.0
    /// `ε` of the task-2 stages (transfer and baseline); 0 is off.
    public var targetLoss2 = 0.0
    /// The transfer recipe with its settings (§11).
    public var recipe: Recipe = .finetune

    /// Whether the upstream model is trained: something is inherited (`α > 0`) or it is the distillation teacher
    /// (teacher `upstream`; teacher `transfer` inherits from it, so it needs `α > 0` like finetune).
    public var needsUpstream: Bool {
        if case .distill(let settings) = recipe, settings.teacher == .upstream { return true }
        return alpha > 0
    }

    /// The `theory` preset's defaults.
    public init() {}

    /// The defaults of `preset` (docs/model.md §9, §10).
    ///
    /// `kou2023-code` changes, from the theory defaults: `κ = 1/2`, biases on, PyTorch uniform init,
    /// isotropic noise, `N_1 = N_2 = 20`, `η_1 = η_2 = 0.1`, `T_1 = T_2 = 100`, `sample` evaluation with
    /// `n_test = 1000` (m = 10, σ_p = 1, p = 0.1 as in the theory defaults).
    public init(preset: Preset) {
        self.init()
        self.preset = preset
        if preset == .kou2023Code {
            outputScale = 0.5
            bias = true
            initKind = .pytorchUniform
            noise = .isotropic
            n1 = 20
            n2 = 20
            eta1 = 0.1
            eta2 = 0.1
            steps1 = 100
            steps2 = 100
            evaluation = .sample
        }
    }

    // MARK: - Derived quantities

    /// `κ` in force: the explicit value or `1/m`.
    public var resolvedOutputScale: Double { outputScale ?? 1 / Double(m) }

    /// The signals of both tasks.
    package var signals: Signals {
        Signals(uNorm: uNorm, v1Norm: v1.vNorm(uNorm: uNorm), v2Norm: v2.vNorm(uNorm: uNorm), cosine: cosV1V2)
    }

    /// The network of both tasks.
    package var architecture: Architecture {
        Architecture(filtersPerClass: m, dimension: d, outputScale: resolvedOutputScale, hasBias: bias)
    }

    /// The initialisation scheme.
    package var initialization: Initialization {
        initKind == .gaussian ? .gaussian(sigma0: sigma0) : .pytorchUniform
    }

    /// The data distribution of task `k`.
    package func distribution(_ task: Signals.Task) -> TaskDistribution {
        TaskDistribution(
            task: task, signals: signals, dimension: d,
            noiseLevel: task == .one ? sigmaP1 : sigmaP2,
            flipRate: task == .one ? flip1 : flip2, noise: noise)
    }

    /// The inheritance rule.
    package var inheritance: Inheritance {
        Inheritance(alpha: alpha, unit: inheritUnit, selection: inheritSelection)
    }

    // MARK: - Cross-field validation

    /// Checks the constraints that involve several keys (single-key ranges are checked on parsing).
    ///
    /// - Throws: ``ConfigError`` naming the key.
    public func validate() throws {
        for (k, norm) in [(1, v1), (2, v2)] {
            if case .mu(let value) = norm, value < uNorm {
                throw ConfigError(key: "mu\(k)_norm", "must be ≥ u_norm (= \(uNorm)), got \(value)")
            }
        }
        let required = signals.requiredDimension
        if d < required {
            throw ConfigError(
                key: "d", "must be ≥ \(required) (the nonzero signals use coordinate axes 0..\(required - 1)), got \(d)"
            )
        }
        if freezeSteps > steps2 {
            throw ConfigError(key: "freeze_steps", "must lie in [0, steps2 = \(steps2)], got \(freezeSteps)")
        }
        try validateRecipeKeys()
        if case .l2sp(let strength) = recipe, eta2 * inheritedLrScale * strength >= 2 {
            throw ConfigError(
                key: "l2sp_strength",
                "must keep η_2 · λ · l2sp_strength < 2 (gradient descent on the pull overshoots and grows beyond it), got \(strength) with eta2 = \(eta2), inherited_lr_scale = \(inheritedLrScale)"
            )
        }
        if recipe.kind == .l2sp && inheritUnit == .entry {
            throw ConfigError(
                key: "recipe",
                "l2sp pulls whole inherited filters towards their inherited values; use inherit_unit: filter")
        }
        if inheritUnit == .entry && (freezeSteps != 0 || inheritedLrScale != 1) {
            throw ConfigError(
                key: "inherit_unit",
                "entry inheritance needs freeze_steps = 0 and inherited_lr_scale = 1 (they act on whole inherited filters); use inherit_unit: filter"
            )
        }
    }
}

extension ExperimentConfig {
    /// The rules of docs/model.md §11 that involve a recipe's settings and other keys: LoRA's rank is at most
    /// `min(m, d)`, and `freeze_steps` / `inherited_lr_scale` act only under recipes that fine-tune inherited filters
    /// (they are keys of §6, so they are checked by value: their defaults change nothing under any recipe). A key of
    /// another recipe cannot reach here: the loader refuses it (``ConfigField/recipes``).
    func validateRecipeKeys() throws {
        if case .lora(let settings) = recipe, settings.rank > min(m, d) {
            throw ConfigError(key: "lora_rank", "must lie in [1, min(m, d) = \(min(m, d))], got \(settings.rank)")
        }
        if !recipe.finetunesInheritedFilters && (freezeSteps != 0 || inheritedLrScale != 1) {
            throw ConfigError(
                key: freezeSteps != 0 ? "freeze_steps" : "inherited_lr_scale",
                "applies to recipes that fine-tune inherited filters (finetune, lp-ft, l2sp); recipe \(recipe.kind.rawValue) does not"
            )
        }
    }
}
