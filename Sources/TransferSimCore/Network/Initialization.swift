/// How fresh filters (and biases) are drawn (docs/model.md §3, §10).
package enum Initialization: Sendable, Equatable {
    /// `w ~ N(0, σ_0² I)` entrywise; biases start at 0 (**choice**: the theory has no bias).
    case gaussian(sigma0: Double)
    /// PyTorch's default `Conv1d` init: `w, b ~ U(−1/√d, 1/√d)` entrywise.
    case pytorchUniform

    /// Draws parameters for `architecture` from `generator`: the `2m × d` filters in row-major order,
    /// then (with bias, `pytorchUniform` only) the `2m` biases.
    package func draw(_ architecture: Architecture, generator: inout Xoshiro256StarStar) -> Parameters {
        let rows = architecture.filterCount
        let d = architecture.dimension
        var weights = Matrix(rows: rows, cols: d)
        var biases = [Double](repeating: 0, count: rows)
        switch self {
        case .gaussian(let sigma0):
            generator.fillNormal(&weights.storage, scale: sigma0)
        case .pytorchUniform:
            let bound = 1 / Double(d).squareRoot()
            for k in weights.storage.indices { weights.storage[k] = bound * (2 * generator.uniform() - 1) }
            if architecture.hasBias {
                for k in biases.indices { biases[k] = bound * (2 * generator.uniform() - 1) }
            }
        }
        return Parameters(weights: weights, biases: biases)
    }
}
