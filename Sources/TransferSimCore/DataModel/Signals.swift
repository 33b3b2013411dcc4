/// The signal vectors of both tasks (docs/model.md §1).
///
/// Three orthonormal directions are the coordinate axes `e_u = e₀`, `e_1 = e₁`, `e_2 = e₂` (rotation
/// invariance of the noise makes the choice immaterial). Then
/// `u = ‖u‖ e_u`, `v_1 = ‖v_1‖ (c e_2 + √(1 − c²) e_1)`, `v_2 = ‖v_2‖ e_2`, `μ_k = u + v_k`.
/// Because the axes are fixed, `d` must exceed the largest axis a nonzero signal component uses
/// (``requiredDimension``).
package struct Signals: Sendable, Equatable {
    /// ‖u‖, the universal signal strength.
    package let uNorm: Double
    /// ‖v_1‖.
    package let v1Norm: Double
    /// ‖v_2‖.
    package let v2Norm: Double
    /// c = cos(v_1, v_2).
    package let cosine: Double

    /// Signals from the three norms and the cosine; all norms ≥ 0, `c ∈ [−1, 1]` (checked by the config).
    package init(uNorm: Double, v1Norm: Double, v2Norm: Double, cosine: Double) {
        precondition(
            uNorm >= 0 && v1Norm >= 0 && v2Norm >= 0 && abs(cosine) <= 1,
            "Signals need non-negative norms and |c| ≤ 1, got \(uNorm), \(v1Norm), \(v2Norm), \(cosine)")
        self.uNorm = uNorm
        self.v1Norm = v1Norm
        self.v2Norm = v2Norm
        self.cosine = cosine
    }

    /// Task `k ∈ {1, 2}`.
    package enum Task: Int, Sendable, CaseIterable {
        case one = 1, two = 2
    }

    /// `(coordinate, value)` pairs of the nonzero coordinates of `u`.
    package var u: [(Int, Double)] { uNorm == 0 ? [] : [(0, uNorm)] }

    /// The unit direction `v̂_k` as sparse coordinates (defined even when ‖v_k‖ = 0).
    package func direction(_ task: Task) -> [(Int, Double)] {
        switch task {
        case .one:
            let sine = (1 - cosine * cosine).squareRoot()
            return [(1, sine), (2, cosine)].filter { $0.1 != 0 }
        case .two:
            return [(2, 1)]
        }
    }

    /// ‖v_k‖.
    package func vNorm(_ task: Task) -> Double { task == .one ? v1Norm : v2Norm }

    /// ‖μ_k‖ = √(‖u‖² + ‖v_k‖²) (u ⟂ v_k).
    package func muNorm(_ task: Task) -> Double {
        (uNorm * uNorm + vNorm(task) * vNorm(task)).squareRoot()
    }

    /// `μ_k = u + v_k` as a dense vector of length `d`.
    package func mu(_ task: Task, dimension d: Int) -> [Double] {
        var vector = [Double](repeating: 0, count: d)
        for (axis, value) in u { vector[axis] += value }
        for (axis, value) in direction(task) where vNorm(task) != 0 { vector[axis] += vNorm(task) * value }
        return vector
    }

    /// Orthonormal basis of `span{u, v_k}` (zero vectors skipped), the range of the projector `P_k` of §2.
    package func projectorBasis(_ task: Task) -> [[(Int, Double)]] {
        var basis: [[(Int, Double)]] = []
        if uNorm != 0 { basis.append([(0, 1)]) }
        if vNorm(task) != 0 { basis.append(direction(task)) }
        return basis
    }

    /// The smallest `d` holding every nonzero signal component: 1 + the largest axis used.
    package var requiredDimension: Int {
        var axes = u.map(\.0)
        for task in Task.allCases where vNorm(task) != 0 { axes += direction(task).map(\.0) }
        return (axes.max() ?? -1) + 1
    }

    /// The unit directions `ŝ ∈ {e_u, v̂_1, v̂_2}` whose alignments `⟨w_{j,r}, ŝ⟩` the history logs (§5).
    package var alignmentDirections: [[(Int, Double)]] {
        [[(0, 1)], direction(.one), direction(.two)]
    }
}
