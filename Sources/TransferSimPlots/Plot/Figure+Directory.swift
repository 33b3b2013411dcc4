import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

extension Figure {
    /// The sweep config of this figure: `<experiments>/<name>.yaml` or `<name>-quick.yaml`.
    package func configPath(experiments: String, quick: Bool) -> String {
        URL(fileURLWithPath: experiments).appendingPathComponent("\(name)\(quick ? "-quick" : "").yaml").path
    }

    /// Whether a panel draws training dynamics, read from the single runs of ``CellRuns``.
    package var drawsDynamics: Bool {
        panels.contains { if case .dynamics = $0.panel { true } else { false } }
    }

    /// Records this figure's name in `directory/figure`, read by ``recorded(in:)`` (`transfersim plot`).
    package func record(in directory: URL) throws {
        try AtomicFile.write(name + "\n", to: directory.appendingPathComponent("figure"))
    }

    /// The last path components of the sweeps a `diff` directory compares (its `diff.txt`'s `A:` and `B:` lines).
    static func diffNames(in directory: URL) -> (a: String, b: String)? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("diff.txt"), encoding: .utf8) else {
            return nil
        }
        let lines = text.split(separator: "\n")
        func name(_ prefix: String) -> String? {
            lines.first { $0.hasPrefix(prefix) }.map {
                URL(fileURLWithPath: String($0.dropFirst(prefix.count))).lastPathComponent
            }
        }
        guard let a = name("A: "), let b = name("B: ") else { return nil }
        return (a, b)
    }

    /// The figure a sweep directory was made for (its `figure` file), or the generic panels for its shape.
    package static func recorded(in directory: URL) throws -> Figure {
        if let name = try? String(contentsOf: directory.appendingPathComponent("figure"), encoding: .utf8) {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed == "difference" {
                return difference(try SweepTable(directory: directory), names: diffNames(in: directory))
            }
            return try named(trimmed)
        }
        let plan = try SweepPlan.load(path: directory.appendingPathComponent("config.resolved.yaml").path)
        guard (1...2).contains(plan.spec.axes.count) else {
            throw PlotError(
                key: directory.path,
                "figures exist for 1-D and 2-D sweeps; this one has \(plan.spec.axes.count) axes: draw a slice with --x [--y|--series] --where KEY=VALUE"
            )
        }
        return generic(dimensions: plan.spec.axes.count)
    }
}
