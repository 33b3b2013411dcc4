import Foundation
import TransferSimCore
import TransferSimExperiment
import TransferSimFiles

/// Where every (cell, replicate) row of one or more `results.csv` files lies, without holding the rows.
///
/// Built by streaming the files line by line (a row never contains a newline: error messages are flattened);
/// keeps per row only its file, byte offset and length, so memory grows by a few dozen bytes per row and a
/// finished sweep is sorted and summarised by reading the rows back one cell at a time. A (cell, replicate) pair found
/// twice must be the same computation — the same row but for `seconds` (and so `row_crc32`) — and its first occurrence
/// is kept; two rows that differ otherwise are refused, naming the pair and both files (an argument order must never
/// decide a merge). A row that fails its ``RowChecksum`` or does not parse is not indexed but listed in ``corrupt``:
/// a resumed sweep computes its pair again, a merge counts it missing, an analysis refuses the file.
package final class ResultsIndex: Sendable {
    /// One row's location.
    struct Entry {
        let file: Int
        let offset: UInt64
        let length: Int
        let replicate: Int
    }

    /// The open files, closed when the last index reading them goes (``adding(_:)`` shares them).
    private final class Files: Sendable {
        let handles: [FileHandle]
        let urls: [URL]
        init(_ handles: [FileHandle], urls: [URL]) {
            self.handles = handles
            self.urls = urls
        }
        deinit { for handle in handles { try? handle.close() } }
    }

    private let files: Files
    let entries: [String: [Entry]]
    /// Number of distinct (cell, replicate) rows indexed.
    package let count: Int
    /// The rows left out for failing their checksum or not parsing, as `PATH byte OFFSET`, in file order.
    package let corrupt: [String]

    /// Indexes `files` (each must start with ``ResultColumns/header``; a torn last line is ignored, a corrupt row
    /// listed in ``corrupt``).
    ///
    /// - Throws: ``FileError`` for a missing or foreign file; ``SweepError`` for two different rows of one pair.
    package init(files: [URL]) throws {
        /// What the scan accumulates (passed `inout`, so the per-line closure captures nothing mutable).
        struct Scan {
            var entries: [String: [Entry]] = [:]
            var count = 0
            var first = true
            var corrupt: [String] = []
        }
        var handles: [FileHandle] = []
        var scan = Scan()
        let replicateColumn = ResultColumns.index("replicate")
        for (fileIndex, url) in files.enumerated() {
            guard let handle = try? FileHandle(forReadingFrom: url) else {
                throw FileError(key: url.path, "cannot read results")
            }
            handles.append(handle)
            scan.first = true
            try Self.lines(handle, &scan) { scan, line, offset in
                let fields = CSV.parse(line + "\n", keep: scan.first ? .max : replicateColumn + 1).first ?? []
                if scan.first {
                    scan.first = false
                    guard !line.hasSuffix("\r") else {
                        throw FileError(
                            key: url.path,
                            "has Windows line ends (CRLF, as a spreadsheet saves a file); TransferSim reads the results.csv it wrote: restore it, or rerun the sweep into a new directory"
                        )
                    }
                    guard fields == ResultColumns.header else {
                        throw FileError(
                            key: url.path,
                            "has the columns of another TransferSim version (\(fields.count) columns, this version writes \(ResultColumns.header.count)); rerun the sweep into a new directory, or read it with the version that wrote it"
                        )
                    }
                    return
                }
                var bytes = line
                guard bytes.withUTF8(RowChecksum.holds), fields.count == ResultColumns.header.count,
                    let replicate = Int(fields[replicateColumn])
                else {
                    scan.corrupt.append("\(url.path) byte \(offset)")
                    return
                }
                let id = fields[0]
                if let earlier = scan.entries[id]?.first(where: { $0.replicate == replicate }) {
                    let first = try Self.read(earlier, from: handles[earlier.file], url: files[earlier.file])
                    guard Self.withoutTiming(first) == Self.withoutTiming(line) else {
                        throw SweepError(
                            key: "merge",
                            "cell \(id) replicate \(replicate) has different rows in \(files[earlier.file].path) and \(url.path) (not the same computation); merge only shards of one sweep, computed once"
                        )
                    }
                    return
                }
                scan.entries[id, default: []].append(
                    Entry(file: fileIndex, offset: offset, length: line.utf8.count, replicate: replicate))
                scan.count += 1
            }
        }
        self.files = Files(handles, urls: files)
        self.entries = scan.entries
        self.count = scan.count
        self.corrupt = scan.corrupt
    }

    private init(files: Files, entries: [String: [Entry]], count: Int, corrupt: [String]) {
        self.files = files
        self.entries = entries
        self.count = count
        self.corrupt = corrupt
    }

    /// This index and `rows` appended to its first file since it was built (cell id, replicate, byte offset and
    /// length without the newline, as ``ResultsFile/append(_:)`` wrote them): what indexing the file again gives,
    /// without reading it. Pairs already present keep their first row.
    func adding(_ rows: [(id: String, replicate: Int, offset: UInt64, length: Int)]) -> ResultsIndex {
        var entries = self.entries
        var count = self.count
        for row in rows where !(entries[row.id]?.contains { $0.replicate == row.replicate } ?? false) {
            entries[row.id, default: []].append(
                Entry(file: 0, offset: row.offset, length: row.length, replicate: row.replicate))
            count += 1
        }
        return ResultsIndex(files: files, entries: entries, count: count, corrupt: corrupt)
    }

    /// A row without its last two fields, `seconds` and `row_crc32` (numbers: no quote or comma in them).
    private static func withoutTiming(_ line: String) -> Substring {
        let body = line[..<(line.lastIndex(of: ",") ?? line.endIndex)]
        return body[..<(body.lastIndex(of: ",") ?? body.endIndex)]
    }

    /// The rows indexed that are not (cell, replicate) pairs of `plan` (another cell id, or a replicate outside
    /// `0..<replicates`), as `cell ID replicate R`: left out of every file written from the index.
    func outside(_ plan: SweepPlan) -> [String] {
        let ids = Set(plan.cells.map(\.id))
        return entries.flatMap { id, rows in
            rows.filter { !ids.contains(id) || !(0..<plan.spec.replicates).contains($0.replicate) }.map {
                "cell \(id) replicate \($0.replicate)"
            }
        }.sorted()
    }

    /// Whether the pair is present.
    package func contains(cell id: String, replicate: Int) -> Bool {
        entries[id]?.contains { $0.replicate == replicate } ?? false
    }

    /// The rows of cell `id` with a replicate in `0..<replicates`, ascending, as lines (without newline).
    ///
    /// - Throws: ``FileError`` when a row cannot be read back whole.
    package func lines(of id: String, replicates: Int) throws -> [String] {
        try (entries[id] ?? []).filter { (0..<replicates).contains($0.replicate) }.sorted {
            $0.replicate < $1.replicate
        }
        .map { try Self.read($0, from: files.handles[$0.file], url: files.urls[$0.file]) }
    }

    /// The row at `entry` of `handle`: one `pread(2)` into the string's storage (a seek and a `FileHandle` read were
    /// three system calls and a copy per row: 3 · 10⁵ calls to finish the Kou grid).
    private static func read(_ entry: Entry, from handle: FileHandle, url: URL) throws -> String {
        let descriptor = handle.fileDescriptor
        var done = 0
        let line = String(unsafeUninitializedCapacity: entry.length) { buffer in
            while done < entry.length {
                let count = pread(
                    descriptor, buffer.baseAddress! + done, entry.length - done, off_t(entry.offset) + off_t(done))
                guard count > 0 || (count < 0 && errno == EINTR) else { break }
                done += max(count, 0)
            }
            return done
        }
        guard done == entry.length else {
            throw FileError(key: url.path, "cannot read back the row at byte \(entry.offset)")
        }
        return line
    }

    /// Calls `body` with `state`, each complete line (ended by `\n`) of `handle` and its byte offset, reading 1 MiB at a time.
    package static func lines<State>(
        _ handle: FileHandle, _ state: inout State, _ body: (inout State, String, UInt64) throws -> Void
    ) throws {
        var buffer: [UInt8] = []
        var bufferStart: UInt64 = 0
        try handle.seek(toOffset: 0)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            buffer.append(contentsOf: chunk)
            var lineStart = 0
            try buffer.withUnsafeBufferPointer { bytes in
                for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "\n") {
                    let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<index]), as: UTF8.self)
                    try body(&state, line, bufferStart + UInt64(lineStart))
                    lineStart = index + 1
                }
            }
            bufferStart += UInt64(lineStart)
            buffer.removeFirst(lineStart)
        }
    }
}
