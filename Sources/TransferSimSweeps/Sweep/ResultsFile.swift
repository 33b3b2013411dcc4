import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// `results.csv` of a sweep: header once, then one row per (cell, replicate), appended and flushed as
/// each finishes, so an interrupted sweep loses at most the row being written.
///
/// Opening an existing file checks its header and cuts a torn last line (one without its `\n`, left by a
/// kill mid-write); which pairs are finished is read with ``ResultsIndex`` (without loading the rows).
package final class ResultsFile: @unchecked Sendable {
    /// The file.
    package let url: URL
    private let handle: FileHandle
    private let lock = NSLock()
    /// The file's size: where the next row starts.
    private var end: UInt64 = 0

    /// Opens (or creates) the file with `header`.
    ///
    /// - Throws: ``FileError`` if the file has another header or cannot be written.
    package init(url: URL, header: [String]) throws {
        self.url = url
        let manager = FileManager.default
        do {
            if !manager.fileExists(atPath: url.path) {
                try AtomicFile.writeDirectly(Data(CSV.line(header).utf8), to: url)
            }
            handle = try FileHandle(forUpdating: url)
            let size = try handle.seekToEnd()
            // The last newline: everything after it is a torn line.
            var end: UInt64 = 0
            var position = size
            while position > 0 {
                let start = position >= 65_536 ? position - 65_536 : 0
                try handle.seek(toOffset: start)
                let chunk = try handle.read(upToCount: Int(position - start)) ?? Data()
                if let newline = chunk.lastIndex(of: UInt8(ascii: "\n")) {
                    end = start + UInt64(newline - chunk.startIndex) + 1
                    break
                }
                position = start
            }
            if end < size { try handle.truncate(atOffset: end) }
            try handle.seek(toOffset: 0)
            let firstLine =
                end == 0 ? Data() : (try handle.read(upToCount: 65_536) ?? Data()).prefix { $0 != UInt8(ascii: "\n") }
            if end == 0 {
                try handle.write(contentsOf: Data(CSV.line(header).utf8))
            } else if CSV.parse(String(decoding: firstLine, as: UTF8.self) + "\n").first != header {
                throw FileError(key: url.path, "has the columns of another TransferSim version; use a new --out")
            }
            self.end = try handle.seekToEnd()
        } catch let error as FileError {
            throw error
        } catch {
            throw FileError(key: url.path, "cannot open results: \(error.localizedDescription)")
        }
    }

    /// One row as the bytes ``append(_:)`` writes: the CSV line of `fields` (every column but the last) closed by its
    /// ``RowChecksum`` in `row_crc32`; made by the caller outside any lock.
    package static func encode(_ fields: [String]) -> Data {
        var line: [UInt8] = []
        line.reserveCapacity(2048)
        CSV.append(fields, to: &line)
        RowChecksum.seal(&line)
        line.append(UInt8(ascii: "\n"))
        return Data(line)
    }

    /// Appends one row (``encode(_:)``) and flushes it to the operating system; returns the byte offset it starts at.
    ///
    /// - Throws: ``FileError`` on an I/O failure.
    package func append(_ line: Data) throws -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        do {
            // One write(2) per row: the row is in the OS's hands when this returns, so killing the process
            // cannot lose it (no fsync per row: that would cost milliseconds per cell).
            let offset = end
            try handle.write(contentsOf: line)
            end += UInt64(line.count)
            return offset
        } catch {
            throw FileError(key: url.path, "cannot append a row: \(error.localizedDescription)")
        }
    }

    /// Closes the file.
    package func close() {
        try? handle.close()
    }
}
