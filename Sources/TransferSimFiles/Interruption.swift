import Foundation
import TransferSimCore

/// What happens on SIGINT and SIGTERM (`docs/reliability.md`): the registered handlers run, latest first,
/// each bringing its output to a consistent state and optionally returning a line for the user; the lines
/// are printed on stderr and the process exits with status `128 + signal` (130 for SIGINT, 143 for SIGTERM).
///
/// A handler runs on a dispatch queue of its own while the work goes on; it must take whatever lock keeps
/// its files consistent (a sweep takes the lock of its row appends, so a row is written whole or not at
/// all) and never release it: the process exits right after. Without ``install()`` (library use) signals
/// keep their default action.
package enum Interruption {
    /// Identifies a registered handler.
    package struct Token: Hashable, Sendable {
        fileprivate let id: Int
    }

    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var handlers: [(id: Int, run: @Sendable () -> String?)] = []
        var next = 0
        var sources: [DispatchSourceSignal] = []
    }

    private static let registry = Registry()
    /// Held by ``critical(_:)`` and, from the first signal on, by the interruption for good.
    private static let criticalLock = NSRecursiveLock()

    /// Runs `body` with interruptions held back: a signal arriving meanwhile is handled when `body` returns. For a
    /// step that creates state and registers the handler undoing it (a lock file and its release): no signal can land
    /// between the two, nor can such state be created after the handlers were collected.
    package static func critical<T>(_ body: () throws -> T) rethrows -> T {
        criticalLock.lock()
        defer { criticalLock.unlock() }
        return try body()
    }

    /// Routes SIGINT and SIGTERM to the handlers (idempotent).
    package static func install() {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        guard registry.sources.isEmpty else { return }
        let queue = DispatchQueue(label: "transfersim.interruption")
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { interrupt(number) }
            source.resume()
            registry.sources.append(source)
        }
    }

    /// Registers `handler`, run on SIGINT or SIGTERM until ``unregister(_:)``.
    package static func register(_ handler: @escaping @Sendable () -> String?) -> Token {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        registry.next += 1
        registry.handlers.append((registry.next, handler))
        return Token(id: registry.next)
    }

    /// Removes a handler.
    package static func unregister(_ token: Token) {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        registry.handlers.removeAll { $0.id == token.id }
    }

    private static func interrupt(_ number: Int32) -> Never {
        criticalLock.lock()  // Never released: the process exits below.
        registry.lock.lock()
        let handlers = registry.handlers.reversed()
        registry.lock.unlock()
        let lines = handlers.compactMap { $0.run() }
        // With no handler (options and configs still being read, or a command's work already done and its files
        // complete), the line still says what happened.
        for line in lines.isEmpty
            ? ["interrupted (\(number == SIGINT ? "SIGINT" : "SIGTERM")) with nothing in progress: every file written so far is complete"]
            : lines
        {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        fflush(nil)  // every open stdio stream
        _exit(128 + number)
    }
}
