import Foundation
import Testing

@testable import TransferSim
@testable import TransferSimCore
@testable import TransferSimExperiment
@testable import TransferSimPlots
@testable import TransferSimAnalysis
@testable import TransferSimFiles
@testable import TransferSimSweeps

@Suite struct VerificationTests {
    @Test(
        "the logistic fit recovers a known boundary C from synthetic labels, with a covering interval",
        arguments: [1, 2, 3] as [UInt64])
    func logisticFit_recoversBoundary(seed: UInt64) throws {
        var generator = Xoshiro256StarStar(seed: seed)
        let trueC = 5.0, slope = 3.0
        var statistics: [Double] = [], labels: [Bool] = []
        for _ in 0..<2000 {
            let s = exp(log(trueC) + 4 * (2 * generator.uniform() - 1))
            let p = 1 / (1 + exp(-slope * (log(s) - log(trueC))))
            statistics.append(s)
            labels.append(generator.uniform() < p)
        }
        let fit = try LogisticBoundary.fit(statistics: statistics, labels: labels)
        // The 95% interval is exp(log Ĉ ± 1.96 se): the truth lies within 3.5 se (fails with probability < 5e-4).
        let se = log(fit.interval.high / fit.interval.low) / (2 * 1.96)
        #expect(abs(log(fit.threshold / trueC)) < 3.5 * se, "Ĉ = \(fit.threshold), interval \(fit.interval)")
        #expect(se > 0.005 && se < 0.1)
        #expect(abs(fit.slope - slope) < 0.6)
        #expect(fit.accuracy > 0.8 && fit.count == 2000)
    }

    @Test("perfectly separated labels put the boundary between the classes and classify every cell")
    func logisticFit_separated() throws {
        let statistics = [0.1, 0.2, 0.5, 1, 2, 8, 16, 40]
        let labels = statistics.map { $0 > 1.5 }
        let fit = try LogisticBoundary.fit(statistics: statistics, labels: labels)
        #expect(fit.threshold > 1 && fit.threshold < 2)
        #expect(fit.accuracy == 1)
        #expect(throws: FitError.self) { try LogisticBoundary.fit(statistics: [1, 2], labels: [true, true]) }
    }

    @Test("paired comparisons: exact t interval and p-value on a hand-computed case")
    func pairedComparison_handComputed() {
        // Differences 1, 2, 3, 4: mean 2.5, sd = √(5/3), se = 0.6455; t = 3.873 on 3 df: p = 0.0305; t₀.₉₇₅(3) = 3.1824.
        let comparison = PairedComparison([0, 0, 0, 0], [1, 2, 3, 4])
        #expect(abs(comparison.mean - 2.5) < 1e-12)
        #expect(abs(comparison.standardError - (5.0 / 3 / 4).squareRoot()) < 1e-12)
        #expect(abs(comparison.pValue - 0.030466) < 1e-5)
        #expect(abs(comparison.interval.low - (2.5 - 3.182446 * 0.645497)) < 1e-4)
        #expect(abs(PairedComparison.studentQuantile(0.975, degrees: 1e6) - 1.959964) < 1e-4)
    }

    @Test("a fitted boundary curve lands in the heatmap SVG")
    func boundary_drawnInSVG() throws {
        // Without label noise, ‖μ₂‖ = 0.2, 0.5 stay near chance and 3, 5 are learnt: both regimes of the dichotomy.
        let base = SweepTests.base.replacingOccurrences(of: "steps2: 10", with: "steps2: 60").replacingOccurrences(
            of: "sigma0: 0.2", with: "sigma0: 0.01")
        let (root, table) = try PlotTests.sweep(
            "alpha: 0\nu_norm: 0\neta2: 2\nflip2: 0\ngrid:\n  mu2_norm: [0.2, 0.5, 3, 5]\n  d: [200, 400]\nreplicates: 2\n",
            base: base)
        defer { try? FileManager.default.removeItem(at: root) }
        let fit = try BoundarySpec.baselineDichotomy.fit(table)
        #expect(fit.accuracy == 1)
        let plot = HeatmapPlot(
            title: "t", column: "baseline_test_error_mean", colorMap: .sequential(low: 0, high: 0.5),
            legend: "e", boundaries: [.baselineDichotomy])
        let svg = plot.render(table)
        #expect(svg.contains("class=\"boundary\""))
        #expect(svg.contains("S₂ = C fitted: C = "))
    }

