import Foundation
import TransferSimCore

/// An arithmetic and boolean expression over named quantities, as a claims file writes them
/// (`n2 * mu2_norm^4 / (sigma_p2^4 * d) >= 20`, `baseline_clean_test_error_mean <= 0.05 and d > 100`).
///
/// Grammar, loosest first: `or` (`||`), `and` (`&&`), `not` (`!`), comparisons `< <= > >= == !=`, `+ -`, `* /`,
/// unary `-`, `^` (right-associative), then numbers, names (letters, digits, `_`), the functions `log(…)` (natural)
/// and `sqrt(…)`, and parentheses. Booleans are
/// numbers (true = 1, false = 0; any nonzero number is true). Parsing checks the syntax; ``check(_:)`` checks every
/// name against the ones a claim may use, so a mistake is reported, with its position, before any sweep runs.
package indirect enum ClaimExpression: Sendable, Equatable {
    /// A number.
    case number(Double)
    /// A named quantity.
    case name(String, position: Int)
    /// `op operand`: `-`, `not`, `log` or `sqrt`.
    case unary(String, ClaimExpression)
    /// `left op right`.
    case binary(String, ClaimExpression, ClaimExpression)

    /// Parses `text`.
    ///
    /// - Throws: ``ConfigError`` (key `key`) naming the position (1-based) and what was expected.
    package init(parsing text: String, key: String) throws {
        var parser = Parser(text: text, key: key)
        self = try parser.parseOr()
        guard parser.atEnd else { throw parser.error("unexpected '\(parser.rest)'") }
    }

    /// Every name the expression uses, with its position.
    package var names: [(name: String, position: Int)] {
        switch self {
        case .number: return []
        case .name(let name, let position): return [(name, position)]
        case .unary(_, let operand): return operand.names
        case .binary(_, let left, let right): return left.names + right.names
        }
    }

    /// Throws unless every name is in `known`.
    ///
    /// - Throws: ``ConfigError`` (key `key`) naming the first unknown name and its position.
    package func check(_ known: Set<String>, key: String, text: String) throws {
        if let unknown = names.first(where: { !known.contains($0.name) }) {
            throw ConfigError(
                key: key,
                "unknown name '\(unknown.name)' at position \(unknown.position) of '\(text)' (names: config keys, theory statistics, summary.csv columns)"
            )
        }
    }

    /// The value with `value(name)` for the names (NaN when a name has none; comparisons with NaN are false).
    package func evaluate(_ value: (String) -> Double?) -> Double {
        switch self {
        case .number(let number): return number
        case .name(let name, _): return value(name) ?? .nan
        case .unary(let op, let operand):
            let x = operand.evaluate(value)
            switch op {
            case "-": return -x
            case "log": return Foundation.log(x)
            case "sqrt": return x.squareRoot()
            default: return x == 0 ? 1 : (x.isNaN ? .nan : 0)
            }
        case .binary(let op, let left, let right):
            let a = left.evaluate(value), b = right.evaluate(value)
            switch op {
            case "+": return a + b
            case "-": return a - b
            case "*": return a * b
            case "/": return a / b
            case "^": return pow(a, b)
            case "<": return a < b ? 1 : 0
            case "<=": return a <= b ? 1 : 0
            case ">": return a > b ? 1 : 0
            case ">=": return a >= b ? 1 : 0
            case "==": return a == b ? 1 : 0
            case "!=": return a != b ? 1 : 0
            case "and": return a != 0 && b != 0 && !a.isNaN && !b.isNaN ? 1 : 0
            default: return (a != 0 && !a.isNaN) || (b != 0 && !b.isNaN) ? 1 : 0  // or
            }
        }
    }

    /// A recursive-descent parser over the characters of the text.
    private struct Parser {
        let characters: [Character]
        let key: String
        let text: String
        var position = 0

        init(text: String, key: String) {
            characters = Array(text)
            self.key = key
            self.text = text
        }

        var atEnd: Bool {
            mutating get { skipSpaces(); return position >= characters.count }
        }

        var rest: String { String(characters[position...]) }

        func error(_ message: String) -> ConfigError {
            ConfigError(key: key, "\(message) at position \(position + 1) of '\(text)'")
        }

        mutating func skipSpaces() {
            while position < characters.count, characters[position].isWhitespace { position += 1 }
        }

        /// Consumes `token` if it comes next (a word token must not run on into a name).
        mutating func take(_ token: String) -> Bool {
            skipSpaces()
            let candidate = Array(token)
            guard position + candidate.count <= characters.count,
                Array(characters[position..<position + candidate.count]) == candidate
            else { return false }
            if candidate.last?.isLetter == true, position + candidate.count < characters.count,
                characters[position + candidate.count].isLetter || characters[position + candidate.count].isNumber
                    || characters[position + candidate.count] == "_"
            {
                return false
            }
            position += candidate.count
            return true
        }

        mutating func parseOr() throws -> ClaimExpression {
            var left = try parseAnd()
            while take("or") || take("||") { left = .binary("or", left, try parseAnd()) }
            return left
        }

        mutating func parseAnd() throws -> ClaimExpression {
            var left = try parseNot()
            while take("and") || take("&&") { left = .binary("and", left, try parseNot()) }
            return left
        }

        mutating func parseNot() throws -> ClaimExpression {
            if take("not") || (peek("!") && !peek("!=") && take("!")) { return .unary("not", try parseNot()) }
            return try parseComparison()
        }

        mutating func peek(_ token: String) -> Bool {
            skipSpaces()
            let candidate = Array(token)
            return position + candidate.count <= characters.count
                && Array(characters[position..<position + candidate.count]) == candidate
        }

        mutating func parseComparison() throws -> ClaimExpression {
            let left = try parseSum()
            for op in ["<=", ">=", "==", "!=", "<", ">"] where take(op) {
                return .binary(op, left, try parseSum())
            }
            return left
        }

        mutating func parseSum() throws -> ClaimExpression {
            var left = try parseProduct()
            while true {
                if take("+") {
                    left = .binary("+", left, try parseProduct())
                } else if take("-") {
                    left = .binary("-", left, try parseProduct())
                } else {
                    return left
                }
            }
        }

        mutating func parseProduct() throws -> ClaimExpression {
            var left = try parseUnary()
            while true {
                if take("*") {
                    left = .binary("*", left, try parseUnary())
                } else if take("/") {
                    left = .binary("/", left, try parseUnary())
                } else {
                    return left
                }
            }
        }

        mutating func parseUnary() throws -> ClaimExpression {
            if take("-") { return .unary("-", try parseUnary()) }
            return try parsePower()
        }

        mutating func parsePower() throws -> ClaimExpression {
            let base = try parseAtom()
            if take("^") { return .binary("^", base, try parseUnary()) }
            return base
        }

        mutating func parseAtom() throws -> ClaimExpression {
            skipSpaces()
            guard position < characters.count else { throw error("expected a number, a name or '('") }
            if take("(") {
                let inner = try parseOr()
                guard take(")") else { throw error("expected ')'") }
                return inner
            }
            let start = position
            let character = characters[position]
            if character.isNumber || character == "." {
                while position < characters.count, characters[position].isNumber || characters[position] == "." {
                    position += 1
                }
                if position < characters.count, characters[position] == "e" || characters[position] == "E" {
                    position += 1
                    if position < characters.count, characters[position] == "-" || characters[position] == "+" {
                        position += 1
                    }
                    while position < characters.count, characters[position].isNumber { position += 1 }
                }
                guard let number = Double(String(characters[start..<position])) else {
                    position = start
                    throw error("malformed number")
                }
                return .number(number)
            }
            if character.isLetter || character == "_" {
                while position < characters.count,
                    characters[position].isLetter || characters[position].isNumber || characters[position] == "_"
                { position += 1 }
                let word = String(characters[start..<position])
                if ["log", "sqrt"].contains(word), take("(") {
                    let argument = try parseOr()
                    guard take(")") else { throw error("expected ')'") }
                    return .unary(word, argument)
                }
                return .name(word, position: start + 1)
            }
            throw error("unexpected '\(character)'")
        }
    }
}
