/// Gradient descent on a LoRA adapter (docs/model.md §11, recipe `lora`): the filters are `W⁰ + (s/r) B A` per class,
/// `W⁰` (the downstream start) and the biases frozen, and only `A`, `B` train with
/// `∇_{B_j} = (s/r) G_j A_jᵀ`, `∇_{A_j} = (s/r) B_jᵀ G_j`, `G_j = ∇_{W_j} L` (§4).
///
/// The update leaves the span of the patches, so §5's `γ`, `ρ` are not defined (``keepsSpan`` is false).
///
/// - Complexity: O(m N d + m r d) per step.
struct LowRankState: DescentState {
    let architecture: Architecture
    let sample: TaskSample
    /// `W⁰` and the biases.
    let base: Parameters
    /// The adapter at the start.
    let start: LowRankAdapter
    /// The adapter being trained.
    private(set) var lowRank: LowRankAdapter
    /// `W⁰ + (s/r) B A`, kept current.
    private var current: Parameters

    init(architecture: Architecture, sample: TaskSample, base: Parameters, adapter: LowRankAdapter) {
        precondition(
            adapter.b.rows == architecture.filterCount && adapter.a.cols == architecture.dimension && base.head == nil,
            "LowRankState: adapter of \(adapter.b.rows) filters and dimension \(adapter.a.cols) for \(architecture.filterCount) × \(architecture.dimension)"
        )
        self.architecture = architecture
        self.sample = sample
        self.base = base
        lowRank = adapter
        start = adapter
        current = base
        current.weights = adapter.filters(base: base.weights)
    }

    var biases: [Double] { base.biases }
    var head: [Double]? { nil }
    var isFinite: Bool { current.isFinite && lowRank.isFinite }
    var keepsSpan: Bool { false }
    var adapters: (initial: LowRankAdapter, current: LowRankAdapter)? { (start, lowRank) }

    func forward(into forward: inout Forward) {
        forward.recompute(architecture: architecture, parameters: current, sample: sample)
    }

    /// Every row has the same step `−η` (validation refuses `T_freeze` and `λ` with `lora`); the gradient with respect
    /// to the filters, scaled by it, drives both factors. The update leaves the span of the patches, so `decomposition`
    /// (undefined, ``keepsSpan``) is left as it is.
    mutating func step(
        _ coefficients: GradientCoefficients, rowScales: [Double], headScale: Double,
        decomposition: inout Decomposition, muSquaredNorm: Double, noiseSquaredNorms: [Double]
    ) {
        precondition(rowScales.allSatisfy { $0 == rowScales.first }, "LowRankState: LoRA steps every filter alike")
        var scaled = Parameters(
            weights: Matrix(rows: current.weights.rows, cols: current.weights.cols),
            biases: [Double](repeating: 0, count: current.biases.count))
        coefficients.apply(rowScales: rowScales, sample: sample, to: &scaled)
        lowRank.step(scaledGradient: scaled.weights)
        current.weights = lowRank.filters(base: base.weights)
    }

    mutating func shrinkDisplacement(_ factors: [Double]) {
        precondition(factors.allSatisfy { $0 == 1 }, "LowRankState: no L2-SP pull on a LoRA adapter")
    }

    func alignments(_ directions: [[(Int, Double)]]) -> [[Double]] {
        current.weights.alignments(directions)
    }

    func parameters() -> Parameters { current }
}
