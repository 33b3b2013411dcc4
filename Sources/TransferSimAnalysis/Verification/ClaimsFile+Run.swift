import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

extension ClaimsFile {
    /// Runs (or resumes) each claim's sweep into `directory/sweeps/<id>`, judges it, and writes
    /// `verification.md`, `verification.csv` and, for condition claims, `claims/<id>.csv` (one row per cell:
    /// the swept values, whether the condition and the conclusion hold).
    ///
    /// - Throws: ``SweepError``/``FileError`` when a sweep cannot run or a file cannot be written.
    /// `replicates` (`verify --replicates N`) replaces every claim sweep's own replicate count.
    package func run(
        directory: URL, threads: Int, upstreamCache: URL?, source: String, replicates: Int? = nil
    ) throws -> [ClaimResult] {
        let claimsFolder = directory.appendingPathComponent("claims")
        try FileManager.default.createDirectory(at: claimsFolder, withIntermediateDirectories: true)
        var results: [ClaimResult] = []
        for claim in claims {
            var plan = try claim.plan(folder: claimsFolder)
            if let replicates {
                guard plan.cells.count * replicates <= SweepSpec.maxRows else {
                    throw ConfigError(
                        key: "--replicates",
                        "\(plan.cells.count) cells × \(replicates) replicates in claim \(claim.id)'s sweep; at most \(SweepSpec.maxRows) rows"
                    )
                }
                var spec = SweepSpec(axes: plan.spec.axes, replicates: replicates)
                spec.keepHistory = plan.spec.keepHistory
                plan = try SweepPlan(baseLayers: plan.baseLayers, spec: spec)
            }
            let out = directory.appendingPathComponent("sweeps/\(claim.sweepName)")
            var runner = SweepRunner(plan: plan, directory: out.path, threads: threads)
            runner.upstreamCacheDirectory = upstreamCache
            _ = try runner.run()
            let table = try SweepTable(directory: out), rows = try SweepRows(directory: out)
            let setting =
                "sweeps/\(claim.sweepName): "
                + plan.spec.axes.map { "\($0.name) × \($0.points.count)" }.joined(separator: ", ")
                + ", \(plan.spec.replicates) replicates; " + TargetLossReport.describe(rows)
            let (evidence, verdict) = try judge(claim, table: table, rows: rows, claimsFolder: claimsFolder)
            results.append(
                ClaimResult(
                    id: claim.id, claim: claim.statement, setting: setting, evidence: evidence, verdict: verdict))
        }
        try AtomicFile.write(
            CSV.line(ClaimResult.csvHeader) + results.map { CSV.line($0.csvFields) }.joined(),
            to: directory.appendingPathComponent("verification.csv"))
        try AtomicFile.write(
            ClaimResult.markdown(results, source: "transfersim verify --claims \(source)"),
            to: directory.appendingPathComponent("verification.md"))
        return results
    }

