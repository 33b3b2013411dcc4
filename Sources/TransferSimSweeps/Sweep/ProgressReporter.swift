import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// Progress of a long sweep on stderr: cells done / total, cells per second, ETA.
///
/// `terminal`: one line rewritten in place (`\r`) at most 5 times a second; `lines`: a plain line every
/// 10 seconds (logs, CI); `quiet`: nothing. The ETA is shown once 5% of the rows (and at least 2) are done: rows come in
/// bursts (a batch's upstream models train before its first row), so the first rates say little about the rest.
public final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown.
    public enum Mode: Sendable {
        case terminal, lines, quiet
    }

    private let total: Int
    private let mode: Mode
    private let start = Date()
    private var done = 0
    private var lastPrint = Date.distantPast
    private let lock = NSLock()

    /// A reporter for `total` units of work.
    package init(total: Int, mode: Mode) {
        self.total = total
        self.mode = mode
    }

    /// The mode suited to stderr: `terminal` if it is a TTY, else `lines`; `quiet` when asked.
    package static func mode(quiet: Bool) -> Mode {
        quiet ? .quiet : (isatty(STDERR_FILENO) != 0 ? .terminal : .lines)
    }

    /// Records one finished unit.
    package func advance() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        let now = Date()
        let interval = mode == .terminal ? 0.2 : 10
        guard mode != .quiet, now.timeIntervalSince(lastPrint) >= interval || done == total else { return }
        lastPrint = now
        emit(now)
    }

    /// Ends the in-place line.
    package func finish() {
        lock.lock()
        defer { lock.unlock() }
        if mode == .terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func emit(_ now: Date) {
        let elapsed = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / elapsed
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let settled = done >= max(2, total / 20)
        let text =
            "\(done)/\(total) rows  " + String(format: "%.1f", rate)
            + " rows/s  elapsed \(Self.clock(elapsed))  ETA \(settled ? Self.clock(remaining) : "…")"
        let line = mode == .terminal ? "\r\(text)\u{1B}[K" : "\(text)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    private static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