    @Test("verify --quick writes a row for every claim, and the exactness claim holds")
    func verifyQuick_everyClaim() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "transfersim-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let results = try VerificationSuite(quick: true, directory: root.path).run()
        #expect(results.map(\.id) == ["1", "2a", "2b", "2c", "2d", "3", "4a", "4b", "5"])
        #expect(results.last?.verdict == .supported)
        let csv = CSV.parse(try String(contentsOf: root.appendingPathComponent("verification.csv"), encoding: .utf8))
        #expect(csv.count == 10 && csv[0] == ClaimResult.csvHeader)
        let report = try String(contentsOf: root.appendingPathComponent("verification.md"), encoding: .utf8)
        #expect(results.allSatisfy { report.contains("| \($0.id) |") })
    }
}

/// `boundary --free`: exponents fitted, not assumed.
@Suite struct FreeBoundaryTests {
    @Test(
        "free exponents recover a known boundary d ∝ ‖μ‖⁴ from noisy synthetic labels, and the multivariate fit reduces to the one-feature one"
    )
    func freeExponents_recoverKnownRatio() throws {
        let root = try CLIHarness.temporaryDirectory("free")
        defer { try? FileManager.default.removeItem(at: root) }
        try
            (SweepTests.base
            + "u_norm: 0\ngrid:\n  d: {from: 100, to: 1030, step: 30}\n  mu2_norm: {from: 1, to: 10, steps: 30}\n")
            .write(to: root.appendingPathComponent("sweep.yaml"), atomically: true, encoding: .utf8)
        let plan = try SweepPlan.load(path: root.appendingPathComponent("sweep.yaml").path)
        try plan.resolvedYAML.write(
            to: root.appendingPathComponent("config.resolved.yaml"), atomically: true, encoding: .utf8)
        // Labels from P(benign) = σ(2 (4 log ‖μ‖ − log d − 2)): benign cells get error 0.1, harmful 0.3.
        var generator = Xoshiro256StarStar(seed: 99)
        var text = "cell_id,baseline_test_error_mean,kou_stat_2_mean\n"
        for cell in plan.cells {
            let eta = 2 * (4 * log(cell.config.signals.muNorm(.two)) - log(Double(cell.config.d)) - 2)
            let benign = generator.uniform() < 1 / (1 + exp(-eta))
            text += "\(cell.id),\(benign ? 0.1 : 0.3),\(TheoryStatistic.all[1].value(cell.config))\n"
        }
        try text.write(to: root.appendingPathComponent("summary.csv"), atomically: true, encoding: .utf8)
        let table = try SweepTable(directory: root)
        let fit = try FreeBoundary(.baselineDichotomy, table: table, keys: ["d", "mu2_norm"])
        #expect(fit.count == 960 && fit.leftOut == 0 && fit.converged)
        let ratio = fit.exponents[1]
        #expect(ratio.theoryRatio == -4)
        #expect(
            ratio.interval.low < -4 && -4 < ratio.interval.high,
            "\(ratio.ratio) [\(ratio.interval.low), \(ratio.interval.high)]")
        #expect(ratio.interval.high - ratio.interval.low < 2)
        // One feature: LogisticRegression is LogisticBoundary's fit.
        let cells = BoundarySpec.baselineDichotomy.labelledCells(table)
        let single = try LogisticBoundary.fit(statistics: cells.map(\.statistic), labels: cells.map(\.positive))
        let logs = cells.map { log($0.statistic) }, centre = logs.reduce(0, +) / Double(logs.count)
        let regression = try LogisticRegression(
            features: logs.map { [$0 - centre] }, labels: cells.map(\.positive), ridge: 1e-4)
        #expect(regression.coefficients[1] == single.slope)
        #expect(throws: SweepError.self) { try FreeBoundary(.baselineDichotomy, table: table, keys: ["n2"]) }
        #expect(throws: SweepError.self) { try FreeBoundary(.baselineDichotomy, table: table, keys: ["colour"]) }
    }
}

