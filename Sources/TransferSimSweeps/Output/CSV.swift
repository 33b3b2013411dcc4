import Foundation
import TransferSimCore
import TransferSimExperiment

/// The CSV dialect of every file TransferSim writes: comma-separated, `\n`-terminated, a field quoted
/// with `"` (inner quotes doubled) only when it holds a comma, quote or newline. Numbers are written in
/// Swift's shortest round-trip form; a missing number (NaN: skipped stage, undefined standard error)
/// is an empty field.
public enum CSV {
    /// A number as a field: shortest round-trip text, or empty when not finite.
    public static func number(_ value: Double) -> String {
        value.isFinite ? ConfigField.format(value) : ""
    }

    /// One record as a line (with the trailing newline).
    public static func line(_ fields: [String]) -> String {
        fields.map(quote).joined(separator: ",") + "\n"
    }

    /// A field, quoted if needed.
    public static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Parses complete lines (each ended by `\n`) into records; text after the last `\n` is ignored.
    ///
    /// Works on the UTF-8 bytes: the delimiters are ASCII, so a multi-byte character never splits. Only the
    /// first `keep` fields of a record are decoded; the rest are counted and left empty (a cheap scan of a
    /// large file for a few columns).
    public static func parse(_ text: String, keep: Int = .max) -> [[String]] {
        let (quote, comma, newline) = (UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: "\n"))
        var records: [[String]] = []
        var record: [String] = []
        var field: [UInt8] = []
        var quoted = false
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if quoted {
                if byte == quote {
                    // A doubled quote is a literal quote; a single one closes the field.
                    if i + 1 < bytes.count && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else if record.count < keep {
                    field.append(byte)
                }
            } else if byte == quote {
                quoted = true
            } else if byte == comma || byte == newline {
                record.append(record.count < keep ? String(decoding: field, as: UTF8.self) : "")
                field.removeAll(keepingCapacity: true)
                if byte == newline {
                    records.append(record)
                    record = []
                }
            } else if record.count < keep {
                field.append(byte)
            }
            i += 1
        }
        return records
    }
}
