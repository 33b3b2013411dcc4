import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// A phase boundary with free exponents (`transfersim boundary DIR --free KEY,KEY,…`): logistic regression of a
/// cell's regime label (``BoundarySpec/Rule``) on the logarithms of the named keys,
/// `P(positive) = σ(a + Σ_k b_k log q_k)`, so the boundary is `Π_k q_k^{b_k} = const`. The theory fixes the ratios
/// of the exponents (Kou et al.: `S₂ = N₂‖μ₂‖⁴/(σ⁴d)`, so `b_{‖μ‖} / b_d = −4`: `d ∝ ‖μ‖⁴` on the boundary); the fit
/// tests them instead of assuming them.
package struct FreeBoundary: Sendable {
    /// One key's fitted exponent and its ratio to the first key's.
    package struct Exponent: Sendable {
        /// The key.
        package let key: String
        /// `b_k` on the log of the key.
        package let coefficient: Double
        /// `b_k / b_first`, with its 95% interval (delta method from the fit's covariance).
        package let ratio: Double, interval: (low: Double, high: Double)
        /// The theory's `e_k / e_first` for the statistic, when it is a monomial in the keys.
        package let theoryRatio: Double?
        /// The 2.5% and 97.5% quantiles of the ratio over the cluster bootstrap's resamples (``bootstrap``), when run.
        package var bootstrapInterval: (low: Double, high: Double)?

        /// The interval a verdict should use: the bootstrap's when it ran, else the delta method's.
        package var judged: (low: Double, high: Double) { bootstrapInterval ?? interval }

        /// On the boundary `Π q^{b} = const`, the first key grows as this key to the power `−ratio`: the exponent
        /// `k` of `first ∝ key^k` (Kou: `d ∝ ‖μ‖⁴`), with its interval (``judged``) and the theory's.
        package var powerLaw: (exponent: Double, interval: (low: Double, high: Double), theory: Double?) {
            (-ratio, (-judged.high, -judged.low), theoryRatio.map { -$0 })
        }
    }

    /// The exponents, in the order of the keys.
    package private(set) var exponents: [Exponent]
    /// Fraction of the labelled cells the free fit classifies correctly.
    package let accuracy: Double
    /// Whether the free fit classifies every labelled cell correctly: complete separation, where the maximum
    /// likelihood exponents are infinite and only the ridge holds them finite, so the delta-method interval is
    /// over-confident (use the bootstrap's).
    package var separated: Bool { accuracy == 1 }
    /// The same for the theory's form (`statistic = C`, ``BoundarySpec/fit(_:)``), when it can be fitted.
    package let theoryAccuracy: Double?
    /// Labelled cells used.
    package let count: Int
    /// Labelled cells left out because a key was not positive there.
    package let leftOut: Int
    /// Whether Newton's method converged.
    package let converged: Bool
    /// The cluster bootstrap run: resamples asked for and resamples that could be fitted (both regimes present).
    package private(set) var bootstrap: (resamples: Int, fitted: Int)?

    /// Fits `spec`'s labels on `table` against the logarithms of `keys`; with `bootstrap`, also a seeded cluster
    /// bootstrap over replicates (``resampled(_:rows:resamples:seed:)``).
    ///
    /// - Throws: ``SweepError`` for an unknown key, one not positive in every labelled cell or that does not vary,
    ///   or cells of one regime only; `LAPACKError` from the solver.
    package init(_ spec: BoundarySpec, table: SweepTable, keys: [String]) throws {
        guard keys.count >= 2 else {
            throw SweepError(
                key: "--free", "name at least two keys (each exponent is reported as a ratio to the first's)")
        }
        guard TheoryStatistic.all.contains(where: { $0.name == spec.statistic }) else {
            throw SweepError(
                key: "--statistic",
                "unknown statistic '\(spec.statistic)'; known: \(TheoryStatistic.all.map(\.name).joined(separator: ", "))"
            )
        }
        let (cells, features, left) = try Self.features(table.plan, keys: keys)
        var labelled: [[Double]] = [], labels: [Bool] = []
        for (cell, row) in zip(cells, features) {
            guard let label = spec.label(table.plan.cells[cell], table) else { continue }
            labelled.append(row)
            labels.append(label)
        }
        leftOut = left.filter { spec.label(table.plan.cells[$0], table) != nil }.count
        for (k, key) in keys.enumerated() where Set(labelled.map { $0[k] }).count < 2 {
            throw SweepError(
                key: "--free", "\(key) takes one value in the labelled cells; its exponent cannot be fitted")
        }
        let fit = try Self.fit(labelled, labels)
        let covariance = try fit.regression.covariance()
        let b = fit.b
        let theory = TheoryStatistic.all.first { $0.name == spec.statistic }?.exponents ?? [:]
        exponents = keys.enumerated().map { k, key in
            let ratio = b[k] / b[0]
            // Delta method: ∂r/∂b_k = 1/b_0, ∂r/∂b_0 = −b_k/b_0² (indices shifted by the intercept).
            let variance =
                k == 0
                ? 0
                : covariance[k + 1, k + 1] / (b[0] * b[0]) + b[k] * b[k] * covariance[1, 1] / pow(b[0], 4)
                    - 2 * b[k] * covariance[1, k + 1] / pow(b[0], 3)
            let half = 1.96 * max(variance, 0).squareRoot()
            let theoryRatio = theory[key].flatMap { e in theory[keys[0]].map { e / $0 } }
            return Exponent(
                key: key, coefficient: b[k], ratio: ratio, interval: (ratio - half, ratio + half),
                theoryRatio: theoryRatio)
        }
        accuracy = fit.accuracy
        theoryAccuracy = try? spec.fit(table).accuracy
        count = labels.count
        converged = fit.regression.converged
    }

    /// The cells (indices) whose keys are all positive, their features (the keys' logarithms) and the cells left out.
    static func features(
        _ plan: SweepPlan, keys: [String]
    ) throws -> (cells: [Int], features: [[Double]], leftOut: [Int]) {
        let fields = try keys.map { key in
            guard let field = ConfigField.named(key) else { throw SweepError(key: "--free", "unknown key '\(key)'") }
            return field
        }
        var cells: [Int] = [], features: [[Double]] = [], left: [Int] = []
        for cell in plan.cells {
            let values = try fields.map { field -> Double in
                guard let value = Double(field.render(cell.config)) else {
                    throw SweepError(
                        key: "--free",
                        "\(field.key) must be numeric (its log is fitted), got \(field.render(cell.config))")
                }
                return value
            }
            // The log of a zero (‖μ‖ = 0) is not defined: such cells are left out and counted.
            guard values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                left.append(cell.index)
                continue
            }
            cells.append(cell.index)
            features.append(values.map { log($0) })
        }
        return (cells, features, left)
    }

    /// The logistic fit of `labels` on `features` (centred for conditioning: the coefficients do not change, only the
    /// intercept), its slopes `b` and the fraction of cells it classifies correctly.
    static func fit(
        _ features: [[Double]], _ labels: [Bool]
    ) throws -> (regression: LogisticRegression, b: [Double], accuracy: Double) {
        guard labels.contains(true), labels.contains(false) else {
            throw SweepError(key: "--free", "needs labelled cells of both regimes (got \(labels.count) cells)")
        }
        let width = features[0].count
        let means = (0..<width).map { k in features.reduce(0) { $0 + $1[k] } / Double(features.count) }
        let centred = features.map { row in zip(row, means).map { $0 - $1 } }
        let regression = try LogisticRegression(features: centred, labels: labels, ridge: 1e-6)
        let beta = regression.coefficients
        let correct = zip(centred, labels).filter { row, label in
            (zip(beta.dropFirst(), row).reduce(beta[0]) { $0 + $1.0 * $1.1 } > 0) == label
        }.count
        return (regression, Array(beta.dropFirst()), Double(correct) / Double(labels.count))
    }

    /// This fit with each exponent's ``Exponent/bootstrapInterval``: `resamples` cluster-bootstrap resamples over
    /// replicates. Replicate `r` of every cell shares its data and draws (common random numbers), so a replicate is
    /// the cluster: each resample draws `R` replicate indices with replacement (a stream derived from `seed`), labels
    /// every cell by the mean of ``BoundarySpec/metric`` over the drawn replicates, and refits; the interval is the
    /// 2.5% and 97.5% quantiles of the ratios over the resamples with both regimes.
    ///
    /// - Throws: ``SweepError`` when fewer than half of the resamples can be fitted; `LAPACKError` from the solver.
    package func resampled(_ spec: BoundarySpec, rows: SweepRows, resamples: Int, seed: UInt64) throws -> FreeBoundary {
        let plan = rows.plan
        let (cells, features, _) = try Self.features(plan, keys: exponents.map(\.key))
        let values = cells.map { cell in rows.values(spec.metric, cell: cell) }
        let configs = cells.map { plan.cells[$0].config }
        let ratios = Self.bootstrapRatios(
            features: features, values: values, replicates: plan.spec.replicates, resamples: resamples,
            seed: seed
        ) { k, mean in spec.classify(mean, config: configs[k]) }
        let fitted = ratios[0].count
        guard fitted * 2 >= resamples else {
            throw SweepError(
                key: "--bootstrap",
                "only \(fitted) of \(resamples) resamples show both regimes; the boundary cannot be resampled")
        }
        var copy = self
        copy.bootstrap = (resamples, fitted)
        let keys = exponents.map(\.key)
        for k in keys.indices {
            let sorted = ratios[k].sorted()
            let quantile = { (q: Double) in
                sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))]
            }
            copy.exponents[k].bootstrapInterval = (quantile(0.025), quantile(0.975))
        }
        return copy
    }

    /// The ratios `b_k / b_0` of each resample that shows both regimes (`ratios[k]`, resamples in order): resample
    /// `s` draws `replicates` indices with replacement from one stream derived from `seed`, labels cell `c` by
    /// `classify(c, mean of values[c] over the drawn replicates)` (a replicate a cell lacks is skipped) and refits.
    static func bootstrapRatios(
        features: [[Double]], values: [[Int: Double]], replicates: Int, resamples: Int, seed: UInt64,
        classify: (Int, Double) -> Bool?
    ) -> [[Double]] {
        var generator = Xoshiro256StarStar(seed: StreamSeed.derive(seed, "boundary-bootstrap"))
        var ratios = [[Double]](repeating: [], count: features.first?.count ?? 0)
        for _ in 0..<resamples {
            let drawn = (0..<replicates).map { _ in Int(generator.next() % UInt64(replicates)) }
            var labelled: [[Double]] = [], labels: [Bool] = []
            for (c, row) in features.enumerated() {
                let mean = SweepSummary.statistics(drawn.compactMap { values[c][$0] }).mean
                guard let label = classify(c, mean) else { continue }
                labelled.append(row)
                labels.append(label)
            }
            guard labels.contains(true), labels.contains(false), let fit = try? fit(labelled, labels) else { continue }
            for k in ratios.indices { ratios[k].append(fit.b[k] / fit.b[0]) }
        }
        return ratios
    }
}
