/// The shape of the two-layer ReLU CNN of docs/model.md §3.
///
/// `2m` filters `w_{j,r} ∈ R^d`; row `r` of the filter matrix is class `j = +1`, row `m + r` class
/// `j = −1` (the export order `(2, m, d)`). The second layer is fixed at `±κ`.
package struct Architecture: Sendable, Equatable {
    /// Filters per class `m ≥ 1`.
    package let filtersPerClass: Int
    /// Patch dimension `d ≥ 1`.
    package let dimension: Int
    /// Output scale `κ > 0` (theory: `1/m`; Kou et al.'s code: `1/2`).
    package let outputScale: Double
    /// Whether the biases `b_{j,r}` exist and train.
    package let hasBias: Bool

    /// An architecture; the sizes must be positive.
    package init(filtersPerClass: Int, dimension: Int, outputScale: Double, hasBias: Bool) {
        precondition(
            filtersPerClass >= 1 && dimension >= 1 && outputScale > 0,
            "Architecture needs m ≥ 1, d ≥ 1, κ > 0; got m = \(filtersPerClass), d = \(dimension), κ = \(outputScale)")
        self.filtersPerClass = filtersPerClass
        self.dimension = dimension
        self.outputScale = outputScale
        self.hasBias = hasBias
    }

    /// Total number of filters, `2m`.
    package var filterCount: Int { 2 * filtersPerClass }

    /// The class sign `j ∈ {+1, −1}` of filter row `row`.
    @inlinable
    package func classSign(ofRow row: Int) -> Double { row < filtersPerClass ? 1 : -1 }

    /// The second-layer weight `j κ` of filter row `row`: `f = Σ_r κ ReLU(⟨w_{+1,r}, x_p⟩ + b) − Σ_r κ ReLU(⟨w_{−1,r}, x_p⟩ + b)`
    /// summed over patches (docs/model.md §3).
    @inlinable
    package func outputWeight(ofRow row: Int) -> Double { row < filtersPerClass ? outputScale : -outputScale }

    /// The second-layer weight of filter row `row` with a trainable head (docs/model.md §11, `linear-probe`, `lp-ft`):
    /// `j a_{j,r}`; without one (`head == nil`) the fixed `j κ` of ``outputWeight(ofRow:)``.
    @inlinable
    package func outputWeight(ofRow row: Int, head: [Double]?) -> Double {
        guard let head else { return outputWeight(ofRow: row) }
        return classSign(ofRow: row) * head[row]
    }

    /// One patch's contribution to `f` (§3, §11): `Σ_row outputWeight(row, head) · ReLU(a_row + b_row)` over the rows
    /// in order, from the pre-activations `a_row` without bias.
    ///
    /// - Complexity: O(m).
    @inlinable
    package func patchOutput(biases: [Double], head: [Double]?, preActivation: (Int) -> Double) -> Double {
        var total = 0.0
        for row in 0..<filterCount {
            total += outputWeight(ofRow: row, head: head) * max(preActivation(row) + biases[row], 0)
        }
        return total
    }
}

/// The trainable parameters: filters `W` (`2m × d`, row-major), biases `b` (`2m`, all zero and
/// untouched when the architecture has none) and, for the recipes that train one, a head `a` (docs/model.md §11).
package struct Parameters: Sendable, Equatable {
    /// Filter matrix, row `r` = `w_{+1,r}`, row `m + r` = `w_{−1,r}`.
    package var weights: Matrix
    /// Biases `b_{j,r}` in the same row order.
    package var biases: [Double]
    /// The second layer `a_{j,r}` (length `2m`, row order) of `f = Σ_j j Σ_r a_{j,r} Σ_p σ(⟨w_{j,r}, x⁽ᵖ⁾⟩ + b_{j,r})`
    /// (§11, `linear-probe` and `lp-ft`); nil is §3's fixed second layer, `a_{j,r} = κ`.
    package var head: [Double]?

    /// Parameters from their parts; `biases.count` (and `head.count`) must equal `weights.rows`.
    package init(weights: Matrix, biases: [Double], head: [Double]? = nil) {
        precondition(
            biases.count == weights.rows && (head?.count ?? weights.rows) == weights.rows,
            "Parameters: \(biases.count) biases, \(head?.count ?? 0) head weights for \(weights.rows) filters")
        self.weights = weights
        self.biases = biases
        self.head = head
    }

    /// Whether every filter entry, bias and head weight is finite.
    package var isFinite: Bool {
        weights.storage.allFinite && biases.allFinite && (head?.allFinite ?? true)
    }

    /// The largest absolute filter entry or bias (`‖(W, b)‖_max`; the head is not included).
    package var maxMagnitude: Double {
        max(weights.storage.reduce(0) { max($0, abs($1)) }, biases.reduce(0) { max($0, abs($1)) })
    }
}
