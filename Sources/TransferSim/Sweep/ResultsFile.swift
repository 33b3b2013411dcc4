import Foundation

/// `results.csv` of a sweep: header once, then one row per (cell, replicate), appended and flushed as
/// each finishes, so an interrupted sweep loses at most the row being written.
///
/// Opening an existing file checks its header and cuts a torn last line (one without its `\n`, left by a
/// kill mid-write); its complete rows are the finished pairs a resumed sweep skips.
public final class ResultsFile: @unchecked Sendable {
    /// The file.
    public let url: URL
    /// Complete rows found when the file was opened.
    public let existingRows: [[String]]
    private let handle: FileHandle
    private let lock = NSLock()

    /// Opens (or creates) the file with `header`.
    ///
    /// - Throws: ``ConfigError`` if the file has another header or cannot be written.
    public init(url: URL, header: [String]) throws {
        self.url = url
        let manager = FileManager.default
        do {
            if manager.fileExists(atPath: url.path) {
                let data = try Data(contentsOf: url)
                let complete = data.lastIndex(of: UInt8(ascii: "\n")).map { data.prefix(through: $0) } ?? Data()
                let records = CSV.parse(String(decoding: complete, as: UTF8.self))
                if !records.isEmpty && records[0] != header {
                    throw ConfigError(key: url.path, "has other columns than this version writes; use a new --out")
                }
                if complete.count != data.count {
                    try complete.write(to: url)   // cut the torn last line
                }
                existingRows = records.isEmpty ? [] : Array(records.dropFirst())
                if records.isEmpty { try Data(CSV.line(header).utf8).write(to: url) }
            } else {
                existingRows = []
                try Data(CSV.line(header).utf8).write(to: url)
            }
            handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(key: url.path, "cannot open results: \(error.localizedDescription)")
        }
    }

    /// Appends one row and flushes it to the operating system.
    ///
    /// - Throws: ``ConfigError`` on an I/O failure.
    public func append(_ fields: [String]) throws {
        lock.lock()
        defer { lock.unlock() }
        do {
            // One write(2) per row: the row is in the OS's hands when this returns, so killing the process
            // cannot lose it (no fsync per row: that would cost milliseconds per cell).
            try handle.write(contentsOf: Data(CSV.line(fields).utf8))
        } catch {
            throw ConfigError(key: url.path, "cannot append a row: \(error.localizedDescription)")
        }
    }

    /// Closes the file.
    public func close() {
        try? handle.close()
    }
}
