import ArgumentParser
import Foundation
import TransferSim

// MARK: - Parsing an option's value

/// Parses an option's value with the library's own parser, for ArgumentParser's `transform:`: a value the parser
/// refuses is a usage error (exit 64, the usage line) reading "The value 'x' is invalid for '--key <value>': <what is
/// allowed>", before the command runs or writes anything. The library keeps the same check for its own callers.
func optionValue<Value>(_ parse: @escaping @Sendable (String) throws -> Value) -> @Sendable (String) throws -> Value {
    { text in
        do {
            return try parse(text)
        } catch let error as any KeyedError {
            throw ValidationError(error.message)
        }
    }
}

// MARK: - Typed option values

/// `--threads N`: worker threads, `1...SweepRunner.maxThreads`.
enum ThreadCount {
    /// The count `text` names.
    ///
    /// - Throws: ``ConfigError`` (key `--threads`) for anything but an integer in range.
    @Sendable static func parse(_ text: String) throws -> Int {
        guard let threads = Int(text), (1...SweepRunner.maxThreads).contains(threads) else {
            throw ConfigError(key: "--threads", "must be an integer in [1, \(SweepRunner.maxThreads)], got '\(text)'")
        }
        return threads
    }
}

/// A `key=value` option value (`--set`, `--where`), split at its first `=` (``ConfigLoader/parseAssignment(_:)``).
struct Assignment: Sendable {
    /// The key, as written (surrounding blanks trimmed).
    let key: String
    /// The value, as written.
    let value: String

    /// `key=value` as the library's override list takes it.
    var text: String { "\(key)=\(value)" }

    /// Parses `key=value`.
    ///
    /// - Throws: ``ConfigError`` without an `=` or with an empty key (whichever option it is given to).
    @Sendable static func parse(_ text: String) throws -> Assignment {
        guard let (key, value) = try? ConfigLoader.parseAssignment(text) else {
            throw ConfigError(key: "KEY=VALUE", "must be a key, '=' and a value, e.g. alpha=0.5, got '\(text)'")
        }
        return Assignment(key: key, value: value)
    }
}

/// A `KEY=A,B` option value (`--vary`, `--contrast`): the key and its two values, A − B.
struct Variation: Sendable {
    /// The key (an axis of the sweep).
    let key: String
    /// The first value (minuend).
    let a: String
    /// The second value (subtrahend).
    let b: String

    /// Parses `KEY=A,B`.
    ///
    /// - Throws: ``ConfigError`` unless there is a key and exactly two non-empty values.
    @Sendable static func parse(_ text: String) throws -> Variation {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex,
            case let values = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false),
            values.count == 2, !values[0].isEmpty, !values[1].isEmpty
        else {
            throw ConfigError(key: "KEY=A,B", "must be a key and two values, e.g. alpha=1,0.5, got '\(text)'")
        }
        return Variation(key: String(text[..<equals]), a: String(values[0]), b: String(values[1]))
    }
}

extension MeanTable.Format: ExpressibleByArgument {}
