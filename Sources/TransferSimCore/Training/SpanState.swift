/// The exact span engine: gradient descent on the coefficients of the filters in the span of the
/// training patches (docs/model.md §5).
///
/// Every update adds multiples of `μ` and of the `ξ_i` to the filters, so
/// `w_{j,r}⁽ᵗ⁾ = w_{j,r}⁽⁰⁾ + c_{j,r} μ + Σ_i R_{j,r,i} ξ_i` (`c = jγ/‖μ‖²`, `R = ρ/‖ξ‖²`). With the Gram
/// quantities computed once — `G = ΞΞᵀ` (N × N), `m = Ξμ`, `‖μ‖²`, `P₀ = W⁽⁰⁾Ξᵀ`, `s₀ = W⁽⁰⁾μ` — the
/// inner products every step needs are
///
///     ⟨w_{j,r}, ξ_i⟩ = P₀ + (R G)_{j,r,i} + c_{j,r} m_i,      ⟨w_{j,r}, μ⟩ = s₀ + c_{j,r} ‖μ‖² + (R m)_{j,r}
///
/// and a step moves `c` by `−η_{j,r} · signal_{j,r}` and `R` by `−η_{j,r} · noise_{j,r,i}`
/// (``GradientCoefficients``). Biases, per-filter steps (`T_freeze`, `λ`), any initial filters (inherited
/// or fresh) and both presets are covered; the filters are materialised only when asked
/// (`W = W⁽⁰⁾ + c μᵀ + R Ξ`).
///
/// - Complexity: O(N² d + m N d) once, then O(m N²) per step instead of O(m N d).
struct SpanState: DescentState {
    let architecture: Architecture
    let sample: TaskSample
    let initial: Parameters
    /// `G = Ξ Ξᵀ`, laid out for the step's product.
    let gram: PackedGram
    /// `m_i = ⟨ξ_i, μ⟩`.
    let noiseDotMu: [Double]
    /// `‖μ‖²`.
    let muSquared: Double
    /// `P₀ = W⁽⁰⁾ Ξᵀ`.
    let initialProducts: Matrix
    /// `s₀ = W⁽⁰⁾ μ`.
    let initialProjections: [Double]
    /// Coefficients `c_{j,r}` on `μ`.
    var muCoefficients: [Double]
    /// Coefficients `R_{j,r,i}` on `ξ_i` (`2m × N`).
    var noiseCoefficients: Matrix
    var biases: [Double]
    /// The head `a` (docs/model.md §11, `linear-probe`, `lp-ft`): it does not change the span of the filters' updates, only
    /// the second layer; nil for §3's fixed one.
    var head: [Double]?

    /// The state at `initial` on `sample`; `gram` is `ΞΞᵀ` (``gram(_:)``, laid out) and `initialProducts` `W⁽⁰⁾Ξᵀ`
    /// (``initialProducts(_:_:)``) when already computed.
    init(
        architecture: Architecture, sample: TaskSample, initial: Parameters, gram: PackedGram? = nil,
        initialProducts: Matrix? = nil
    ) {
        self.architecture = architecture
        self.sample = sample
        self.initial = initial
        let rows = architecture.filterCount
        self.gram = gram ?? PackedGram(Self.gram(sample.noise))
        noiseDotMu = sample.noise.times(sample.mu)
        muSquared = BLAS.dot(sample.mu, sample.mu)
        self.initialProducts = initialProducts ?? Self.initialProducts(initial.weights, sample.noise)
        var projections = [Double](repeating: 0, count: rows)
        BLAS.gemv(initial.weights, sample.mu, into: &projections)
        initialProjections = projections
        muCoefficients = [Double](repeating: 0, count: rows)
        noiseCoefficients = Matrix(rows: rows, cols: sample.count)
        biases = initial.biases
        head = initial.head
    }

    /// The Gram matrix `G = ΞΞᵀ` of the noise patches (rows of `noise`).
    static func gram(_ noise: Matrix) -> Matrix {
        var gram = Matrix(rows: noise.rows, cols: noise.rows)
        BLAS.gemm(noise, noise, transposeB: true, into: &gram)
        return gram
    }

