import Foundation
import TransferSimCore
import TransferSimExperiment

/// Which computation wrote the rows of a sweep directory: an integer kept in its file `results_version`.
///
/// The same config and seed give the same bits only within one results version (and OpenBLAS build); a
/// change of code that moves any result, even by rounding, bumps ``current``. A sweep resumes, and shards
/// merge, only when every directory holds the current version, so one `results.csv` never mixes versions.
/// A directory without the file was written before versions were kept: version 1.
public enum ResultsVersion {
    /// Version 2: the allocation-free step loop (signal coefficients summed by clean class), `engine: auto` by
    /// FLOP count, axis-aligned products over their support.
    /// Version 3: normal draws by the ziggurat method instead of Box–Muller (every random stream of Gaussians moves).
    public static let current = 3

    /// The file name inside a sweep directory.
    public static let fileName = "results_version"

    /// The version of the rows in `directory` (1 when the file is absent).
    ///
    /// - Throws: ``SweepError`` if the file is not an integer.
    public static func read(_ directory: URL) throws -> Int {
        let url = directory.appendingPathComponent(fileName)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return 1 }
        guard let version = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SweepError(key: url.path, "must hold an integer results version, got '\(text.prefix(20))'")
        }
        return version
    }

    /// Throws unless `directory` holds rows of the ``current`` version; `key` names the offending input.
    public static func check(_ directory: URL, key: String) throws {
        let version = try read(directory)
        guard version == current else {
            throw SweepError(key: key, "'\(directory.path)' holds rows of results version \(version); this TransferSim writes version \(current) (results differ by rounding); use a new --out")
        }
    }

    /// The file's text.
    public static var text: String { "\(current)\n" }
}
