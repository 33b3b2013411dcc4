import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps
import Yams

/// A claims file (`transfersim verify --claims FILE`): claims a user writes as data, each with the sweep that tests
/// it and how it is judged, so adding a claim needs no Swift. `experiments/claims/paper.yaml` is an example.
///
///     claims:
///       - id: kou-benign                      # a name for the report and the sweep directory
///         claim: "Large S₂ means benign overfitting (Kou et al. Theorem 4.3)"
///         sweep: ../kou2023-quick.yaml        # a sweep config file (relative to this file) or an inline mapping
///         condition: "kou_stat_2 >= 40"        # (a) per cell: where the condition holds …
///         conclusion: "baseline_clean_test_error_mean <= 0.05"   # … the conclusion must hold
///         fraction: 0.95                      #     in at least this fraction of those cells (default 1)
///       - id: gain-rises-with-u
///         sweep: {…}
///         trend: {metric: transfer_gain, along: u_norm, direction: increasing}   # (b) paired tests
///         # optional in a trend: theory: "d >= n1^2" — the theorem's condition, marked on the regime map
///       - id: kou-boundary
///         sweep: …
///         boundary: {statistic: kou_stat_2, rule: dichotomy, free: [d, mu2_norm], accuracy: 0.9}   # (c) fitted
///       - id: signal-noise-scaling
///         sweep: …
///         scaling: {metric: baseline_signal_noise_ratio_mean, against: "n2 * mu2_norm^2 / (sigma_p2^2 * d)", slope: 1}   # (d)
///
/// Expressions (``ClaimExpression``) may name config keys, theory statistics and `summary.csv` columns; every name and
/// the syntax are checked when the file is loaded, before any sweep runs.
package struct ClaimsFile: Sendable {
    /// How a claim is judged.
    package enum Judge: Sendable {
        /// (a) In every cell where `condition` holds, `conclusion` holds (in at least `fraction` of them).
        case condition(
            condition: ClaimExpression, conditionText: String, conclusion: ClaimExpression, conclusionText: String,
            fraction: Double)
        /// (b) `metric` increases (or decreases) along `along`: consecutive values compared by paired tests, also judged
        /// per regime (each combination of the other axes; `claims/<id>.csv`, and a map when there are two), with the
        /// theorem's condition `theory` (if given) evaluated per regime.
        case trend(metric: String, along: String, increasing: Bool, theory: ClaimExpression?, theoryText: String?)
        /// (c) The boundary `statistic = C` classifies at least `accuracy` of the labelled cells; with `free`, the
        /// fitted exponent ratios must contain the statistic's.
        case boundary(BoundarySpec, free: [String], accuracy: Double)
        /// (d) `metric` scales as `against^slope` over the cells: the log–log slope's 95% interval (``ScalingFit``) must
        /// contain `slope`.
        case scaling(metric: String, against: ClaimExpression, againstText: String, slope: Double)
    }

    /// One claim.
    package struct Claim: Sendable {
        package let id: String
        package let statement: String
        /// The sweep config file (a file given inline is written next to the report).
        let sweep: SweepSource
        let judge: Judge
    }

    /// Where a claim's sweep comes from.
    package enum SweepSource: Sendable {
        case file(String)
        case inline(String)
    }

    package let claims: [Claim]

    /// Reads and checks `path`.
    ///
    /// - Throws: ``ConfigError`` naming the claim's field (`claims[2].condition`), with the position of a syntax error
    ///   or an unknown name.
    package init(path: String) throws {
        let mapping = try ConfigLoader.readMapping(path: path)
        guard let list = mapping.first(where: { $0.key == "claims" })?.node.sequence, mapping.count == 1 else {
            throw ConfigError(key: path, "must be a mapping with one key, claims:, holding a list of claims")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let names = Set(ConfigField.all.map(\.key) + TheoryStatistic.all.map(\.name) + SweepSummary.header)
        var seen = Set<String>()
        claims = try list.enumerated().map { index, node in
            let at = "claims[\(index)]"
            guard let fields = node.mapping else { throw ConfigError(key: at, "must be a mapping") }
            let text = { (name: String) in fields[name]?.scalar?.string }
            let known: Set<String> = [
                "id", "claim", "sweep", "condition", "conclusion", "fraction", "trend", "boundary", "scaling",
            ]
            for key in fields.keys.compactMap(\.string) where !known.contains(key) {
                throw ConfigError(
                    key: "\(at).\(key)", "unknown field; allowed: \(known.sorted().joined(separator: ", "))")
            }
            guard let id = text("id"), id.range(of: #"^[A-Za-z0-9_.-]+$"#, options: .regularExpression) != nil else {
                throw ConfigError(key: "\(at).id", "must be a name of letters, digits, _ . -")
            }
            guard seen.insert(id).inserted else { throw ConfigError(key: "\(at).id", "'\(id)' is used twice") }
            guard let sweepNode = fields["sweep"] else {
                throw ConfigError(key: "\(at).sweep", "is required: a sweep config file or an inline mapping")
            }
            let sweep: SweepSource
            if let file = sweepNode.scalar?.string {
                sweep = .file(URL(fileURLWithPath: file, relativeTo: folder).standardizedFileURL.path)
            } else if sweepNode.mapping != nil {
                sweep = .inline(try Yams.serialize(node: sweepNode))
            } else {
                throw ConfigError(key: "\(at).sweep", "must be a file name or a mapping")
            }
            let judges = ["condition", "trend", "boundary", "scaling"].filter { fields[$0] != nil }
            guard judges.count == 1 else {
                throw ConfigError(key: at, "needs exactly one of condition (with conclusion), trend, boundary, scaling")
            }
            let judge: Judge
            switch judges[0] {
            case "condition":
                guard let condition = text("condition"), let conclusion = text("conclusion") else {
                    throw ConfigError(key: "\(at).conclusion", "a condition needs a conclusion (both expressions)")
                }
                let parsedCondition = try ClaimExpression(parsing: condition, key: "\(at).condition")
                let parsedConclusion = try ClaimExpression(parsing: conclusion, key: "\(at).conclusion")
                try parsedCondition.check(names, key: "\(at).condition", text: condition)
                try parsedConclusion.check(names, key: "\(at).conclusion", text: conclusion)
                let fraction =
                    try text("fraction").map { value in
                        guard let number = Double(value), (0...1).contains(number) else {
                            throw ConfigError(key: "\(at).fraction", "must be a number in [0, 1], got '\(value)'")
                        }
                        return number
                    } ?? 1
                judge = .condition(
                    condition: parsedCondition, conditionText: condition, conclusion: parsedConclusion,
                    conclusionText: conclusion,
                    fraction: fraction)
            case "trend":
                guard let trend = fields["trend"]?.mapping, let metric = trend["metric"]?.scalar?.string,
                    let along = trend["along"]?.scalar?.string, let direction = trend["direction"]?.scalar?.string,
                    ["increasing", "decreasing"].contains(direction),
                    trend.keys.compactMap(\.string).allSatisfy(["metric", "along", "direction", "theory"].contains)
                else {
                    throw ConfigError(
                        key: "\(at).trend",
                        "must be {metric: COLUMN, along: KEY, direction: increasing|decreasing, theory: EXPRESSION (optional)}"
                    )
                }
                try SweepRows.checkMetric(metric)
                let theoryText = trend["theory"]?.scalar?.string
                let theory = try theoryText.map { text in
                    let parsed = try ClaimExpression(parsing: text, key: "\(at).trend.theory")
                    try parsed.check(
                        Set(ConfigField.all.map(\.key) + TheoryStatistic.all.map(\.name)), key: "\(at).trend.theory",
                        text: text)
                    return parsed
                }
                judge = .trend(
                    metric: metric, along: along, increasing: direction == "increasing", theory: theory,
                    theoryText: theoryText)
            case "scaling":
                guard let scaling = fields["scaling"]?.mapping, let metric = scaling["metric"]?.scalar?.string,
                    let against = scaling["against"]?.scalar?.string,
                    let slope = scaling["slope"]?.scalar.flatMap({ Double($0.string) }),
                    slope.isFinite,
                    scaling.keys.compactMap(\.string).allSatisfy(["metric", "against", "slope"].contains)
                else {
                    throw ConfigError(
                        key: "\(at).scaling", "must be {metric: SUMMARY_COLUMN, against: EXPRESSION, slope: NUMBER}")
                }
                guard names.contains(metric) else {
                    throw ConfigError(
                        key: "\(at).scaling.metric",
                        "must be a summary.csv column (e.g. baseline_signal_noise_ratio_mean), got '\(metric)'")
                }
                let parsed = try ClaimExpression(parsing: against, key: "\(at).scaling.against")
                try parsed.check(names, key: "\(at).scaling.against", text: against)
                judge = .scaling(metric: metric, against: parsed, againstText: against, slope: slope)
            default:
                guard let boundary = fields["boundary"]?.mapping, let statistic = boundary["statistic"]?.scalar?.string,
                    TheoryStatistic.all.contains(where: { $0.name == statistic })
                else {
                    throw ConfigError(
                        key: "\(at).boundary",
                        "must be {statistic: \(TheoryStatistic.all.map(\.name).joined(separator: "|")), rule: dichotomy|gain, free: [KEY, …], accuracy: 0.9}"
                    )
                }
                let rule: BoundarySpec.Rule =
                    boundary["rule"]?.scalar?.string == "gain" ? .gain : .dichotomy(stage: .baseline, delta: 0.05)
                let free = boundary["free"]?.sequence?.compactMap { $0.scalar?.string } ?? []
                let accuracy = boundary["accuracy"]?.scalar.flatMap { Double($0.string) } ?? 0.9
                judge = .boundary(
                    BoundarySpec(statistic: statistic, rule: rule, label: "\(statistic) = C"), free: free,
                    accuracy: accuracy)
            }
            return Claim(id: id, statement: text("claim") ?? id, sweep: sweep, judge: judge)
        }
        // Every sweep loads before any runs: a bad config is reported now, not after an hour of other claims.
        for claim in claims { _ = try claim.plan(folder: FileManager.default.temporaryDirectory) }
    }
}

extension ClaimsFile.Claim {
    /// The directory name of the claim's sweep under `sweeps/`: the config file's stem (claims naming the same
    /// file share one sweep, run once), or the claim's id for an inline sweep.
    package var sweepName: String {
        switch sweep {
        case .file(let path): return "file-" + URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case .inline: return id
        }
    }

    /// The claim's sweep plan (an inline sweep is written to `folder/<id>.yaml` first).
    func plan(folder: URL) throws -> SweepPlan {
        switch sweep {
        case .file(let path): return try SweepPlan.load(path: path)
        case .inline(let text):
            let file = folder.appendingPathComponent("claim-\(id)-\(getpid()).yaml")
            try AtomicFile.write(text, to: file)
            defer { unlink(file.path) }
            return try SweepPlan.load(path: file.path)
        }
    }
}
