/// What full-batch gradient descent iterates: the filters themselves (``WeightSpaceState``) or their
/// coefficients on the training patches (``SpanState``). Both give the same iterates up to rounding.
protocol DescentState {
    /// Current biases.
    var biases: [Double] { get }
    /// Current head `a` (docs/model.md §11), nil for §3's fixed second layer.
    var head: [Double]? { get }
    /// Whether every coefficient and bias is finite.
    var isFinite: Bool { get }
    /// Overwrites `forward` (shaped by ``Forward/init(architecture:sample:)``) with the forward pass at the current point.
    func forward(into forward: inout Forward)
    /// One step: filter `row` moves by `rowScales[row] · ∇_{w_row} L` (and its bias likewise), the head (if any) by
    /// `headScale · ∇_a L`; when the state ``keepsSpan``, `decomposition` accumulates the same step
    /// (``Decomposition/accumulate(_:rowScales:architecture:muSquaredNorm:noiseSquaredNorms:stepping:)``, with
    /// `‖μ‖²` and the `‖ξ_i‖²` of the training set).
    mutating func step(
        _ coefficients: GradientCoefficients, rowScales: [Double], headScale: Double,
        decomposition: inout Decomposition, muSquaredNorm: Double, noiseSquaredNorms: [Double])
    /// `w_row ← w⁰_row + factors[row] (w_row − w⁰_row)` and the same for the bias (L2-SP's shrinkage towards the start).
    mutating func shrinkDisplacement(_ factors: [Double])
    /// `⟨w_row, ŝ⟩` for every direction (outer index) and filter row (inner index).
    func alignments(_ directions: [[(Int, Double)]]) -> [[Double]]
    /// The filters and biases, materialised.
    func parameters() -> Parameters
    /// Whether §5's decomposition is defined for this state's updates.
    var keepsSpan: Bool { get }
    /// The LoRA adapter at the start and now (recipe `lora`), if any.
    var adapters: (initial: LowRankAdapter, current: LowRankAdapter)? { get }
    /// The model at the current point, as a result holds it: the filters as coefficients on the training patches when
    /// the state keeps them (``FinalModel/init(span:training:biases:head:)``), else ``parameters()``.
    var finalModel: FinalModel { get }
    /// Debug builds: checks the state's invariants against `forward`, its forward pass at the current point
    /// (``TrainingRun`` calls it every ``TrainingRun/invariantInterval`` steps).
    func checkInvariants(_ forward: Forward)
}

extension DescentState {
    /// Nothing to check by default: weight space holds the filters themselves.
    func checkInvariants(_ forward: Forward) {}
    /// The update stays in the span of the patches, so §5's decomposition is defined (LoRA's is not).
    var keepsSpan: Bool { true }
    /// No LoRA adapter.
    var adapters: (initial: LowRankAdapter, current: LowRankAdapter)? { nil }
    /// The parameters themselves.
    var finalModel: FinalModel { FinalModel(parameters()) }
}

/// Gradient descent on the `2m × d` filter matrix: a forward `dgemm` and an update `dgemm` per step.
///
/// - Complexity: O(m N d) per step.
struct WeightSpaceState: DescentState {
    let architecture: Architecture
    let sample: TaskSample
    var current: Parameters
    /// The start `w⁰` (for L2-SP's pull).
    let initial: Parameters

    init(architecture: Architecture, sample: TaskSample, current: Parameters) {
        self.architecture = architecture
        self.sample = sample
        self.current = current
        initial = current
    }

    var biases: [Double] { current.biases }
    var head: [Double]? { current.head }
    var isFinite: Bool { current.isFinite }

    func forward(into forward: inout Forward) {
        forward.recompute(architecture: architecture, parameters: current, sample: sample)
    }

    mutating func step(
        _ coefficients: GradientCoefficients, rowScales: [Double], headScale: Double,
        decomposition: inout Decomposition, muSquaredNorm: Double, noiseSquaredNorms: [Double]
    ) {
        decomposition.accumulate(
            coefficients, rowScales: rowScales, architecture: architecture, muSquaredNorm: muSquaredNorm,
            noiseSquaredNorms: noiseSquaredNorms)
        coefficients.apply(rowScales: rowScales, headScale: headScale, sample: sample, to: &current)
    }

    func alignments(_ directions: [[(Int, Double)]]) -> [[Double]] {
        current.weights.alignments(directions)
    }

    func parameters() -> Parameters { current }

    /// Needs the start: kept as ``initial``.
    mutating func shrinkDisplacement(_ factors: [Double]) {
        let d = architecture.dimension
        for row in factors.indices where factors[row] != 1 {
            for k in 0..<d {
                current.weights[row, k] =
                    initial.weights[row, k] + factors[row] * (current.weights[row, k] - initial.weights[row, k])
            }
            current.biases[row] = initial.biases[row] + factors[row] * (current.biases[row] - initial.biases[row])
        }
    }
}

extension Matrix {
    /// `⟨w_row, ŝ⟩` for every sparse direction `ŝ` (pairs of index and value; outer index) and row (inner index);
    /// indices beyond the row length contribute nothing.
    func alignments(_ directions: [[(Int, Double)]]) -> [[Double]] {
        directions.map { direction in
            (0..<rows).map { row in
                direction.reduce(0) { $0 + ($1.0 < cols ? self[row, $1.0] * $1.1 : 0) }
            }
        }
    }
}
