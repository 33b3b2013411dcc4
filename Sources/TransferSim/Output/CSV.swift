import Foundation

/// The CSV dialect of every file TransferSim writes: comma-separated, `\n`-terminated, a field quoted
/// with `"` (inner quotes doubled) only when it holds a comma, quote or newline. Numbers are written in
/// Swift's shortest round-trip form; a missing number (NaN: skipped stage, undefined standard error)
/// is an empty field.
public enum CSV {
    /// A number as a field: shortest round-trip text, or empty when not finite.
    public static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : ""
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
    public static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    // A doubled quote is a literal quote; a single one closes the field.
                    var lookahead = iterator
                    if lookahead.next() == "\"" {
                        field.append("\"")
                        iterator = lookahead
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                record.append(field)
                field = ""
            } else if character == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(character)
            }
        }
        return records
    }
}
