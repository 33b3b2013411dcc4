import Foundation
import TransferSimFiles

/// What `transfersim run` writes into its output directory, the one kind of directory `run --force` replaces.
package enum RunOutput {
    /// Whether `directory` holds only what `transfersim run` (or `plot` into it) writes: its
    /// `config.resolved.yaml` (with TransferSim's header line), `summary.json`, `history.csv`, `.npy` state
    /// and `.svg` pictures, as regular files.
    package static func holds(_ directory: URL) -> Bool {
        let names = OutputDirectory.contents(directory)
        let config = directory.appendingPathComponent("config.resolved.yaml")
        guard names.contains("config.resolved.yaml"),
            let head = try? FileHandle(forReadingFrom: config).read(upToCount: 14),
            String(decoding: head, as: UTF8.self) == "# TransferSim "
        else { return false }
        return names.allSatisfy { name in
            var info = stat()
            guard lstat(directory.appendingPathComponent(name).path, &info) == 0, info.st_mode & S_IFMT == S_IFREG
            else { return false }
            return (["config.resolved.yaml", "summary.json", "history.csv"] + ResultsVersion.files.map(\.name))
                .contains(name)
                || name.hasSuffix(".npy") || name.hasSuffix(".svg")
        }
    }
}
