import Foundation
import TransferSimCore

/// An upper estimate of the memory one experiment (a `run`, or one cell of a sweep on one worker) holds at
/// its peak, computed in floating point from the config alone, before anything is allocated.
///
/// Terms, in doubles (8 bytes each), for the stages that run:
/// - training sets: standard draws and the (projected) noise, `2 N_k d` per task;
/// - test draws: `2 n_test d` (`sample`) or `2 · population_draws · 2m` (`population`) per tested task;
/// - span engine: the Gram matrix `N²`, and for `sample` evaluation `N n_test` (`ΞΞ_testᵀ`);
/// - filters: `12 · 2m d` (initial and final of three stages, the fresh init, masks, batches);
/// - history: `40` values per logged step of each stage;
/// - `--export-state`: a second copy of the inputs, `2 (N_1 + N_2) · 2d`, and of the filters.
/// The sum is multiplied by 1.25 (a sweep worker's ``DrawCache`` and batch buffers) plus 32 MiB for the
/// process. It errs high: its purpose is refusing jobs that cannot fit before they start, not accounting.
package struct MemoryEstimate: Sendable, Equatable {
    /// Estimated peak bytes.
    package let bytes: Double
    /// The keys of the largest term, e.g. `["n1", "d"]`.
    package let drivers: [String]

    /// The estimate for `config`; `exportState` adds the `.npy` copies.
    package init(_ config: ExperimentConfig, exportState: Bool = false) {
        let d = Double(config.d), rows = 2 * Double(config.m)
        let n1 = Double(config.n1), n2 = Double(config.n2)
        let upstream = config.needsUpstream
        let sampleTest = config.evaluation == .sample
        let testCount = Double(sampleTest ? config.nTest : config.populationDraws)
        var terms: [(value: Double, keys: [String])] = []
        let testKeys = sampleTest ? ["n_test", "d"] : ["population_draws", "m"]
        let testSize = sampleTest ? 2 * testCount * d : 2 * testCount * rows
        if upstream {
            terms.append((2 * n1 * d, ["n1", "d"]))
            terms.append((testSize, testKeys))
            if Self.usesSpan(config, n: config.n1, steps: config.steps1) {
                terms.append((n1 * n1 + (sampleTest ? n1 * testCount : 0), sampleTest ? ["n1", "n_test"] : ["n1"]))
            }
        }
        terms.append((2 * n2 * d, ["n2", "d"]))
        terms.append((testSize, testKeys))
        if Self.usesSpan(config, n: config.n2, steps: config.steps2) {
            terms.append((n2 * n2 + (sampleTest ? n2 * testCount : 0), sampleTest ? ["n2", "n_test"] : ["n2"]))
        }
        terms.append((12 * rows * d, ["m", "d"]))
        let logged = Double(config.steps1 + 2 * config.steps2) / Double(config.logEvery) + 6
        terms.append((40 * logged, ["steps1", "steps2", "log_every"]))
        if exportState {
            terms.append((2 * ((upstream ? n1 : 0) + n2) * 2 * d + 8 * rows * d, ["n1", "n2", "d"]))
        }
        bytes = 8 * 1.25 * terms.reduce(0) { $0 + $1.value } + 32 * 1_048_576
        drivers = terms.max { $0.value < $1.value }?.keys ?? []
    }

    private static func usesSpan(_ config: ExperimentConfig, n: Int, steps: Int) -> Bool {
        config.engine.resolved(sampleCount: n, dimension: config.d, filterCount: 2 * config.m, steps: steps) == .span
    }

    /// Throws unless the estimate fits in `limit` bytes.
    ///
    /// - Throws: ``ConfigError`` naming the driving keys, the estimate and the limit, e.g.
    ///   `n1, d: this experiment needs about 38.1 GiB, more than the 11.2 GiB available; lower them, or raise the limit with --max-memory`.
    package func check(limit: Double) throws {
        if let error = excess(limit: limit) { throw error }
    }

    /// The error of ``check(limit:)``, or nil when the estimate fits.
    package func excess(limit: Double) -> ConfigError? {
        guard bytes > limit else { return nil }
        return ConfigError(
            key: drivers.joined(separator: ", "),
            "this experiment needs about \(Self.format(bytes)) of memory, more than the \(Self.format(limit)) available; lower them, or raise the limit with --max-memory"
        )
    }

    /// Bytes as GiB or MiB with three significant digits.
    package static func format(_ bytes: Double) -> String {
        bytes >= 1_073_741_824
            ? String(format: "%.3g GiB", bytes / 1_073_741_824) : String(format: "%.3g MiB", bytes / 1_048_576)
    }

    // MARK: - Available memory

    /// The memory a job may use: the smallest of `limit` (`--max-memory`; else the system's `MemAvailable`,
    /// `/proc/meminfo`), the room left under this process's cgroup v2 limit (`memory.max − memory.current`) and under
    /// its address-space limit (`ulimit -v`: `RLIMIT_AS` minus the current `VmSize`); the physical memory where none
    /// can be read. A `--max-memory` above a hard limit is held to it, so a cell that would not fit becomes an error
    /// row rather than a failed allocation.
    package static func available(limit: Double? = nil) -> Double {
        var candidates: [Double] = limit.map { [$0] } ?? []
        if limit == nil,
            let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        {
            candidates.append(kib * 1024)
        }
        let read = { (name: String) in
            (try? String(contentsOfFile: "/sys/fs/cgroup/\(name)", encoding: .utf8)).flatMap {
                Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        if let maximum = read("memory.max"), let current = read("memory.current") {
            candidates.append(max(maximum - current, 0))
        }
        if let room = BLAS.addressSpaceHeadroom { candidates.append(room) }
        return candidates.min() ?? Double(ProcessInfo.processInfo.physicalMemory)
    }

    /// Parses a size such as `8G`, `512M`, `2.5GiB` or a plain number of bytes.
    ///
    /// - Throws: ``ConfigError`` (key `--max-memory`) for anything else, or a size that is not positive.
    package static func parseSize(_ text: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let (k, m, g, t) = (1024.0, 1_048_576.0, 1_073_741_824.0, 1_099_511_627_776.0)
        let units: [(String, Double)] = [
            ("TIB", t), ("GIB", g), ("MIB", m), ("KIB", k), ("TB", t), ("GB", g), ("MB", m), ("KB", k),
            ("T", t), ("G", g), ("M", m), ("K", k), ("B", 1),
        ]
        let (number, scale) =
            units.first { trimmed.hasSuffix($0.0) }.map { (String(trimmed.dropLast($0.0.count)), $0.1) } ?? (trimmed, 1)
        guard let value = Double(number), value.isFinite, value > 0, value * scale < 1e18 else {
            throw ConfigError(key: "--max-memory", "must be a size such as 8G, 512M or 2.5GiB, got '\(text)'")
        }
        return value * scale
    }
}
