import Foundation

extension Figure {
    /// The sweep config of this figure: `<experiments>/<name>.yaml` or `<name>-quick.yaml`.
    public func configPath(experiments: String, quick: Bool) -> String {
        URL(fileURLWithPath: experiments).appendingPathComponent("\(name)\(quick ? "-quick" : "").yaml").path
    }

    /// `transfersim figure`: runs (or resumes, or reuses when finished) the figure's sweep into `out`, then
    /// renders the panels into `plots`. The figure's name is recorded in `out/figure` for `transfersim plot`.
    ///
    /// - Throws: ``ConfigError`` for a bad config or directory.
    public func run(quick: Bool, experiments: String, out: String, plots: String, threads: Int?,
                    progress: ProgressReporter.Mode) throws -> (report: SweepReport, written: [String]) {
        let plan = try SweepPlan.load(path: configPath(experiments: experiments, quick: quick))
        var runner = SweepRunner(plan: plan, directory: out, progress: progress)
        if let threads { runner.threads = threads }
        let report = try runner.run()
        try AtomicFile.write(name + "\n", to: runner.directory.appendingPathComponent("figure"))
        if panels.contains(where: { if case .dynamics = $0.panel { true } else { false } }) {
            try writeCellRuns(plan, into: runner.directory)
        }
        guard !report.stoppedEarly else { return (report, []) }
        return (report, try render(from: runner.directory, into: URL(fileURLWithPath: plots)))
    }

    /// Writes `cell-k/` (as `transfersim run` does, histories included) for replicate 0 of each cell, unless present.
    func writeCellRuns(_ plan: SweepPlan, into directory: URL) throws {
        for cell in plan.cells {
            let path = directory.appendingPathComponent("cell-\(cell.index)").path
            guard !FileManager.default.fileExists(atPath: path) else { continue }
            let staged = try StagedDirectory(path: path, replace: false)
            defer { staged.discard() }
            try RunWriter.write(try TransferExperiment(config: cell.config).run(), exportState: false, into: staged)
            try staged.commit()
        }
    }

    /// The figure a sweep directory was made for (its `figure` file), or the generic panels for its shape.
    public static func recorded(in directory: URL) throws -> Figure {
        if let name = try? String(contentsOf: directory.appendingPathComponent("figure"), encoding: .utf8) {
            return try named(name.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let plan = try SweepPlan.load(path: directory.appendingPathComponent("config.resolved.yaml").path)
        guard (1...2).contains(plan.spec.axes.count) else {
            throw ConfigError(key: directory.path, "plots exist for 1-D and 2-D sweeps; this one has \(plan.spec.axes.count) axes")
        }
        return generic(dimensions: plan.spec.axes.count)
    }
}
