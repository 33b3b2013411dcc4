/// What unit of the upstream model is inherited (docs/model.md §6).
public enum InheritanceUnit: String, Sendable, CaseIterable {
    /// Whole filters (with their biases): `round(α m)` of the `m` filters of each class (**choice**, default).
    case filter
    /// Each weight and bias entry independently with probability `α`.
    case entry
}

/// Which filters are inherited when the unit is a filter (docs/model.md §6).
public enum InheritanceSelection: String, Sendable, CaseIterable {
    /// A uniformly random subset of each class's filters (default).
    case random
    /// The first `round(α m)` filters of each class.
    case first
}

/// Which parameters of the downstream model come from the upstream model.
package struct InheritanceMask: Sendable, Equatable {
    /// `true` where weight entry `(row, k)` of the `2m × d` filter matrix is inherited (row-major).
    package let weights: [Bool]
    /// `true` where bias `b_{j,r}` is inherited.
    package let biases: [Bool]
    /// `true` for filter rows that are inherited whole (unit `filter`); all `false` for unit `entry`.
    package let rows: [Bool]

    /// Downstream initial parameters: inherited entries from `upstream`, the rest from `fresh`.
    package func combine(upstream: Parameters, fresh: Parameters) -> Parameters {
        var result = fresh
        for k in weights.indices where weights[k] { result.weights.storage[k] = upstream.weights.storage[k] }
        for k in biases.indices where biases[k] { result.biases[k] = upstream.biases[k] }
        return result
    }
}

/// The inheritance rule of docs/model.md §6: a fraction `α` of the upstream weights seeds the downstream model.
package struct Inheritance: Sendable, Equatable {
    /// Inherited fraction `α ∈ [0, 1]`.
    package let alpha: Double
    /// Filters or entries.
    package let unit: InheritanceUnit
    /// Random or first filters (unit `filter` only).
    package let selection: InheritanceSelection

    /// A rule; `alpha` must lie in [0, 1].
    package init(alpha: Double, unit: InheritanceUnit, selection: InheritanceSelection) {
        precondition((0...1).contains(alpha), "Inheritance: alpha must lie in [0, 1], got \(alpha)")
        self.alpha = alpha
        self.unit = unit
        self.selection = selection
    }

    /// `round(α m)` filters per class, rounding halves away from zero (**choice**).
    package func inheritedFiltersPerClass(_ m: Int) -> Int {
        Int((alpha * Double(m)).rounded(.toNearestOrAwayFromZero))
    }

    /// Draws the mask from `generator`.
    ///
    /// Unit `filter`, selection `random`: for class `+1` then `−1`, a partial Fisher–Yates shuffle of
    /// `0..<m` picks `k = round(α m)` filters, index `i + ⌊U·(m − i)⌋` for `i < k` with `U` the top 64
    /// bits of `next()` (multiply-high); selection `first` draws nothing. Unit `entry`: one `uniform() < α`
    /// per weight entry (row-major), then per bias (only when the architecture has biases).
    package func mask(_ architecture: Architecture, generator: inout Xoshiro256StarStar) -> InheritanceMask {
        let rows = architecture.filterCount
        let d = architecture.dimension
        switch unit {
        case .filter:
            let m = architecture.filtersPerClass
            let k = inheritedFiltersPerClass(m)
            var inheritedRows = [Bool](repeating: false, count: rows)
            for classOffset in [0, m] {
                var order = Array(0..<m)
                if selection == .random {
                    for i in 0..<k {
                        let span = UInt64(m - i)
                        let pick = i + Int(generator.next().multipliedFullWidth(by: span).high)
                        order.swapAt(i, pick)
                    }
                }
                for r in order.prefix(k) { inheritedRows[classOffset + r] = true }
            }
            let weights = (0..<(rows * d)).map { inheritedRows[$0 / d] }
            let biases = architecture.hasBias ? inheritedRows : [Bool](repeating: false, count: rows)
            return InheritanceMask(weights: weights, biases: biases, rows: inheritedRows)
        case .entry:
            let weights = (0..<(rows * d)).map { _ in generator.uniform() < alpha }
            let biases =
                architecture.hasBias
                ? (0..<rows).map { _ in generator.uniform() < alpha } : [Bool](repeating: false, count: rows)
            return InheritanceMask(weights: weights, biases: biases, rows: [Bool](repeating: false, count: rows))
        }
    }
}
