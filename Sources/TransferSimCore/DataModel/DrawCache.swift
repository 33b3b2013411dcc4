/// The last few standard draws and draw-determined matrices made, kept by one worker so that consecutive
/// cells with the same streams and sizes (a sweep row varying `‖μ‖`, `σ_p` or `p`) skip recomputing them.
/// Not shared between threads; it holds at most ``capacity`` standard draws and twice as many other values (the
/// oldest is dropped).
package final class DrawCache {
    /// What a cached value is, and everything that determines it (typed: two kinds of value never share a key).
    package enum Key: Hashable, Sendable {
        /// Population Gaussians of a test-draw stream: `count × filters`.
        case gaussians(seed: UInt64, count: Int, filters: Int)
        /// The span engine's Gram matrix `ΞΞᵀ` of the training noise `training` names.
        case gram(training: String)
        /// `W⁽⁰⁾Ξᵀ` of the init and training noise named.
        case initialProducts(initial: String, training: String)
        /// `‖ξ_i‖²` of the training noise named.
        case noiseNorms(training: String)
        /// A fresh initialisation (`W⁽⁰⁾`, biases) shared by a sweep row.
        case freshInit(initial: String)
        /// `W⁽⁰⁾Ξ_tᵀ` of the init and test noise named.
        case initialTestProducts(initial: String, test: String)
        /// `ΞΞ_tᵀ` of the training and test noise named.
        case trainingTestProducts(training: String, test: String)
    }

    private struct DrawKey: Hashable {
        let seed: UInt64
        let count: Int
        let dimension: Int
    }

    /// Standard draws kept; twice as many other values (a sweep row's span engine keeps about six).
    package let capacity: Int
    private var draws = Recent<DrawKey, StandardDraws>()
    private var values = Recent<Key, Any>()
    /// Draws generated (cache misses) since creation.
    package private(set) var generated = 0

    /// An empty cache of `capacity` standard draws (and `2 · capacity` other values).
    package init(capacity: Int = 4) {
        self.capacity = max(1, capacity)
    }

    /// The draws for `(count, dimension, seed)`, from the cache when present.
    package func draws(count: Int, dimension: Int, seed: UInt64) -> StandardDraws {
        draws.value(DrawKey(seed: seed, count: count, dimension: dimension), capacity: capacity) {
            generated += 1
            return StandardDraws(count: count, dimension: dimension, seed: seed)
        }
    }

    /// The matrix `key` names, computed by `compute` on a miss (population Gaussians, the span engine's products,
    /// ``SpanRepresentation``).
    package func matrix(_ key: Key, _ compute: () -> Matrix) -> Matrix {
        value(key, compute)
    }

    /// The value `key` names, computed by `compute` on a miss (a fresh init shared by a sweep row, noise norms). A key
    /// names one type of value; an entry of another type under it is recomputed.
    package func value<Value>(_ key: Key, _ compute: () -> Value) -> Value {
        if let hit = values.value(key, capacity: 2 * capacity, { compute() }) as? Value { return hit }
        let fresh = compute()
        values.replace(key, with: fresh)
        return fresh
    }

    /// The most recently inserted values by key, oldest dropped first.
    private struct Recent<Key: Hashable, Value> {
        private var values: [Key: Value] = [:]
        private var order: [Key] = []

        mutating func value(_ key: Key, capacity: Int, _ compute: () -> Value) -> Value {
            if let hit = values[key] { return hit }
            let fresh = compute()
            values[key] = fresh
            order.append(key)
            if order.count > capacity { values[order.removeFirst()] = nil }
            return fresh
        }

        mutating func replace(_ key: Key, with value: Value) {
            values[key] = value
        }
    }
}
