import Foundation
import TransferSimFiles

/// Which cells a process runs: those with canonical index ≡ `index` (mod `count`).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// This shard, `0 ≤ index < count`.
    public let index: Int
    /// Number of shards.
    public let count: Int

    /// The whole sweep.
    public static let all = Shard(index: 0, count: 1)

    /// A shard; checked by ``parse(_:)``.
    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/N`.
    ///
    /// - Throws: ``SweepError`` (key `--shard`) unless `0 ≤ i < N`.
    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (0..<n).contains(i) else {
            throw SweepError(key: "--shard", "must be i/N with 0 ≤ i < N, got '\(text)'")
        }
        return Shard(index: i, count: n)
    }

    /// Whether the cell with canonical index `cell` belongs to this shard.
    package func contains(_ cell: Int) -> Bool { cell % count == index }

    public var description: String { "\(index)/\(count)" }

    /// The shard a sweep directory holds: its file `shard` (written by `sweep --shard i/N`, N > 1), or ``all`` when
    /// the directory has none.
    ///
    /// - Throws: ``SweepError`` naming the file when it exists but cannot be read or is not `i/N`.
    package static func recorded(in directory: URL) throws -> Shard {
        let url = directory.appendingPathComponent("shard")
        guard FileManager.default.fileExists(atPath: url.path) else { return .all }
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw SweepError(
                key: url.path,
                "cannot be read (\(StagedDirectory.reason(error))); it says which shard the directory holds")
        }
        do {
            return try parse(text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw SweepError(key: url.path, "must hold the shard as i/N, got '\(text.prefix(20))'")
        }
    }
}
