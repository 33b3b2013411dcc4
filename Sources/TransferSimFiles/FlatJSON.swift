import Foundation
import TransferSimCore

/// A flat JSON object with keys in a fixed order: numbers (non-finite ones become `null`) and strings.
package struct FlatJSON: Sendable {
    /// A value of the object.
    package enum Value: Sendable {
        /// A number; NaN and ±∞ are written as `null`.
        case number(Double)
        /// A string.
        case string(String)
        /// An unsigned integer (seeds), written exactly.
        case integer(UInt64)
    }

    /// Entries in output order.
    package var entries: [(key: String, value: Value)] = []

    /// An empty object.
    package init() {}

    /// The object as pretty-printed JSON, one entry per line.
    package var text: String {
        let lines = entries.map { key, value -> String in
            let rendered: String
            switch value {
            case .number(let x): rendered = x.isFinite ? "\(x)" : "null"
            case .string(let s): rendered = FlatJSON.quote(s)
            case .integer(let n): rendered = String(n)
            }
            return "  \(FlatJSON.quote(key)): \(rendered)"
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    private static func quote(_ s: String) -> String {
        let encoded = try? JSONEncoder().encode(s)
        return encoded.flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
    }
}
