import Foundation
import TransferSimAnalysis
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles
import TransferSimSweeps

/// The file formats of a picture (`--format svg,pdf,png`): the SVG the library writes, and PDF (vector, text kept
/// as vector glyphs) or PNG (200 dpi) converted from it by librsvg's `rsvg-convert`, so every format shows the
/// same figure — ranges, ticks, labels and contours come from the one SVG.
package enum FigureFormat: String, Sendable, CaseIterable {
    /// SVG, and pgfplots code for LaTeX (``PGFPicture``, written by ``Figure/render(from:into:pgf:)``), PDF and PNG
    /// converted from the SVG.
    case svg, pdf, png, pgf

    /// Parses `svg,pdf,png,pgf` (any subset; `svg` is always written, `pdf`/`png` are converted from it).
    ///
    /// - Throws: ``PlotError`` (key `--format`) naming the allowed formats.
    package static func parse(_ text: String) throws -> [FigureFormat] {
        try text.split(separator: ",").map { name in
            guard let format = FigureFormat(rawValue: name.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw PlotError(
                    key: "--format",
                    "must be a comma-separated list of \(allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'"
                )
            }
            return format
        }
    }

    /// Writes the `formats` other than SVG and pgf next to each SVG in `files` (atomically) and returns every path
    /// written (`files` included).
    ///
    /// - Throws: ``PlotError`` when `rsvg-convert` is missing (Debian: `apt-get install librsvg2-bin`) or fails.
    package static func convert(_ files: [String], to formats: [FigureFormat]) throws -> [String] {
        let extra = formats.filter { $0 != .svg && $0 != .pgf }
        guard !extra.isEmpty else { return files }
        guard
            let converter = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
                .map({ URL(fileURLWithPath: String($0)).appendingPathComponent("rsvg-convert") })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            throw PlotError(
                key: "--format",
                "\(extra.map(\.rawValue).joined(separator: ", ")) needs librsvg's rsvg-convert on PATH (Debian: apt-get install librsvg2-bin); svg needs nothing"
            )
        }
        var written = files
        for file in files where file.hasSuffix(".svg") {
            for format in extra {
                let target = URL(fileURLWithPath: file).deletingPathExtension().appendingPathExtension(format.rawValue)
                let temporary = target.deletingLastPathComponent().appendingPathComponent(
                    ".\(target.lastPathComponent).tmp-\(getpid())")
                let process = Process()
                process.executableURL = converter
                process.arguments =
                    ["-f", format.rawValue] + (format == .png ? ["-d", "200", "-p", "200"] : []) + [
                        "-o", temporary.path, file,
                    ]
                let errors = Pipe()
                process.standardError = errors
                do { try process.run() } catch {
                    throw PlotError(key: "--format", "cannot run rsvg-convert: \(error.localizedDescription)")
                }
                let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                guard process.terminationStatus == 0, rename(temporary.path, target.path) == 0 else {
                    unlink(temporary.path)
                    throw PlotError(
                        key: "--format",
                        "rsvg-convert failed on \(file): \(message.split(separator: "\n").first ?? "status \(process.terminationStatus)")"
                    )
                }
                written.append(target.path)
            }
        }
        return written
    }
}
