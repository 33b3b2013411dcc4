import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// Trained upstream models kept across sweeps (`--upstream-cache DIR`, default `$XDG_CACHE_HOME/transfersim`,
/// else `~/.cache/transfersim`), so a sweep reuses, bit for bit, the upstream models an earlier sweep trained.
///
/// An entry is named by the upstream key (``ExperimentConfig/upstreamKey``: every key that determines the
/// upstream model, seed and replicate included), the results version (``ResultsVersion/current``, bumped by
/// any change of code that moves a result) and the BLAS identity (``BLASIdentity/current``: a model trained under
/// another kernel is not reused), and holds that key in full, the final filters and biases, the
/// status, training loss and error, steps taken, whether the target loss was reached, the signal–noise ratio, max ρ̄ and the test error —
/// what a sweep row reads of the upstream stage, then a checksum of everything before it (``checksum(_:)``). Files
/// are written atomically; an entry that is truncated, fails its checksum (a flipped bit anywhere: weights, key or
/// header) or holds another key is not used, and the model is trained again and the entry rewritten.
/// Entries can be deleted at any time. `run` does not use the cache: its history.csv needs the upstream history.
package struct UpstreamCache: Sendable {
    /// The cache directory.
    package let directory: URL

    /// A cache in `directory` (created on the first store).
    package init(directory: URL) {
        self.directory = directory
    }

    /// `$XDG_CACHE_HOME/transfersim`, else `$HOME/.cache/transfersim`.
    package static var defaultDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let base = environment["XDG_CACHE_HOME"], !base.isEmpty {
            return URL(fileURLWithPath: base).appendingPathComponent("transfersim")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/transfersim")
    }

    private static let magic = Array("TSUPSTREAM5\n".utf8)

    /// What ``load(_:draws:)`` found.
    package enum Lookup {
        /// A valid entry of this key.
        case hit(TransferExperiment.Upstream)
        /// No entry, or an intact entry of another key (file names are 64-bit hashes of keys).
        case miss
        /// An entry that is truncated, malformed or fails its checksum: the model is trained again and rewritten.
        case corrupt(URL)
    }

    /// The checksum closing an entry: FNV-1a over its preceding bytes (``StreamSeed/fnv1a64(bytes:)``), which
    /// detects every change of one byte and, with probability 1 − 2⁻⁶⁴, of several.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 { StreamSeed.fnv1a64(bytes: bytes) }

    private func file(_ key: String) -> URL {
        let hex = String(StreamSeed.fnv1a64(key), radix: 16)
        return directory.appendingPathComponent(
            "upstream-v\(ResultsVersion.current)-\(String(repeating: "0", count: 16 - hex.count) + hex).bin")
    }

    private func fullKey(_ config: ExperimentConfig) -> String {
        "results-version=\(ResultsVersion.current);blas=\(BLASIdentity.current);\(config.upstreamKey)"
    }

    /// The cached upstream stage of `experiment` (``Lookup``).
    package func load(_ experiment: TransferExperiment, draws: DrawCache?) -> Lookup {
        let key = fullKey(experiment.config)
        let url = file(key)
        guard let data = FileManager.default.contents(atPath: url.path) else { return .miss }
        let all = [UInt8](data)
        guard all.count >= Self.magic.count + 8 else { return .corrupt(url) }
        var tail = Reader(bytes: Array(all.suffix(8)))
        guard tail.word() == Self.checksum(all.dropLast(8)) else { return .corrupt(url) }
        var reader = Reader(bytes: Array(all.dropLast(8)))
        guard reader.take(Self.magic.count) == Self.magic, let keyLength = reader.integer(),
            let stored = reader.take(keyLength)
        else { return .corrupt(url) }
        guard stored == Array(key.utf8) else { return .miss }
        guard let status = reader.integer(), let loss = reader.double(), let error = reader.double(),
            let steps = reader.integer(),
            let converged = reader.integer(), let ratio = reader.double(), let rhoBar = reader.double(),
            let tested = reader.integer(),
            let testError = reader.double(), let clean = reader.double(), let se = reader.double(),
            let rows = reader.integer(), let cols = reader.integer(),
            rows == experiment.config.architecture.filterCount, cols == experiment.config.d,
            let weights = reader.doubles(rows * cols), let biases = reader.doubles(rows), reader.atEnd
        else { return .corrupt(url) }
        let final = Parameters(weights: Matrix(rows: rows, cols: cols, storage: weights), biases: biases)
        let training = TrainingResult(
            cachedFinal: final, status: status == 0 ? .ok : .diverged, trainLoss: loss, trainError: error,
            steps: steps, converged: converged == 2 ? nil : converged == 1, signalNoiseRatio: ratio, rhoBarMax: rhoBar,
            sampleCount: experiment.config.n1)
        let test = tested == 1 ? TestError(error: testError, cleanError: clean, cleanStandardError: se) : nil
        return .hit(
            TransferExperiment.Upstream(
                sample: experiment.upstreamSample(cache: draws), outcome: StageOutcome(training: training, test: test)))
    }

    /// Stores `upstream` for `experiment` (best effort: a cache that cannot be written is skipped silently).
    package func store(_ upstream: TransferExperiment.Upstream, for experiment: TransferExperiment) {
        guard let training = upstream.outcome.training, training.status != .skipped else { return }
        let key = fullKey(experiment.config)
        var bytes = Self.magic
        func integer(_ value: Int) { withUnsafeBytes(of: UInt64(value).littleEndian) { bytes += $0 } }
        func double(_ value: Double) { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        integer(key.utf8.count)
        bytes += Array(key.utf8)
        integer(training.status == .ok ? 0 : 1)
        double(training.trainLoss)
        double(training.trainError)
        integer(training.steps)
        integer(training.converged.map { $0 ? 1 : 0 } ?? 2)
        double(training.signalNoiseRatio)
        double(training.rhoBarMax)
        let test = upstream.outcome.test
        integer(test == nil ? 0 : 1)
        [test?.error, test?.cleanError, test?.cleanStandardError].forEach { double($0 ?? .nan) }
        let final = training.final
        integer(final.weights.rows)
        integer(final.weights.cols)
        final.weights.entries.forEach(double)
        final.biases.forEach(double)
        withUnsafeBytes(of: Self.checksum(bytes[...]).littleEndian) { bytes += $0 }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try AtomicFile.write(Data(bytes), to: file(key))
        } catch {
            return
        }
    }

    /// Little-endian reads that fail (nil) past the end.
    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func take(_ count: Int) -> [UInt8]? {
            guard count >= 0, count <= bytes.count - position else { return nil }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }

        mutating func word() -> UInt64? {
            take(8).map { $0.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) } }
        }

        mutating func integer() -> Int? { word().flatMap { $0 <= UInt64(Int32.max) ? Int($0) : nil } }
        mutating func double() -> Double? { word().map(Double.init(bitPattern:)) }

        mutating func doubles(_ count: Int) -> [Double]? {
            guard count >= 0, count <= (bytes.count - position) / 8 else { return nil }
            return (0..<count).map { _ in double()! }
        }
    }
}
