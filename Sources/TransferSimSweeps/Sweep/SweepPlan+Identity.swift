import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

extension SweepPlan {
    /// Keys whose values differ between two identities (present in one only, or with other values).
    package static func differingKeys(
        _ a: [(key: String, value: String)], _ b: [(key: String, value: String)]
    ) -> [String] {
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
            throw SweepError(
                key: key,
                "'\(file.deletingLastPathComponent().path)' holds another sweep (differing: \(differing.joined(separator: ", "))); \(advice)"
            )
        }
    }

    /// Whether this plan is `smaller` grown: the same fixed keys and values, the same axes (keys, order, grid or zip)
    /// each holding every point of `smaller`'s (values compared as numbers) and perhaps more, and at least as many
    /// replicates. A row depends only on its cell's config and its replicate (every random stream derives from the
    /// seed, the replicate and the cell's own values), so `smaller`'s rows are rows of this plan, bit for bit.
    package func grows(_ smaller: SweepPlan) -> Bool {
        let axisKeys = { (plan: SweepPlan) in
            Set(plan.spec.axes.flatMap { axis in axis.keys.map { "\(axis.zipped ? "zip" : "grid").\($0)" } })
        }
        let fixed = { (plan: SweepPlan) in
            plan.identity.filter { !axisKeys(plan).contains($0.key) && $0.key != "replicates" }
        }
        guard Self.differingKeys(fixed(self), fixed(smaller)).isEmpty, spec.replicates >= smaller.spec.replicates,
            spec.axes.count == smaller.spec.axes.count
        else { return false }
        return zip(spec.axes, smaller.spec.axes).allSatisfy { large, small in
            large.keys == small.keys && large.zipped == small.zipped
                && small.points.allSatisfy { point in
                    large.points.contains { candidate in
                        zip(candidate, point).allSatisfy { a, b in
                            ConfigField.parseFinite(a).map { $0 == ConfigField.parseFinite(b) } ?? (a == b)
                        }
                    }
                }
        }
    }
}
