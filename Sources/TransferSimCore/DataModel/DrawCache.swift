/// The last few standard draws and draw-determined matrices made, kept by one worker so that consecutive
/// cells with the same streams and sizes (a sweep row varying `‖μ‖`, `σ_p` or `p`) skip recomputing them.
/// Not shared between threads; it holds at most ``capacity`` standard draws and twice as many other values (the
/// oldest is dropped).
public final class DrawCache {
    private struct DrawKey: Hashable {
        let seed: UInt64
        let count: Int
        let dimension: Int
    }

    /// Standard draws kept; twice as many other values (a sweep row's span engine keeps about six).
    public let capacity: Int
    private var draws = Recent<DrawKey, StandardDraws>()
    private var values = Recent<String, Any>()
    /// Draws generated (cache misses) since creation.
    public private(set) var generated = 0

    /// An empty cache of `capacity` standard draws (and `2 · capacity` other values).
    public init(capacity: Int = 4) {
        self.capacity = max(1, capacity)
    }

    /// The draws for `(count, dimension, seed)`, from the cache when present.
    public func draws(count: Int, dimension: Int, seed: UInt64) -> StandardDraws {
        draws.value(DrawKey(seed: seed, count: count, dimension: dimension), capacity: capacity) {
            generated += 1
            return StandardDraws(count: count, dimension: dimension, seed: seed)
        }
    }

    /// A matrix named by `key` (a string that determines its values), computed by `compute` on a miss
    /// (population Gaussians, the span engine's test products, ``SpanRepresentation``).
    public func matrix(_ key: String, _ compute: () -> Matrix) -> Matrix {
        value(key, compute)
    }

    /// A value named by `key` (a string that determines it), computed by `compute` on a miss: the span engine's
    /// Gram matrix and `W⁽⁰⁾Ξᵀ`, a fresh init shared by a sweep row. A key names one type of value; an entry of
    /// another type under it is recomputed.
    public func value<Value>(_ key: String, _ compute: () -> Value) -> Value {
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
