/// The span engine (docs/model.md §4–§5, ``SpanState``) for a batch of cells that share their noise patches `Ξ`,
/// labels, initial filters `W⁽⁰⁾` and biases and differ only in their signal `μ` — the cells of a Kou-type sweep row,
/// whose ‖μ‖ axis changes nothing else — trained together with the cell index innermost.
///
/// Per cell it runs the iteration of ``SpanState`` with a plain schedule (every filter at step `η`, nothing frozen, no
/// head, no target loss):
///
///     ⟨w_{j,r}, ξ_i⟩ = P₀ + (R G)_{j,r,i} + c_{j,r} m_i,      ⟨w_{j,r}, μ⟩ = s₀ + (R m)_{j,r} + c_{j,r} ‖μ‖²
///
/// then the outputs, the coefficients of ``GradientCoefficients`` and `R ← R − η noise`, `c ← c − η signal`,
/// `b ← b − η ∇_b L`. The products are this type's own loops, not BLAS: `(R G)_{j,r,i} = Σ_k R_{j,r,k} G_{k,i}` is
/// summed over `k` in increasing order from 0, then added to `P₀`, and every other sum runs in index order, so each
/// cell computes the same operations in the same order whatever the batch — its size, its other cells, their order —
/// and its bits depend on nothing else (no BLAS kernel either). Against ``SpanState``'s BLAS products the iterates
/// agree to rounding. The loops over cells are element-wise (no sum across cells), which the compiler vectorises.
///
/// A cell whose outputs leave ``Forward/divergenceBound`` (or become NaN) stops there with status `diverged`; the
/// others go on.
///
/// - Complexity: O(N² d + K m N d) once (the shared products and each cell's `s₀`, `m`), then O(K m N²) per step
///   for `K` cells, with no BLAS call and no allocation.
package struct SpanBatch: Sendable {
    /// The network trained (`2m` rows, `κ`, biases).
    package let architecture: Architecture
    /// Cells in the batch, `K`.
    package let cells: Int
    /// Training samples `N`.
    package let sampleCount: Int
    /// `G = ΞΞᵀ`, `N × N`.
    private let gram: [Double]
    /// `P₀ = W⁽⁰⁾Ξᵀ`, `2m × N`.
    private let initialProducts: [Double]
    /// Observed labels `y_i`.
    private let labels: [Double]
    /// Clean labels `ŷ_i`.
    private let cleanLabels: [Double]
    /// `s₀ = W⁽⁰⁾μ`, `2m × K` (cell innermost).
    private let initialProjections: [Double]
    /// `m_i = ⟨ξ_i, μ⟩`, `N × K`.
    private let noiseDotMu: [Double]
    /// `‖μ‖²`, one per cell.
    private let muSquared: [Double]
    /// `c_{j,r}`, `2m × K`.
    package private(set) var muCoefficients: [Double]
    /// `R_{j,r,i}`, `2m × N × K`.
    package private(set) var noiseCoefficients: [Double]
    /// `b_{j,r}`, `2m × K`.
    package private(set) var biases: [Double]
    /// Whether each cell still trains (not diverged).
    package private(set) var running: [Bool]
    /// Steps each cell took (its divergence step, or `T`).
    package private(set) var stepsTaken: [Int]
    // Scratch, refilled every step.
    private var preActivations: [Double]  // 2m × N × K
    private var projections: [Double]  // 2m × K
    private var outputs: [Double]  // N × K
    private var lossWeights: [Double]  // N × K: (κ/N) g_i
    private var classSums: [Double]  // 2 × K: S₊, S₋
    private var noiseSums: [Double]  // K: one row's Σ_i noise_{j,r,i}

    /// A batch at `initial` (shared) for `samples` (one per cell: the same `Ξ`, labels and clean labels, each its own
    /// `μ`); `gram` is `ΞΞᵀ` and `initialProducts` `W⁽⁰⁾Ξᵀ` (``SpanState/gram(_:)``, ``SpanState/initialProducts(_:_:)``)
    /// when already computed (a sweep row's cache).
    package init(
        architecture: Architecture, initial: Parameters, samples: [TaskSample], gram: Matrix? = nil,
        initialProducts: Matrix? = nil
    ) {
        let first = samples[0]
        precondition(
            initial.head == nil
                && samples.allSatisfy {
                    $0.noise == first.noise && $0.labels == first.labels && $0.cleanLabels == first.cleanLabels
                },
            "SpanBatch: cells must share Ξ, labels and initial filters (and train no head)")
        let rows = architecture.filterCount, n = first.count, k = samples.count
        self.architecture = architecture
        cells = k
        sampleCount = n
        self.gram = (gram ?? SpanState.gram(first.noise)).storage
        self.initialProducts = (initialProducts ?? SpanState.initialProducts(initial.weights, first.noise)).storage
        labels = first.labels
        cleanLabels = first.cleanLabels
        var s0 = [Double](repeating: 0, count: rows * k), m = [Double](repeating: 0, count: n * k)
        var projection = [Double](repeating: 0, count: rows)
        for (cell, sample) in samples.enumerated() {
            // As SpanState computes them, bit for bit.
            BLAS.gemv(initial.weights, sample.mu, into: &projection)
            let dots = sample.noise.times(sample.mu)
            for row in 0..<rows { s0[row * k + cell] = projection[row] }
            for i in 0..<n { m[i * k + cell] = dots[i] }
        }
        initialProjections = s0
        noiseDotMu = m
        muSquared = samples.map { BLAS.dot($0.mu, $0.mu) }
        muCoefficients = [Double](repeating: 0, count: rows * k)
        noiseCoefficients = [Double](repeating: 0, count: rows * n * k)
        biases = initial.biases.flatMap { [Double](repeating: $0, count: k) }
        running = [Bool](repeating: true, count: k)
        stepsTaken = [Int](repeating: 0, count: k)
        preActivations = [Double](repeating: 0, count: rows * n * k)
        projections = [Double](repeating: 0, count: rows * k)
        outputs = [Double](repeating: 0, count: n * k)
        lossWeights = [Double](repeating: 0, count: n * k)
        classSums = [Double](repeating: 0, count: 2 * k)
        noiseSums = [Double](repeating: 0, count: k)
    }

    /// Runs `steps` steps of size `stepSize` (each cell stops at its divergence) and returns each cell's training
    /// loss `L(W⁽ᵀ⁾)` (§4; ∞ or NaN for a diverged cell, as ``TrainingResult/trainLoss``).
    package mutating func train(steps: Int, stepSize: Double) -> [Double] {
        for t in 0..<steps {
            forward()
            markDivergence(atStep: t)
            guard running.contains(true) else { break }
            step(stepSize: stepSize)
        }
        forward()
        markDivergence(atStep: steps)
        for cell in 0..<cells where running[cell] { stepsTaken[cell] = steps }
        return (0..<cells).map { loss(cell: $0) }
    }

    /// The loss `(1/N) Σ_i ℓ(y_i f_i)` of `cell` at the last forward pass.
    package func loss(cell: Int) -> Double {
        var total = 0.0
        for i in 0..<sampleCount { total += LogisticLoss.value(labels[i] * outputs[i * cells + cell]) }
        return total / Double(max(sampleCount, 1))
    }

    /// `cell`'s span representation `W = W⁽⁰⁾ + c μᵀ + R Ξ` and biases.
    package func coefficients(cell: Int) -> (mu: [Double], noise: Matrix, biases: [Double]) {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        var noise = Matrix(rows: rows, cols: n)
        for row in 0..<rows { for i in 0..<n { noise[row, i] = noiseCoefficients[(row * n + i) * k + cell] } }
        return (
            (0..<rows).map { muCoefficients[$0 * k + cell] }, noise, (0..<rows).map { biases[$0 * k + cell] }
        )
    }

    // MARK: - One step

    /// Stops every running cell whose outputs are not all within ``Forward/divergenceBound`` (a NaN fails).
    private mutating func markDivergence(atStep t: Int) {
        for cell in 0..<cells where running[cell] {
            var moderate = true
            for i in 0..<sampleCount {
                moderate = moderate && abs(outputs[i * cells + cell]) <= Forward.divergenceBound
            }
            if !moderate {
                running[cell] = false
                stepsTaken[cell] = t
            }
        }
    }

    /// The pre-activations `P₀ + R G + c mᵀ + b`, projections `s₀ + R m + c ‖μ‖²` and outputs of every cell.
    private mutating func forward() {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        let kappa = architecture.outputScale
        gram.withUnsafeBufferPointer { g in
            initialProducts.withUnsafeBufferPointer { p0 in
                noiseCoefficients.withUnsafeBufferPointer { r in
                    noiseDotMu.withUnsafeBufferPointer { m in
                        muCoefficients.withUnsafeBufferPointer { c in
                            biases.withUnsafeBufferPointer { b in
                                preActivations.withUnsafeMutableBufferPointer { a in
                                    for row in 0..<rows {
                                        for i in 0..<n {
                                            Self.product(
                                                row: r.baseAddress! + row * n * k, column: g.baseAddress! + i,
                                                stride: n, count: n, cells: k,
                                                into: a.baseAddress! + (row * n + i) * k)
                                        }
                                        for i in 0..<n {
                                            let target = a.baseAddress! + (row * n + i) * k, p = p0[row * n + i]
                                            let dots = m.baseAddress! + i * k, cs = c.baseAddress! + row * k
                                            let bs = b.baseAddress! + row * k
                                            for cell in 0..<k {
                                                target[cell] = (p + target[cell] + cs[cell] * dots[cell]) + bs[cell]
                                            }
                                        }
                                    }
                                }
                                projections.withUnsafeMutableBufferPointer { s in
                                    initialProjections.withUnsafeBufferPointer { s0 in
                                        for row in 0..<rows {
                                            let target = s.baseAddress! + row * k, cs = c.baseAddress! + row * k
                                            for cell in 0..<k { target[cell] = 0 }
                                            for i in 0..<n {
                                                let source = r.baseAddress! + (row * n + i) * k
                                                let dots = m.baseAddress! + i * k
                                                for cell in 0..<k { target[cell] += source[cell] * dots[cell] }
                                            }
                                            for cell in 0..<k {
                                                target[cell] =
                                                    s0[row * k + cell] + target[cell] + cs[cell] * muSquared[cell]
                                            }
                                        }
                                    }
                                }
                                outputs.withUnsafeMutableBufferPointer { f in
                                    f.update(repeating: 0)
                                    preActivations.withUnsafeBufferPointer { a in
                                        projections.withUnsafeBufferPointer { s in
                                            for row in 0..<rows {
                                                let sign = row < architecture.filtersPerClass ? kappa : -kappa
                                                let ss = s.baseAddress! + row * k, bs = b.baseAddress! + row * k
                                                for i in 0..<n {
                                                    let source = a.baseAddress! + (row * n + i) * k
                                                    let target = f.baseAddress! + i * k
                                                    let positive = cleanLabels[i] > 0
                                                    for cell in 0..<k {
                                                        let signal = max(
                                                            (positive ? ss[cell] : -ss[cell]) + bs[cell], 0)
                                                        target[cell] += sign * (signal + max(source[cell], 0))
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `target[cell] = Σ_j row[j·cells + cell] · column[j·stride]` for every cell, summed over `j` in increasing order
    /// from 0 with a multiplication and an addition per term (no fused multiply-add), whatever the lane: four
    /// 8-lane accumulators at a time, then one, then scalars — the same operations per cell in every case.
    @inline(__always)
    private static func product(
        row: UnsafePointer<Double>, column: UnsafePointer<Double>, stride: Int, count: Int, cells: Int,
        into target: UnsafeMutablePointer<Double>
    ) {
        typealias Lanes = SIMD8<Double>
        func load(_ pointer: UnsafePointer<Double>) -> Lanes { UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self) }
        func store(_ value: Lanes, _ pointer: UnsafeMutablePointer<Double>) {
            UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Lanes.self)
        }
        var cell = 0
        while cell + 32 <= cells {
            var (a0, a1, a2, a3) = (Lanes(), Lanes(), Lanes(), Lanes())
            for j in 0..<count {
                let weight = Lanes(repeating: column[j * stride]), source = row + j * cells + cell
                a0 = a0 + load(source) * weight
                a1 = a1 + load(source + 8) * weight
                a2 = a2 + load(source + 16) * weight
                a3 = a3 + load(source + 24) * weight
            }
            store(a0, target + cell)
            store(a1, target + cell + 8)
            store(a2, target + cell + 16)
            store(a3, target + cell + 24)
            cell += 32
        }
        while cell + 8 <= cells {
            var total = Lanes()
            for j in 0..<count { total = total + load(row + j * cells + cell) * Lanes(repeating: column[j * stride]) }
            store(total, target + cell)
            cell += 8
        }
        while cell < cells {
            var total = 0.0
            for j in 0..<count { total = total + row[j * cells + cell] * column[j * stride] }
            target[cell] = total
            cell += 1
        }
    }

    /// One gradient step of size `stepSize` for every running cell (``GradientCoefficients``'s coefficients); a
    /// stopped cell keeps its parameters.
    private mutating func step(stepSize: Double) {
        let rows = architecture.filterCount, n = sampleCount, k = cells
        let scale = architecture.outputScale / Double(n), hasBias = architecture.hasBias
        // (κ/N) g_i and the class sums S₊, S₋ of g_i (i increasing).
        for cell in 0..<(2 * k) { classSums[cell] = 0 }
        for i in 0..<n {
            for cell in 0..<k {
                let g = LogisticLoss.derivative(labels[i] * outputs[i * k + cell]) * labels[i]
                classSums[(cleanLabels[i] > 0 ? 0 : k) + cell] += g
                lossWeights[i * k + cell] = scale * g
            }
        }
        let rate = -stepSize
        preActivations.withUnsafeBufferPointer { a in
            lossWeights.withUnsafeBufferPointer { h in
                noiseCoefficients.withUnsafeMutableBufferPointer { r in
                    noiseSums.withUnsafeMutableBufferPointer { sums in
                        running.withUnsafeBufferPointer { live in
                            for row in 0..<rows {
                                let sign = architecture.classSign(ofRow: row), factor = sign * scale
                                sums.update(repeating: 0)
                                for i in 0..<n {
                                    let source = a.baseAddress! + (row * n + i) * k, weights = h.baseAddress! + i * k
                                    let target = r.baseAddress! + (row * n + i) * k
                                    for cell in 0..<k {
                                        // σ'(a) sign h_i, +0 where the filter is off (as GradientCoefficients).
                                        let coefficient = source[cell] > 0 ? sign * weights[cell] : 0
                                        sums[cell] += coefficient
                                        let moved = target[cell] + rate * coefficient
                                        target[cell] = live[cell] ? moved : target[cell]
                                    }
                                }
                                for cell in 0..<k where live[cell] {
                                    let projection = projections[row * k + cell], b = biases[row * k + cell]
                                    let positive = projection + b > 0 ? classSums[cell] : 0
                                    let negative = -projection + b > 0 ? classSums[k + cell] : 0
                                    muCoefficients[row * k + cell] += rate * (factor * (positive - negative))
                                    if hasBias {
                                        biases[row * k + cell] += rate * (sums[cell] + factor * (positive + negative))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
