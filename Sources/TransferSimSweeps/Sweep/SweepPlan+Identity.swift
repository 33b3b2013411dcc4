import Foundation
import TransferSimCore
import TransferSimExperiment

extension SweepPlan {
    /// Keys whose values differ between two identities (present in one only, or with other values).
    public static func differingKeys(_ a: [(key: String, value: String)], _ b: [(key: String, value: String)]) -> [String] {
        let left = Dictionary(a.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        let right = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { x, _ in x })
        let keys = a.map(\.key) + b.map(\.key).filter { left[$0] == nil }
        return keys.filter { left[$0] != right[$0] }
    }

    /// Throws unless the sweep config in `file` (a directory's `config.resolved.yaml`, or a Slurm job's
    /// `sweep.yaml`) is this sweep: the one check of "does this directory belong to this sweep" that resuming,
    /// merging and writing a Slurm job share.
    ///
    /// - Throws: ``SweepError`` `"<key>: '<directory>' holds another sweep (differing: …); <advice>"`, or the
    ///   errors of loading the file.
    package func requireSameSweep(as file: URL, key: String, advice: String = "use a new --out") throws {
        let other = try SweepPlan.load(path: file.path)
        let differing = Self.differingKeys(other.identity, identity)
        guard differing.isEmpty else {
            throw SweepError(key: key, "'\(file.deletingLastPathComponent().path)' holds another sweep (differing: \(differing.joined(separator: ", "))); \(advice)")
        }
    }
}
