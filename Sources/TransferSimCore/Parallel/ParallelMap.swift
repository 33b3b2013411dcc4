import Foundation
import Synchronization

/// `(0..<count).map(transform)` computed on every core: the indices cut into contiguous chunks that the workers of
/// one `DispatchQueue.concurrentPerform` take, the values returned in index order. The result is the sequential map's
/// whatever the number of cores (each value depends on its index alone), so this is for work that is pure per index —
/// a large sweep's cell configs, stream keys and summary rows — and only the time it takes changes.
///
/// - Complexity: O(count) calls of `transform`, on up to every core.
package func parallelMap<T: Sendable>(_ count: Int, _ transform: @Sendable (Int) -> T) -> [T] {
    let chunks = min(count, 8 * ProcessInfo.processInfo.activeProcessorCount)
    guard chunks > 1 else { return (0..<count).map(transform) }
    let slots = Mutex([[T]](repeating: [], count: chunks))
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        let values = ((chunk * count / chunks)..<((chunk + 1) * count / chunks)).map(transform)
        slots.withLock { $0[chunk] = values }
    }
    return slots.withLock { $0.flatMap { $0 } }
}
