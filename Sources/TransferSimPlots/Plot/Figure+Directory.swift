import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimSweeps

extension Figure {
    /// The sweep config of this figure: `<experiments>/<name>.yaml` or `<name>-quick.yaml`.
    public func configPath(experiments: String, quick: Bool) -> String {
        URL(fileURLWithPath: experiments).appendingPathComponent("\(name)\(quick ? "-quick" : "").yaml").path
    }

    /// Whether a panel draws training dynamics, read from the single runs of ``CellRuns``.
    public var drawsDynamics: Bool {
        panels.contains { if case .dynamics = $0.panel { true } else { false } }
    }

    /// Records this figure's name in `directory/figure`, read by ``recorded(in:)`` (`transfersim plot`).
    public func record(in directory: URL) throws {
        try AtomicFile.write(name + "\n", to: directory.appendingPathComponent("figure"))
    }

    /// The figure a sweep directory was made for (its `figure` file), or the generic panels for its shape.
    public static func recorded(in directory: URL) throws -> Figure {
        if let name = try? String(contentsOf: directory.appendingPathComponent("figure"), encoding: .utf8) {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed == "difference" { return difference(try SweepTable(directory: directory)) }
            return try named(trimmed)
        }
        let plan = try SweepPlan.load(path: directory.appendingPathComponent("config.resolved.yaml").path)
        guard (1...2).contains(plan.spec.axes.count) else {
            throw PlotError(key: directory.path, "figures exist for 1-D and 2-D sweeps; this one has \(plan.spec.axes.count) axes: draw a slice with --x [--y|--series] --where KEY=VALUE")
        }
        return generic(dimensions: plan.spec.axes.count)
    }
}
