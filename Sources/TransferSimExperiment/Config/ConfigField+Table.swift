import TransferSimCore

extension ConfigField {
    /// Every config key of `docs/config.md`, in the order they are written out.
    package static let all: [ConfigField] = [
        ConfigField(
            key: "preset",
            meaning: "named preset the defaults come from (docs/model.md §10); explicit keys override it",
            range: "one of " + Preset.allCases.map(\.rawValue).joined(separator: ", "),
            assign: { config, text in
                guard let preset = Preset(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigError(
                        key: "preset",
                        "must be one of \(Preset.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
                }
                config.preset = preset
            }, render: { $0.preset.rawValue }),
        ConfigField(
            key: "seed", meaning: "base seed of every random stream", range: "an integer in [0, 2⁶⁴ − 1]",
            assign: { config, text in
                guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ConfigError(key: "seed", "must be an integer in [0, 2⁶⁴ − 1], got '\(text)'")
                }
                config.seed = seed
            }, render: { String($0.seed) }
        ).affecting([.streams]),
        integer(
            "replicate",
            "replicate index r; every stream derives from (seed, r), so a sweep row is reproduced by run with its seed and replicate",
            "an integer in [0, 10⁹]", \.replicate
        ) { (0...1_000_000_000).contains($0) }.affecting([.streams]),
        integer("d", "patch dimension d", "an integer in [1, 10⁹] (and ≥ the axes the nonzero signals use)", \.d) {
            (1...1_000_000_000).contains($0)
        }.affecting([.upstream, .downstream, .evaluation] + Influence.everyLayout),
        integer("m", "filters per class m", "an integer in [1, 10⁶]", \.m) { (1...1_000_000).contains($0) }.affecting([
            .upstream, .downstream, .evaluation, .layout(.upstreamInit), .layout(.downstreamInit),
            .layout(.inheritance), .layout(.test), .layout(.upstreamTest),
        ]),
        real("u_norm", "‖u‖, universal signal strength shared by both tasks", "a number in [0, 1e50]", \.uNorm) {
            $0 >= 0
        }.affecting([.upstream, .downstream, .evaluation]),
        signal(1, mu: false, \.v1).affecting([.upstream]),
        signal(2, mu: false, \.v2).affecting([.downstream, .evaluation]),
        signal(1, mu: true, \.v1).affecting([.upstream]),
        signal(2, mu: true, \.v2).affecting([.downstream, .evaluation]),
        real("cos_v1_v2", "c = cos(v_1, v_2)", "a number in [-1, 1]", \.cosV1V2) { abs($0) <= 1 }.affecting([
            .upstream, .downstream, .evaluation,
        ]),
        integer("n1", "N_1, upstream (task-1) training samples", "an integer in [1, 10⁹]", \.n1) {
            (1...1_000_000_000).contains($0)
        }.affecting([.upstream]),
        integer("n2", "N_2, downstream (task-2) training samples", "an integer in [1, 10⁹]", \.n2) {
            (1...1_000_000_000).contains($0)
        }.affecting([.downstream]),
        real("sigma_p1", "σ_{p,1}, task-1 noise level", "a number in (0, 1e50]", \.sigmaP1) { $0 > 0 }.affecting([
            .upstream
        ]),
        real("sigma_p2", "σ_{p,2}, task-2 noise level", "a number in (0, 1e50]", \.sigmaP2) { $0 > 0 }.affecting([
            .downstream, .evaluation,
        ]),
        real("flip1", "p_1, task-1 label-flip rate", "a number in [0, 0.5)", \.flip1) { $0 >= 0 && $0 < 0.5 }.affecting(
            [.upstream]),
        real("flip2", "p_2, task-2 label-flip rate (train and test)", "a number in [0, 0.5)", \.flip2) {
            $0 >= 0 && $0 < 0.5
        }.affecting([.downstream, .evaluation]),
        choice("noise", "noise patch: projected ξ = σ_p (I − P_k) g, or isotropic ξ = σ_p g", \.noise).affecting([
            .upstream, .downstream, .evaluation,
        ]),
        choice("init", "fresh filters: gaussian N(0, σ_0²) (biases 0) or pytorch-uniform U(−1/√d, 1/√d)", \.initKind)
            .affecting([.upstream, .downstream, .layout(.upstreamInit), .layout(.downstreamInit)]),
        real("sigma0", "σ_0, init scale for gaussian", "a number in (0, 1e50]", \.sigma0) { $0 > 0 }.affecting([
            .upstream, .downstream,
        ]),
        ConfigField(
            key: "bias", meaning: "trainable biases b_{j,r}", range: "true or false",
            assign: { config, text in
                switch text.trimmingCharacters(in: .whitespaces).lowercased() {
                case "true", "yes", "on": config.bias = true
                case "false", "no", "off": config.bias = false
                default: throw ConfigError(key: "bias", "must be true or false, got '\(text)'")
                }
            }, render: { String($0.bias) }
        ).affecting([.upstream, .downstream]),
        ConfigField(
            key: "output_scale", meaning: "κ, fixed second-layer scale (default 1/m)", range: "a number in (0, 1e50]",
            assign: { config, text in
                guard let value = parseReal(text), value > 0 else {
                    throw ConfigError(key: "output_scale", "must be a number in (0, 1e50], got '\(text)'")
                }
                config.outputScale = value
            }, render: { format($0.resolvedOutputScale) }
        ).affecting([.upstream, .downstream]),
        real("eta1", "η_1, upstream step size", "a finite number > 0 (a huge step diverges)", \.eta1, bounded: false) {
            $0 > 0
        }.affecting([.upstream]),
        real("eta2", "η_2, downstream step size", "a finite number > 0 (a huge step diverges)", \.eta2, bounded: false)
        { $0 > 0 }.affecting([.downstream]),
        integer("steps1", "T_1, upstream gradient-descent steps", "an integer in [0, 10⁹]", \.steps1) {
            (0...1_000_000_000).contains($0)
        }.affecting([.upstream]),
        integer("steps2", "T_2, downstream gradient-descent steps", "an integer in [0, 10⁹]", \.steps2) {
            (0...1_000_000_000).contains($0)
        }.affecting([.downstream]),
        real("alpha", "α, inherited fraction of the upstream weights", "a number in [0, 1]", \.alpha) {
            $0 >= 0 && $0 <= 1
        }.affecting([.downstream]),
        choice(
            "inherit_unit", "unit inherited: whole filters (round(α m) per class) or single entries (probability α)",
            \.inheritUnit
        ).affecting([.downstream, .layout(.inheritance)], layoutName: "unit"),
        choice("inherit_selection", "which filters: random per class, or the first ones", \.inheritSelection).affecting(
            [.downstream, .layout(.inheritance)], layoutName: "selection"),
        integer(
            "freeze_steps", "T_freeze, downstream steps during which inherited filters stay fixed",
            "an integer in [0, steps2]", \.freezeSteps
        ) { $0 >= 0 }.affecting([.downstream]),
        real(
            "inherited_lr_scale", "λ, step multiplier for inherited filters", "a finite number ≥ 0", \.inheritedLrScale,
            bounded: false
        ) { $0 >= 0 }.affecting([.downstream]),
        choice(
            "evaluation", "test-error estimator: population (Gaussian pre-activations) or sample (fresh test set)",
            \.evaluation
        ).affecting([.upstream, .evaluation, .layout(.test), .layout(.upstreamTest)]),
        integer("n_test", "test points for evaluation: sample", "an integer in [1, 10⁹]", \.nTest) {
            (1...1_000_000_000).contains($0)
        }.affecting([.upstream, .evaluation]),
        integer(
            "population_draws", "Gaussian draws for evaluation: population", "an integer in [1, 10⁹]", \.populationDraws
        ) { (1...1_000_000_000).contains($0) }.affecting([.upstream, .evaluation]),
        integer("log_every", "history.csv logging interval in steps", "an integer in [1, 10⁹]", \.logEvery) {
            (1...1_000_000_000).contains($0)
        }.affecting([.upstream, .downstream]),
        real(
            "target_loss1",
            "ε_1, stop the upstream stage at the first step whose training loss is ≤ ε_1 (docs/model.md §12; 0 = off; steps1 is then a cap)",
            "a number in [0, 1e50]", \.targetLoss1
        ) { $0 >= 0 }.affecting([.upstream]).neutral("0.0"),
        real(
            "target_loss2", "ε_2, the same for the transfer and baseline stages (0 = off; steps2 is then a cap)",
            "a number in [0, 1e50]", \.targetLoss2
        ) { $0 >= 0 }.affecting([.downstream]).neutral("0.0"),
        choice(
            "recipe",
            "transfer recipe of stage 3 (docs/model.md §11): finetune (§6), linear-probe (fixed filters, trained head), lp-ft (probe, then fine-tune filters and head), lora (low-rank update of the frozen start), l2sp (inherited filters pulled towards their inherited values) or distill (a fresh student on a teacher's soft labels)",
            \.recipe.named
        )
        .affecting([.downstream]).neutral("finetune"),
        choice(
            "head_init",
            "how the trainable head starts (linear-probe, lp-ft): kappa (a = κ, the model starts as §3's) or zero",
            \.recipe.head.start
        )
        .affecting([.downstream]).neutral("kappa").only([.linearProbe, .lpFt]),
        real(
            "head_lr_scale", "h, the head's step multiplier: it trains with step h η_2 (linear-probe, lp-ft)",
            "a number in (0, 1e50]", \.recipe.head.stepScale
        ) { $0 > 0 }
        .affecting([.downstream]).neutral("1.0").only([.linearProbe, .lpFt]),
        integer(
            "probe_steps", "T_p, linear-probing steps before fine-tuning (lp-ft; default 25)", "an integer in [0, 10⁹]",
            \.recipe.probeSteps
        ) { (0...1_000_000_000).contains($0) }
        .affecting([.downstream]).neutral("25").only([.lpFt]),
        integer("lora_rank", "r, LoRA's rank (lora; default 1)", "an integer in [1, min(m, d)]", \.recipe.lowRank.rank) {
            (1...1_000_000).contains($0)
        }
        .affecting([.downstream, .layout(.loraInit)]).neutral("1").only([.lora]),
        optionalReal(
            "lora_scale", "s, LoRA's scale: the update is (s/r) B A (lora; default r)", \.recipe.lowRank.scale,
            resolved: \.resolvedLoraScale
        )
        .affecting([.downstream]).neutral("default").only([.lora]),
        optionalReal(
            "lora_init", "σ_A, standard deviation of LoRA's A (lora; default 1/√d)", \.recipe.lowRank.initScale,
            resolved: \.resolvedLoraInit
        )
        .affecting([.downstream]).neutral("default").only([.lora]),
        real(
            "l2sp_strength", "β_sp, pull of inherited filters towards their inherited values (recipe l2sp; 0 = none)",
            "a number in [0, 1e50]", \.recipe.l2spStrength
        ) { $0 >= 0 }.affecting([.downstream]).neutral("0.0").only([.l2sp]),
        real(
            "distill_weight", "β, weight of the soft-label term (recipe distill; default 0.5)", "a number in [0, 1]",
            \.recipe.distillation.weight
        ) { (0...1).contains($0) }
        .affecting([.downstream]).neutral("0.5").only([.distill]),
        real(
            "distill_temperature", "τ, softening temperature (recipe distill; default 1)", "a number in (0, 1e50]",
            \.recipe.distillation.temperature
        ) { $0 > 0 }
        .affecting([.downstream]).neutral("1.0").only([.distill]),
        choice(
            "teacher",
            "teacher of distill: upstream (the upstream model) or transfer (the finetune transfer model, reported as teacher_* columns)",
            \.recipe.distillation.teacher
        )
        .affecting([.downstream]).neutral("upstream").only([.distill]),
        choice(
            "engine",
            "gradient descent on the filters (weight), on their coefficients in the span of the patches (span, O(m N²) per step), or auto: the one with fewer FLOPs (span when N < 2d for long runs); equal up to rounding",
            \.engine
        ).affecting([.upstream, .downstream]),
    ]

    /// The field named `key`, if any.
    package static func named(_ key: String) -> ConfigField? {
        all.first { $0.key == key }
    }
}

extension ConfigField {
    /// The Markdown table of every key with its `theory` and `kou2023-code` defaults, meaning and range
    /// (printed by `transfersim keys`, embedded in docs/config.md).
    package static var markdownTable: String {
        let theory = ExperimentConfig(preset: .theory)
        let kou = ExperimentConfig(preset: .kou2023Code)
        var lines = ["| key | theory default | kou2023-code default | meaning | range |", "|---|---|---|---|---|"]
        for field in all {
            lines.append(
                "| `\(field.key)` | \(field.render(theory)) | \(field.render(kou)) | \(field.meaning) | \(field.range) |"
            )
        }
        return lines.joined(separator: "\n")
    }
}
