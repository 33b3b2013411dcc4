import Foundation
import TransferSimCore

/// The CSV dialect of every file TransferSim writes: comma-separated, `\n`-terminated, a field quoted
/// with `"` (inner quotes doubled) only when it holds a comma, quote or newline. Numbers are written in
/// Swift's shortest round-trip form; a missing number (NaN: skipped stage, undefined standard error)
/// is an empty field.
package enum CSV {
    /// A number as a field: shortest round-trip text, or empty when not finite.
    package static func number(_ value: Double) -> String {
        value.isFinite ? NumberText.shortest(value) : ""
    }

    /// One record as a line (with the trailing newline).
    package static func line(_ fields: [String]) -> String {
        var bytes: [UInt8] = []
        append(fields, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends one record's UTF-8 bytes, without its newline, to `bytes`: the fields, quoted if needed, separated by
    /// commas, with no string built in between (a sweep writes one ~1500-byte record per trained cell).
    package static func append(_ fields: [String], to bytes: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: quote(field).utf8)
        }
    }

    /// A field, quoted if needed.
    package static func quote(_ field: String) -> String {
        // On the UTF-8 bytes (the delimiters are ASCII): a CR inside a CRLF pair counts too.
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Parses complete lines (each ended by `\n`) into records; text after the last `\n` is ignored.
    ///
    /// Works on the UTF-8 bytes: the delimiters are ASCII, so a multi-byte character never splits. Only the
    /// first `keep` fields of a record are decoded; the rest are counted and left empty (a cheap scan of a
    /// large file for a few columns).
    package static func parse(_ text: String, keep: Int = .max) -> [[String]] {
        var text = text
        return text.withUTF8 { parse(bytes: $0, keep: keep) }
    }

    /// ``parse(_:keep:)`` on UTF-8 bytes: a field without quotes is decoded from its bytes in one piece, one with
    /// quotes byte by byte (a quote toggles quoting; inside quotes a doubled quote is a literal one).
    private static func parse(bytes: UnsafeBufferPointer<UInt8>, keep: Int) -> [[String]] {
        let (quote, comma, newline) = (UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: "\n"))
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let start = i
            while i < bytes.count, bytes[i] != comma, bytes[i] != newline, bytes[i] != quote { i += 1 }
            var value = ""
            if i < bytes.count, bytes[i] == quote {
                i = start
                field.removeAll(keepingCapacity: true)
                var quoted = false
                while i < bytes.count, quoted || (bytes[i] != comma && bytes[i] != newline) {
                    if bytes[i] != quote {
                        field.append(bytes[i])
                    } else if quoted, i + 1 < bytes.count, bytes[i + 1] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        quoted.toggle()
                    }
                    i += 1
                }
                if record.count < keep { value = String(decoding: field, as: UTF8.self) }
            } else if record.count < keep {
                value = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            guard i < bytes.count else { break }  // No delimiter after the field: text after the last newline.
            record.append(value)
            if bytes[i] == newline {
                records.append(record)
                record = []
            }
            i += 1
        }
        return records
    }
}
