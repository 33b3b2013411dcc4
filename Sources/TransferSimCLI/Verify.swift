import ArgumentParser
import Foundation
import TransferSim

struct Verify: Command {
    static let configuration = CommandConfiguration(
        abstract: "Check the paper's claims numerically; write verification.md and verification.csv into --out.")

    @Flag(name: .long, help: "Small problems and few replicates (seconds).")
    var quick = false

    @Option(name: .long, help: "Output directory (sweeps are kept under sweeps/ and reused on rerun).")
    var out: String

    @Option(name: .long, help: "Worker threads (default: all cores).", transform: optionValue(ThreadCount.parse))
    var threads: Int?

    @Option(
        name: .long,
        help:
            "Check the claims of this file (YAML: claims: [...]; see experiments/claims/paper.yaml) instead of the built-in battery."
    )
    var claims: String?

    @Option(
        name: .long,
        help:
            "Seeds per cell of every claim's sweep instead of its own (a rerun with more grows the kept sweeps in place)."
    )
    var replicates: Int?

    @OptionGroup var cache: UpstreamCacheOptions

    func execute() throws {
        Interruption.install()
        if let replicates, !(1...10_000).contains(replicates) {
            throw ConfigError(key: "--replicates", "must be an integer in [1, 10000], got \(replicates)")
        }
        // Every expression, name and sweep config is checked before the first sweep runs.
        let file = try claims.map { try ClaimsFile(path: $0) }
        let (directory, lock) = try VerificationDirectory.claim(out)
        let interruption = Interruption.register {
            lock.release()
            return
                "interrupted: finished sweeps are kept under \(directory.path)/sweeps; rerun the same command to resume"
        }
        defer {
            Interruption.unregister(interruption)
            lock.release()
        }
        if let claims, let file {
            let results = try file.run(
                directory: directory, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                upstreamCache: try cache.directory(), source: claims, replicates: replicates)
            for result in results { print("\(result.id)\t\(result.verdict.rawValue)\t\(result.claim)") }
            // Regime maps of the condition claims on 2-D sweeps: where the claim speaks, and what it found.
            for claim in file.claims {
                let table = directory.appendingPathComponent("claims/\(claim.id).csv")
                guard FileManager.default.fileExists(atPath: table.path),
                    let svg = try RegimeMap.render(
                        claim: table, sweep: directory.appendingPathComponent("sweeps/\(claim.sweepName)"),
                        title: claim.statement)
                else { continue }
                let picture = directory.appendingPathComponent("claims/\(claim.id).svg")
                try AtomicFile.write(svg, to: picture)
                print("map: \(picture.path)")
            }
            print("report: \(directory.appendingPathComponent("verification.md").path)")
            return
        }
        var suite = VerificationSuite(
            quick: quick, directory: directory.path, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        suite.replicatesOverride = replicates
        let results = try suite.run()
        for result in results { print("\(result.id)\t\(result.verdict.rawValue)\t\(result.claim)") }
        print("report: \(suite.directory.appendingPathComponent("verification.md").path)")
    }
}