/// Claims as data: expressions and claims files.
@Suite struct ClaimsTests {
    @Test("expressions: precedence, right-associative powers, booleans, comparisons; errors name the position")
    func expressions_parseAndEvaluate() throws {
        let values = ["n2": 20.0, "mu2_norm": 2.0, "d": 100.0, "x": 0.0]
        let value = { (name: String) in values[name] }
        let cases: [(String, Double)] = [
            ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("2 ^ 3 ^ 2", 512), ("-2 ^ 2", -4), ("n2 * mu2_norm^4 / d", 3.2),
            ("n2 * mu2_norm^4 / d >= 3.2", 1), ("d < 50 or n2 == 20", 1), ("d < 50 and n2 == 20", 0), ("not x", 1),
            ("!(d > 1) || x", 0), ("1e2 == d", 1), ("d != 100", 0), ("missing > 0", 0),
            ("sqrt(d) * 2", 20), ("log(d / 100)", 0), ("4 * log(n2) >= 11.98", 1), ("4 * log(n2) >= 11.99", 0),
            ("sqrt(mu2_norm^2 * 4)", 4),
        ]
        for (text, expected) in cases {
            #expect(try ClaimExpression(parsing: text, key: "e").evaluate(value) == expected, "\(text)")
        }
        #expect(throws: ConfigError(key: "e", "expected ')' at position 11 of '(1 + 2 * 3'")) {
            try ClaimExpression(parsing: "(1 + 2 * 3", key: "e")
        }
        #expect(throws: ConfigError(key: "e", "unexpected '>' at position 5 of 'd > >= 1'")) {
            try ClaimExpression(parsing: "d > >= 1", key: "e")
        }
        #expect(throws: ConfigError(key: "e", "expected ')' at position 6 of 'log(d'")) {
            try ClaimExpression(parsing: "log(d", key: "e")
        }
        #expect(abs(try ClaimExpression(parsing: "log(d)^2", key: "e").evaluate(value) - pow(log(100), 2)) < 1e-12)
        let parsed = try ClaimExpression(parsing: "n2 * colour >= 1", key: "e")
        #expect(
            throws: ConfigError(
                key: "e",
                "unknown name 'colour' at position 6 of 'n2 * colour >= 1' (names: config keys, theory statistics, summary.csv columns)"
            )
        ) {
            try parsed.check(["n2"], key: "e", text: "n2 * colour >= 1")
        }
    }

    @Test("a claims file is checked whole before any sweep runs; its condition claim is judged cell by cell as by hand")
    func claimsFile_checkedThenJudged() throws {
        let root = try CLIHarness.temporaryDirectory("claims")
        defer { try? FileManager.default.removeItem(at: root) }
        let sweep =
            "    sweep: {preset: theory, d: 30, m: 3, n1: 12, n2: 8, steps1: 20, steps2: 10, sigma0: 0.2, eta1: 0.5, eta2: 0.5, population_draws: 1000, grid: {u_norm: [0, 1, 2], alpha: [0.5, 1]}, replicates: 3}\n"
        let write = { (text: String) throws -> String in
            let path = root.appendingPathComponent("claims-\(UUID().uuidString).yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // Bad claims are refused at load, naming the field and the position.
        let bad = try write(
            "claims:\n  - id: a\n" + sweep
                + "    trend: {metric: transfer_gain, along: u_norm, direction: increasing}\n"
                + "  - id: b\n" + sweep + "    condition: \"u_norm >\"\n    conclusion: \"transfer_gain_mean > 0\"\n")
        #expect(
            throws: ConfigError(
                key: "claims[1].condition", "expected a number, a name or '(' at position 9 of 'u_norm >'")
        ) { try ClaimsFile(path: bad) }
        let unknown = try write(
            "claims:\n  - id: b\n" + sweep + "    condition: \"u_norm > 0\"\n    conclusion: \"gain_mean > 0\"\n")
        #expect(throws: ConfigError.self) { try ClaimsFile(path: unknown) }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
        // A good file: the condition claim's verdict and counts equal a hand count over summary.csv.
        let good = try write(
            "claims:\n  - id: positive\n" + sweep
                + "    condition: \"u_norm >= 1 and alpha == 1\"\n    conclusion: \"transfer_gain_mean > -0.5\"\n"
                + "  - id: trend\n" + sweep
                + "    trend: {metric: transfer_gain, along: u_norm, direction: increasing}\n")
        let file = try ClaimsFile(path: good)
        let results = try file.run(
            directory: root.appendingPathComponent("out"), threads: 2, upstreamCache: nil, source: good)
        #expect(results.map(\.id) == ["positive", "trend"])
        let summary = CSV.parse(
            try String(contentsOf: root.appendingPathComponent("out/sweeps/positive/summary.csv"), encoding: .utf8))
        let column = { (name: String) in summary[0].firstIndex(of: name)! }
        let applicable = summary.dropFirst().filter {
            Double($0[column("u_norm")])! >= 1 && $0[column("alpha")] == "1.0"
        }
        let holding = applicable.filter { Double($0[column("transfer_gain_mean")])! > -0.5 }
        #expect(applicable.count == 2)
        #expect(results[0].evidence.hasPrefix("transfer_gain_mean > -0.5 holds in \(holding.count) of the 2 cells"))
        #expect(results[0].verdict == (holding.count == 2 ? .supported : .contradicted))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/verification.md").path))
        #expect(
            CSV.parse(try String(contentsOf: root.appendingPathComponent("out/claims/positive.csv"), encoding: .utf8))
                .count == 7)
        // The regime map: one cell per grid point, coloured by condition and conclusion.
        let map = try #require(
            try RegimeMap.render(
                claim: root.appendingPathComponent("out/claims/positive.csv"),
                sweep: root.appendingPathComponent("out/sweeps/positive"), title: "positive"))
        #expect(try #require(ElementCounter.count(map))["rect.cell"] == 6)
        #expect(
            map.components(separatedBy: "outside the condition<").count - 1 == 1 + 4
                && map.components(separatedBy: ": conclusion ").count - 1 == 2)
    }

    @Test(
        "a trend claim over regime axes: one verdict per regime (as its paired tests say), the theorem's condition per regime, a map with those cells"
    )
    func trendClaim_regimeMap() throws {
        let root = try CLIHarness.temporaryDirectory("regimes")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("claims.yaml").path
        try
            ("claims:\n  - id: rises\n    sweep: {preset: theory, m: 3, n1: 12, n2: 8, steps1: 20, steps2: 10, sigma0: 0.2, eta1: 0.5, eta2: 0.5, "
            + "population_draws: 1000, grid: {alpha: [0.5, 1], d: [30, 60], u_norm: [0, 1.2, 2.4]}, replicates: 4}\n"
            + "    trend: {metric: transfer_gain, along: u_norm, direction: increasing, theory: \"d >= 40\"}\n"
            + "  - id: scales\n    sweep: {preset: theory, m: 3, n1: 12, n2: 8, steps1: 20, steps2: 10, sigma0: 0.2, eta1: 0.5, eta2: 0.5, population_draws: 1000, grid: {d: [30, 60, 120]}, replicates: 2}\n"
            + "    scaling: {metric: baseline_signal_noise_ratio_mean, against: \"n2 * mu2_norm^2 / (sigma_p2^2 * d)\", slope: 1}\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let results = try ClaimsFile(path: path).run(
            directory: root.appendingPathComponent("out"), threads: 2, upstreamCache: nil, source: path)
        let csv = CSV.parse(
            try String(contentsOf: root.appendingPathComponent("out/claims/rises.csv"), encoding: .utf8))
        #expect(
            csv[0] == [
                "alpha", "d", "pairs", "significantly_as_claimed", "significantly_against", "verdict",
                "theory_condition",
            ])
        #expect(csv.count == 5)
        let rows = try SweepRows(directory: root.appendingPathComponent("out/sweeps/rises"))
        for (k, record) in csv.dropFirst().enumerated() {
            let (a, d) = (k / 2, k % 2)
            let comparisons = (0..<2).map {
                rows.paired("transfer_gain", a: rows.cellIndex([a, d, $0]), b: rows.cellIndex([a, d, $0 + 1]))
            }
            let up = comparisons.filter { $0.interval.low > 0 }.count,
                down = comparisons.filter { $0.interval.high < 0 }.count
            #expect(record[0] == ["0.5", "1.0"][a] && record[1] == ["30", "60"][d])
            #expect(record[2] == "2" && record[3] == String(up) && record[4] == String(down))
            #expect(record[5] == (down > 0 ? "contradicted" : up > 0 ? "supported" : "inconclusive"))
            #expect(record[6] == (d == 1 ? "true" : "false"))
        }
        #expect(results[0].evidence.contains("per regime of alpha × d (4)"))
        // The scaling claim: the slope of log(signal–noise ratio) on log(N‖μ‖²/(σ²d)) over its 3 cells, by hand.
        let summary = CSV.parse(
            try String(contentsOf: root.appendingPathComponent("out/sweeps/scales/summary.csv"), encoding: .utf8))
        let column = { (name: String) in summary[0].firstIndex(of: name)! }
        let points = summary.dropFirst().map {
            (
                log(8 * 2.5 * 2.5 / Double($0[column("d")])!),
                log(Double($0[column("baseline_signal_noise_ratio_mean")])!)
            )
        }
        let mx = points.map(\.0).reduce(0, +) / 3, my = points.map(\.1).reduce(0, +) / 3
        let slope =
            points.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
            / points.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        #expect(
            results[1].evidence.hasPrefix(
                String(
                    format:
                        "log–log slope of baseline_signal_noise_ratio_mean against n2 * mu2_norm^2 / (sigma_p2^2 * d): %.3g [",
                    slope)))
        let map = try #require(
            try RegimeMap.render(
                claim: root.appendingPathComponent("out/claims/rises.csv"),
                sweep: root.appendingPathComponent("out/sweeps/rises"), title: "rises"))
        #expect(try #require(ElementCounter.count(map))["rect.cell"] == 4)
        #expect(map.components(separatedBy: "d=60: ").count - 1 == 2)
    }

    @Test(
        "scaling fits recover a known log–log slope: exact power laws give it exactly, noisy ones inside the 95% interval"
    )
    func scalingFit_recoversSlope() throws {
        let exact = try #require(ScalingFit((1...6).map { (x: Double($0), y: 3 * pow(Double($0), 1.5)) }))
        #expect(abs(exact.slope - 1.5) < 1e-12 && exact.interval.high - exact.interval.low < 1e-9 && exact.count == 6)
        var generator = Xoshiro256StarStar(seed: 9)
        var covered = 0
        for _ in 0..<40 {
            var noise = [Double](repeating: 0, count: 12)
            generator.fillNormal(&noise, scale: 0.1)
            let fit = try #require(
                ScalingFit(
                    (0..<12).map { (x: pow(2, Double($0) / 2), y: pow(pow(2, Double($0) / 2), -0.7) * exp(noise[$0])) })
            )
            if fit.interval.low <= -0.7 && -0.7 <= fit.interval.high { covered += 1 }
        }
        #expect(covered >= 34)  // nominal 95% of 40 = 38; P(covered < 34) < 1%
        #expect(ScalingFit([(x: 1, y: 1), (x: 2, y: 2)]) == nil)
        #expect(ScalingFit([(x: 2, y: 1), (x: 2, y: 2), (x: 2, y: 3)]) == nil)
    }
}