    /// `P₀ = W⁽⁰⁾ Ξᵀ` for filters `weights` and noise patches `noise` (rows).
    static func initialProducts(_ weights: Matrix, _ noise: Matrix) -> Matrix {
        var products = Matrix(rows: weights.rows, cols: noise.rows)
        BLAS.gemm(weights, noise, transposeB: true, into: &products)
        return products
    }

    /// Whether every entry of ``noiseCoefficients`` is finite: tested as ``step(_:rowScales:headScale:decomposition:muSquaredNorm:noiseSquaredNorms:)``
    /// moves them (and by ``shrinkDisplacement(_:)``), so ``isFinite`` makes no pass over them.
    private var noiseCoefficientsFinite = true

    var isFinite: Bool {
        noiseCoefficientsFinite && muCoefficients.allFinite && biases.allFinite && (head?.allFinite ?? true)
    }

    func forward(into forward: inout Forward) {
        gram.product(noiseCoefficients, plus: initialProducts, into: &forward.noisePreActivations)
        completeForward(&forward)
    }

    /// Completes a forward pass whose noise products hold `P₀ + R G`: sets the signal projections
    /// `s_r = (s₀_r + Σ_i R_{r,i} m_i) + c_r ‖μ‖²` (the sum by ``Matrix/rowSums(weightedBy:into:)``: ``SpanBatch``'s
    /// operations), then adds `c_r m_i` to each product (a multiplication and an addition), the biases and the outputs
    /// in one pass (``Forward``). No BLAS call: only `G`, `P₀` and `s₀`, computed once, came from BLAS.
    func completeForward(_ forward: inout Forward) {
        noiseDotMu.withUnsafeBufferPointer { m in
            forward.signalProjections.withUnsafeMutableBufferPointer { totals in
                noiseCoefficients.rowSums(weightedBy: m, into: totals)
                for row in 0..<totals.count {
                    totals[row] = (initialProjections[row] + totals[row]) + muCoefficients[row] * muSquared
                }
            }
        }
        forward.complete(
            architecture: architecture, biases: biases, head: head, sample: sample,
            signalTerms: (muCoefficients, noiseDotMu))
    }

    /// `R` and §5's `ρ` take their step in one pass (``Decomposition/accumulate(_:rowScales:architecture:muSquaredNorm:noiseSquaredNorms:stepping:)``),
    /// which also tests the moved entries of `R` for finiteness; then `c`, the biases and the head.
    mutating func step(
        _ coefficients: GradientCoefficients, rowScales: [Double], headScale: Double,
        decomposition: inout Decomposition, muSquaredNorm: Double, noiseSquaredNorms: [Double]
    ) {
        let finite = noiseCoefficients.storage.withUnsafeMutableBufferPointer { r in
            decomposition.accumulate(
                coefficients, rowScales: rowScales, architecture: architecture, muSquaredNorm: muSquaredNorm,
                noiseSquaredNorms: noiseSquaredNorms, stepping: r.baseAddress)
        }
        noiseCoefficientsFinite = noiseCoefficientsFinite && finite
        for row in muCoefficients.indices {
            muCoefficients[row] += rowScales[row] * coefficients.signal[row]
            biases[row] += rowScales[row] * coefficients.bias[row]
        }
        if headScale != 0, head != nil {
            for row in muCoefficients.indices { head![row] += headScale * coefficients.head[row] }
        }
    }

    /// The displacement from `W⁽⁰⁾` is `c μ + R Ξ`: scaling it scales the coefficients (the update stays in the span).
    mutating func shrinkDisplacement(_ factors: [Double]) {
        for row in factors.indices where factors[row] != 1 {
            muCoefficients[row] *= factors[row]
            for i in 0..<noiseCoefficients.cols { noiseCoefficients[row, i] *= factors[row] }
            biases[row] = initial.biases[row] + factors[row] * (biases[row] - initial.biases[row])
        }
        noiseCoefficientsFinite = noiseCoefficients.storage.allFinite
    }