    private func judge(
        _ claim: Claim, table: SweepTable, rows: SweepRows, claimsFolder: URL
    ) throws -> (String, Verdict) {
        switch claim.judge {
        case .condition(let condition, let conditionText, let conclusion, let conclusionText, let fraction):
            var text = CSV.line(table.plan.spec.sweptKeys + ["condition", "conclusion"])
            var applicable = 0, holding = 0
            for cell in table.plan.cells {
                let value = { (name: String) -> Double? in Self.value(name, cell: cell, table: table) }
                let applies = condition.evaluate(value) != 0 && !condition.evaluate(value).isNaN
                let conclusionValue = conclusion.evaluate(value)
                let holds = conclusionValue != 0 && !conclusionValue.isNaN
                if applies {
                    applicable += 1
                    if holds { holding += 1 }
                }
                text += CSV.line(
                    table.plan.spec.sweptKeys.map { ConfigField.named($0)?.render(cell.config) ?? "" }
                        + [applies ? "true" : "false", applies ? (holds ? "true" : "false") : ""])
            }
            try AtomicFile.write(text, to: claimsFolder.appendingPathComponent("\(claim.id).csv"))
            guard applicable > 0 else { return ("no cell satisfies \(conditionText)", .inconclusive) }
            let share = Double(holding) / Double(applicable)
            let evidence =
                "\(conclusionText) holds in \(holding) of the \(applicable) cells where \(conditionText) (\(String(format: "%.1f", 100 * share))%; required \(String(format: "%.0f", 100 * fraction))%); per cell: claims/\(claim.id).csv"
            return (evidence, share >= fraction ? .supported : .contradicted)
        case .trend(let metric, let along, let increasing, let theory, let theoryText):
            let axis = try rows.axis(of: along, option: "trend.along")
            let axes = rows.plan.spec.axes
            // One regime per combination of the other axes: its consecutive pairs along `along`.
            var regimes: [[Int]: (up: Int, down: Int, pairs: Int, cell: SweepPlan.Cell)] = [:]
            var order: [[Int]] = []
            var worst: (Double, String)?
            for cell in rows.plan.cells where cell.coordinates[axis] + 1 < axes[axis].points.count {
                var regime = cell.coordinates
                regime.remove(at: axis)
                if regimes[regime] == nil {
                    regimes[regime] = (0, 0, 0, cell)
                    order.append(regime)
                }
                var next = cell.coordinates
                next[axis] += 1
                let comparison = rows.paired(metric, a: cell.index, b: rows.cellIndex(next))
                guard comparison.count > 1 else { continue }
                regimes[regime]!.pairs += 1
                let (low, high) =
                    increasing
                    ? (comparison.interval.low, comparison.interval.high)
                    : (-comparison.interval.high, -comparison.interval.low)
                if low > 0 { regimes[regime]!.up += 1 }
                if high < 0 {
                    regimes[regime]!.down += 1
                    let label = rows.label(cell.coordinates, excluding: []).map { "\($0.key)=\($0.value)" }.joined(
                        separator: ", ")
                    if worst == nil || (increasing ? comparison.mean : -comparison.mean) < worst!.0 {
                        worst = (increasing ? comparison.mean : -comparison.mean, label)
                    }
                }
            }
            let regimeKeys = axes.indices.filter { $0 != axis }.map { axes[$0].name }
            var text = CSV.line(
                regimeKeys + [
                    "pairs", "significantly_as_claimed", "significantly_against", "verdict", "theory_condition",
                ])
            var counts: [Verdict: Int] = [:]
            for regime in order {
                let r = regimes[regime]!
                let verdict: Verdict = r.down > 0 ? .contradicted : r.up > 0 ? .supported : .inconclusive
                counts[verdict, default: 0] += 1
                let value = { (name: String) -> Double? in Self.value(name, cell: r.cell, table: table) }
                let condition = theory.map { $0.evaluate(value) }.map { $0 != 0 && !$0.isNaN ? "true" : "false" } ?? ""
                text += CSV.line(
                    zip(regimeKeys, regime).map { key, _ in ConfigField.named(key)?.render(r.cell.config) ?? "" }
                        + [String(r.pairs), String(r.up), String(r.down), verdict.rawValue, condition])
            }
            try AtomicFile.write(text, to: claimsFolder.appendingPathComponent("\(claim.id).csv"))
            let pairs = order.reduce(0) { $0 + regimes[$1]!.pairs }
            let supporting = order.reduce(0) { $0 + regimes[$1]!.up },
                opposing = order.reduce(0) { $0 + regimes[$1]!.down }
            var evidence =
                "\(pairs) consecutive pairs along \(along) (paired over replicates, 95% t intervals): \(supporting) significantly \(increasing ? "up" : "down"), \(opposing) significantly the other way"
                + (worst.map { "; largest reversal \(String(format: "%.3g", -$0.0)) from \($0.1)" } ?? "")
            if order.count > 1 {
                evidence +=
                    "; per regime of \(regimeKeys.joined(separator: " × ")) (\(order.count)): \(counts[.supported] ?? 0) supported, "
                    + "\(counts[.contradicted] ?? 0) contradicted, \(counts[.inconclusive] ?? 0) inconclusive"
                    + (theoryText.map { " (theory's condition \($0) marked); per regime: claims/\(claim.id).csv" }
                        ?? "; per regime: claims/\(claim.id).csv")
            }
            if opposing > 0 { return (evidence, .contradicted) }
            return (evidence, supporting > 0 ? .supported : .inconclusive)
        case .scaling(let metric, let against, let againstText, let slope):
            let points = table.plan.cells.map { cell in
                (
                    x: against.evaluate { Self.value($0, cell: cell, table: table) },
                    y: Self.value(metric, cell: cell, table: table) ?? .nan
                )
            }
            guard let fit = ScalingFit(points) else {
                return ("fewer than 3 cells with positive \(metric) and \(againstText)", .inconclusive)
            }
            let evidence = String(
                format: "log–log slope of %@ against %@: %.3g [%.3g, %.3g] over %d cells (claimed %.3g)",
                metric, againstText, fit.slope, fit.interval.low, fit.interval.high, fit.count, slope)
            return (evidence, (fit.interval.low...fit.interval.high).contains(slope) ? .supported : .contradicted)
        case .boundary(let spec, let free, let accuracy):
            let fit = try spec.fit(table)
            var evidence = String(
                format: "C = %.4g [%.4g, %.4g], %.1f%% of %d labelled cells classified correctly (required %.0f%%)",
                fit.threshold, fit.interval.low, fit.interval.high, 100 * fit.accuracy, fit.count, 100 * accuracy)
            var verdict: Verdict = fit.accuracy >= accuracy ? .supported : .contradicted
            if !free.isEmpty {
                let freeFit = try FreeBoundary(spec, table: table, keys: free)
                    .resampled(spec, rows: rows, resamples: 200, seed: rows.plan.base.seed)
                for e in freeFit.exponents.dropFirst() {
                    let law = e.powerLaw
                    evidence +=
                        String(
                            format: "; %@ ∝ %@^%.3g [%.3g, %.3g] (cluster bootstrap)", free[0], e.key, law.exponent,
                            law.interval.low, law.interval.high)
                        + (law.theory.map { String(format: ", theory %.3g", $0) } ?? "")
                    if let theory = e.theoryRatio, !(e.judged.low...e.judged.high).contains(theory) {
                        verdict = .contradicted
                    }
                }
                if freeFit.separated { evidence += "; the free fit separates the regimes completely" }
            }
            return (evidence, verdict)
        }
    }

    /// A name's value in `cell`: a config key (numeric, or `true`/`false` as 1/0), a theory statistic, or a
    /// `summary.csv` column.
    static func value(_ name: String, cell: SweepPlan.Cell, table: SweepTable) -> Double? {
        if let field = ConfigField.named(name) {
            let text = field.render(cell.config)
            return Double(text) ?? (text == "true" ? 1 : text == "false" ? 0 : nil)
        }
        if let statistic = TheoryStatistic.all.first(where: { $0.name == name }) { return statistic.value(cell.config) }
        let value = table.value(cell, name)
        return value.isNaN ? nil : value
    }
}
