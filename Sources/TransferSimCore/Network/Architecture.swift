/// The shape of the two-layer ReLU CNN of MODEL.md §3.
///
/// `2m` filters `w_{j,r} ∈ R^d`; row `r` of the filter matrix is class `j = +1`, row `m + r` class
/// `j = −1` (the export order `(2, m, d)`). The second layer is fixed at `±κ`.
public struct Architecture: Sendable, Equatable {
    /// Filters per class `m ≥ 1`.
    public let filtersPerClass: Int
    /// Patch dimension `d ≥ 1`.
    public let dimension: Int
    /// Output scale `κ > 0` (theory: `1/m`; Kou et al.'s code: `1/2`).
    public let outputScale: Double
    /// Whether the biases `b_{j,r}` exist and train.
    public let hasBias: Bool

    /// An architecture; the sizes must be positive.
    public init(filtersPerClass: Int, dimension: Int, outputScale: Double, hasBias: Bool) {
        precondition(filtersPerClass >= 1 && dimension >= 1 && outputScale > 0,
                     "Architecture needs m ≥ 1, d ≥ 1, κ > 0; got m = \(filtersPerClass), d = \(dimension), κ = \(outputScale)")
        self.filtersPerClass = filtersPerClass
        self.dimension = dimension
        self.outputScale = outputScale
        self.hasBias = hasBias
    }

    /// Total number of filters, `2m`.
    public var filterCount: Int { 2 * filtersPerClass }

    /// The class sign `j ∈ {+1, −1}` of filter row `row`.
    @inlinable
    public func classSign(ofRow row: Int) -> Double { row < filtersPerClass ? 1 : -1 }

    /// The second-layer weight `j κ` of filter row `row`: `f = Σ_r κ ReLU(⟨w_{+1,r}, x_p⟩ + b) − Σ_r κ ReLU(⟨w_{−1,r}, x_p⟩ + b)`
    /// summed over patches (MODEL.md §3).
    @inlinable
    public func outputWeight(ofRow row: Int) -> Double { row < filtersPerClass ? outputScale : -outputScale }

    /// One patch's contribution to `f` (§3): `Σ_row outputWeight(row) · ReLU(a_row + b_row)` over the rows in
    /// order, from the pre-activations `a_row` without bias.
    ///
    /// - Complexity: O(m).
    @inlinable
    public func patchOutput(biases: [Double], preActivation: (Int) -> Double) -> Double {
        var total = 0.0
        for row in 0..<filterCount { total += outputWeight(ofRow: row) * max(preActivation(row) + biases[row], 0) }
        return total
    }
}

/// The trainable parameters: filters `W` (`2m × d`, row-major) and biases `b` (`2m`, all zero and
/// untouched when the architecture has none).
public struct Parameters: Sendable, Equatable {
    /// Filter matrix, row `r` = `w_{+1,r}`, row `m + r` = `w_{−1,r}`.
    public var weights: Matrix
    /// Biases `b_{j,r}` in the same row order.
    public var biases: [Double]

    /// Parameters from their parts; `biases.count` must equal `weights.rows`.
    public init(weights: Matrix, biases: [Double]) {
        precondition(biases.count == weights.rows, "Parameters: \(biases.count) biases for \(weights.rows) filters")
        self.weights = weights
        self.biases = biases
    }

    /// Whether every filter entry and bias is finite.
    public var isFinite: Bool {
        weights.storage.allFinite && biases.allFinite
    }

    /// The largest absolute filter entry or bias (`‖(W, b)‖_max`).
    public var maxMagnitude: Double {
        max(weights.storage.reduce(0) { max($0, abs($1)) }, biases.reduce(0) { max($0, abs($1)) })
    }
}