    func alignments(_ directions: [[(Int, Double)]]) -> [[Double]] {
        let d = architecture.dimension
        return directions.map { direction in
            let muPart = Self.component(direction, dimension: d) { sample.mu[$0] }
            let noiseParts = (0..<sample.count).map { i in
                Self.component(direction, dimension: d) { sample.noise[i, $0] }
            }
            return (0..<architecture.filterCount).map { row in
                var value =
                    Self.component(direction, dimension: d) { initial.weights[row, $0] } + muCoefficients[row] * muPart
                for i in noiseParts.indices { value += noiseCoefficients[row, i] * noiseParts[i] }
                return value
            }
        }
    }

    /// `⟨v, ŝ⟩` for a sparse direction `ŝ` (index, value pairs; indices `≥ d` count 0), summed in the direction's order.
    static func component(_ direction: [(Int, Double)], dimension d: Int, _ vector: (Int) -> Double) -> Double {
        direction.reduce(0) { $0 + ($1.0 < d ? vector($1.0) * $1.1 : 0) }
    }

    func parameters() -> Parameters {
        Parameters(weights: representation.filters(sample), biases: biases, head: head)
    }

    var finalModel: FinalModel { FinalModel(span: representation, training: sample, biases: biases, head: head) }

    private var representation: SpanRepresentation {
        SpanRepresentation(
            initial: initial.weights, muCoefficients: muCoefficients, noiseCoefficients: noiseCoefficients)
    }

    /// The span representation against a weight-space recomputation (in the manner of swift-collections'
    /// `_checkInvariants`): the filters materialised as `W⁽⁰⁾ + c μᵀ + R Ξ` give, by a plain forward pass, the
    /// pre-activations and outputs that `forward` computed through `G`, `Ξμ` and `P₀`, to 1e-8 of their scale.
    func checkInvariants(_ forward: Forward) {
        let recomputed = Forward(architecture: architecture, parameters: parameters(), sample: sample)
        let pairs = [
            (forward.noisePreActivations.storage, recomputed.noisePreActivations.storage),
            (forward.signalProjections, recomputed.signalProjections), (forward.outputs, recomputed.outputs),
        ]
        for (name, (span, weight)) in zip(["⟨w, ξ⟩", "⟨w, μ⟩", "f"], pairs) {
            let scale = max(weight.reduce(0) { max($0, abs($1)) }, 1)
            let error = zip(span, weight).reduce(0) { max($0, abs($1.0 - $1.1)) }
            precondition(
                !(error > 1e-8 * scale),
                "span engine invariant: \(name) differs from the materialised filters' by \(error) (scale \(scale))")
        }
    }
}

