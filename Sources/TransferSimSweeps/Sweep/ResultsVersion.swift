import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// Which computation wrote the rows of a sweep directory: an integer kept in its file `results_version`, and the
/// BLAS library, version, build and kernel (``BLASIdentity``) kept in its file `blas`.
///
/// The same config and seed give the same bits only within one results version and one BLAS identity; a
/// change of code that moves any result, even by rounding, bumps ``current``. A sweep resumes, and shards
/// merge, only when every directory holds the current version and this process's BLAS identity, so one
/// `results.csv` never mixes versions or kernels. A directory without `results_version` was written before
/// versions were kept: version 1.
package enum ResultsVersion {
    /// Version 2: the allocation-free step loop (signal coefficients summed by clean class), `engine: auto` by
    /// FLOP count, axis-aligned products over their support.
    /// Version 3: normal draws by the ziggurat method instead of Box–Muller (every random stream of Gaussians moves).
    /// Version 4: the BLAS kernel is pinned (Haswell by default) and recorded in `blas`; upstream models of a batch
    /// make their own products (under the kernel it was computed with, a version-3 row is unchanged).
    /// Version 5: every row of `results.csv` ends in its checksum, `row_crc32` (``RowChecksum``); the numbers are
    /// version 4's.
    /// Version 6: span-engine runs of at most ``SpanBatch/maxSampleCount`` samples (every `kou2023-code` run, every
    /// small-N baseline) train in ``SpanBatch``: its own fixed-order products instead of BLAS, so their rows move by
    /// rounding (and no longer depend on the BLAS kernel for their training).
    /// Version 7: a span-engine model is tested through its span without materialising `W` (``FinalModel``): `⟨w, μ⟩`
    /// of the test points is ``SpanRepresentation/signalProjections(_:training:)``, no longer `W μ`; ``SpanBatch``
    /// reads `γ = j c ‖μ‖²` and `ρ = R ‖ξ‖²` off its coefficients instead of accumulating them. Test errors move
    /// only where a test point's output changes sign by rounding; `γ`, `ρ` and the ratios built on them by rounding.
    /// Version 8: ``SpanBatch`` sums `R G` with a fused multiply-add per term (`addingProduct`, correctly rounded in
    /// every build) instead of a multiplication and an addition: small span-engine runs move by rounding.
    /// Version 9: small span-engine models (``TestDraws/testsInBatches(_:)``) are tested by ``SpanPass`` — a sweep row's
    /// in one pass, cell index innermost — instead of a `dgemm` per model: their test outputs move by rounding.
    /// Version 10: the other span-engine runs (``SpanState``: `N` above ``SpanBatch/maxSampleCount``, e.g. a fig2
    /// upstream stage) sum their step's `R G` by ``PackedGram`` — a fixed chain of fused multiply-adds per entry —
    /// instead of a `dgemm`, and `c m`, `R Ξμ` by their own loops instead of `dger`, `dgemv`: they move by rounding,
    /// and their steps make no BLAS call (`ΞΞᵀ`, `W⁽⁰⁾Ξᵀ` and `W⁽⁰⁾μ`, computed once, still do).
    package static let current = 10

    /// The file name inside a sweep directory.
    package static let fileName = "results_version"

    /// The version of the rows in `directory` (1 when the file is absent).
    ///
    /// - Throws: ``SweepError`` if the file exists but cannot be read, or is not an integer.
    package static func read(_ directory: URL) throws -> Int {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return 1 }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SweepError(key: url.path, "cannot be read as a text file: it names the rows' results version")
        }
        guard let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SweepError(key: url.path, "must hold an integer results version, got '\(text.prefix(20))'")
        }
        return version
    }

    /// Throws unless `directory` holds rows of the ``current`` version; `key` names the offending input.
    package static func check(_ directory: URL, key: String) throws {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(fileName).path) else {
            throw SweepError(
                key: key,
                "'\(directory.path)' has no \(fileName) file (written before results versions were kept, or the file was deleted), so its rows cannot be trusted to match this TransferSim's (version \(current)); use a new --out"
            )
        }
        let version = try read(directory)
        guard version == current else {
            throw SweepError(
                key: key,
                "'\(directory.path)' holds rows of results version \(version); this TransferSim writes version \(current) (results differ by rounding); use a new --out"
            )
        }
    }

    /// The BLAS identity recorded in `directory` (nil when the file is absent).
    ///
    /// - Throws: ``SweepError`` if the file is not a BLAS identity.
    package static func blas(_ directory: URL) throws -> BLASIdentity? {
        let url = directory.appendingPathComponent(BLASIdentity.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let text = try? String(contentsOf: url, encoding: .utf8), let identity = BLASIdentity(text: text) else {
            throw SweepError(
                key: url.path,
                "must hold four lines 'library:', 'version:', 'kernel:', 'build:' (the BLAS that computed the rows)")
        }
        return identity
    }

    /// ``check(_:key:)``, and throws unless `directory`'s rows were computed under this process's BLAS identity
    /// (``BLASIdentity/current``), naming both and the setting that reproduces them.
    package static func checkComputation(_ directory: URL, key: String) throws {
        try check(directory, key: key)
        let recorded = try blas(directory)
        guard recorded == BLASIdentity.current else {
            let theirs = recorded.map { "\($0)" } ?? "an unrecorded BLAS"
            let advice =
                recorded.map {
                    $0.kernel == BLASIdentity.current.kernel ? "" : " or rerun with --blas-kernel \($0.kernel)"
                } ?? ""
            throw SweepError(
                key: key,
                "'\(directory.path)' holds rows computed with \(theirs); this process runs \(BLASIdentity.current) (bits differ between kernels); use a new --out\(advice)"
            )
        }
    }

    /// The files that identify the computation of a directory's rows: `results_version` and `blas`.
    package static var files: [(name: String, text: String)] {
        [(fileName, "\(current)\n"), (BLASIdentity.fileName, BLASIdentity.current.text)]
    }

    /// Writes ``files`` into `directory`, each atomically.
    ///
    /// - Throws: ``FileError`` on I/O failure.
    package static func write(into directory: URL) throws {
        for file in files { try AtomicFile.write(file.text, to: directory.appendingPathComponent(file.name)) }
    }
}