/// Filters in the span of the training patches: `W = W⁽⁰⁾ + c μᵀ + R Ξ` (docs/model.md §5, ``SpanState``).
package struct SpanRepresentation: Sendable {
    /// `W⁽⁰⁾`, `2m × d`.
    package let initial: Matrix
    /// `c`, length `2m`.
    package let muCoefficients: [Double]
    /// `R`, `2m × N`.
    package let noiseCoefficients: Matrix

    /// The filters `W⁽⁰⁾ + R Ξ + c μᵀ` on the training set `sample` (`R Ξ` by `dgemm`, then `c μᵀ` by `dger`).
    ///
    /// - Complexity: O(m N d).
    package func filters(_ sample: TaskSample) -> Matrix {
        var weights = initial
        BLAS.gemm(noiseCoefficients, sample.noise, into: &weights, beta: 1)
        BLAS.ger(muCoefficients, sample.mu, into: &weights)
        return weights
    }

    /// Keys naming the values of `W⁽⁰⁾`, the training noise `Ξ` and the test noise, for ``DrawCache/matrix(_:_:)``.
    package struct Keys: Sendable {
        /// Determines `W⁽⁰⁾`.
        package let initial: String
        /// Determines `Ξ`.
        package let training: String
        /// Determines the test noise.
        package let test: String

        /// Keys from their parts.
        package init(initial: String, training: String, test: String) {
            self.initial = initial
            self.training = training
            self.test = test
        }
    }

    /// `⟨w_{j,r}, v⟩ = ⟨w⁽⁰⁾_{j,r}, v⟩ + Σ_i R_{j,r,i} ⟨ξ_i, v⟩ + c_{j,r} ⟨μ, v⟩` for every filter, with `μ` and `ξ_i`
    /// those of `training`: summed as ``SpanBatch`` sums `⟨w_{j,r}, μ⟩` in training — `(s₀ + Σ_i R_{j,r,i} m_i) + c_{j,r}
    /// ⟨μ, v⟩` with `s₀` by `dgemv`, `m = Ξ v` (``Matrix/times(_:)``), `⟨μ, v⟩` by `ddot` and the sum over `i`
    /// increasing from 0 — so for `v = μ` it is the last step's signal projection, bit for bit.
    ///
    /// - Complexity: O(m d + N nnz(v) + m N).
    package func signalProjections(_ v: [Double], training: TaskSample) -> [Double] {
        var projections = [Double](repeating: 0, count: initial.rows)
        BLAS.gemv(initial, v, into: &projections)
        let dots = training.noise.times(v), muDot = BLAS.dot(training.mu, v)
        var totals = [Double](repeating: 0, count: projections.count)
        dots.withUnsafeBufferPointer { dots in
            totals.withUnsafeMutableBufferPointer { noiseCoefficients.rowSums(weightedBy: dots, into: $0) }
        }
        for row in projections.indices {
            projections[row] = (projections[row] + totals[row]) + muCoefficients[row] * muDot
        }
        return projections
    }

    /// `⟨w_{j,r}, ξ_t⟩` for every test point: `W⁽⁰⁾Ξ_tᵀ + c (Ξ_t μ)ᵀ + R (Ξ Ξ_tᵀ)`.
    ///
    /// `W⁽⁰⁾Ξ_tᵀ` and `ΞΞ_tᵀ` are shared by the cells of a sweep row (same init, training and test draws), so
    /// with `cache` and `keys` they are computed once; the result is the same bits either way.
    ///
    /// - Complexity: O(m N n_test) with both products cached, else O((m + N) d n_test).
    package func noiseProducts(test: TaskSample, training: TaskSample, cache: DrawCache?, keys: Keys?) -> Matrix {
        var products = Self.initialTestProducts(initial, test: test, cache: cache, keys: keys)
        BLAS.gemm(
            noiseCoefficients, Self.trainingTestProducts(training, test: test, cache: cache, keys: keys),
            into: &products, beta: 1)
        BLAS.ger(muCoefficients, test.noise.times(training.mu), into: &products)
        return products
    }

    /// `W⁽⁰⁾Ξ_tᵀ` (`2m × n_test`, `dgemm`), computed once per `keys` with `cache`.
    package static func initialTestProducts(
        _ initial: Matrix, test: TaskSample, cache: DrawCache?, keys: Keys?
    ) -> Matrix {
        testProducts(
            initial, test: test, cache: cache,
            key: keys.map { .initialTestProducts(initial: $0.initial, test: $0.test) })
    }

    /// `ΞΞ_tᵀ` (`N × n_test`, `dgemm`) of `training`'s noise, computed once per `keys` with `cache`.
    package static func trainingTestProducts(
        _ training: TaskSample, test: TaskSample, cache: DrawCache?, keys: Keys?
    ) -> Matrix {
        testProducts(
            training.noise, test: test, cache: cache,
            key: keys.map { .trainingTestProducts(training: $0.training, test: $0.test) })
    }

    private static func testProducts(_ left: Matrix, test: TaskSample, cache: DrawCache?, key: DrawCache.Key?) -> Matrix
    {
        let compute = {
            var result = Matrix(rows: left.rows, cols: test.count)
            BLAS.gemm(left, test.noise, transposeB: true, into: &result)
            return result
        }
        guard let cache, let key else { return compute() }
        return cache.matrix(key, compute)
    }
}
