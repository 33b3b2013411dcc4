/// The checksum closing every row of `results.csv` (column `row_crc32`): CRC-32 (IEEE 802.3, reflected polynomial
/// `0xEDB88320`, initial value and final XOR `0xFFFFFFFF`, zlib's `crc32`) of the row's UTF-8 bytes before its last
/// comma, written as 8 lowercase hexadecimal digits.
///
/// A row read back as trusted state (a resumed sweep's finished pairs, a merge's shards, an analysis) must pass it;
/// any bit flip in a row changes it, and so does a hand edit. zlib's function is the one Python's `zlib.crc32` computes,
/// so the reader checks rows without a library of its own.
package enum RowChecksum {
    /// The byte-wise lookup table of the reflected polynomial.
    private static let table: [UInt32] = (0..<256).map { index in
        (0..<8).reduce(UInt32(index)) { crc, _ in crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }

    /// CRC-32 of `bytes`.
    package static func crc32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// `crc32` as the column writes it: 8 lowercase hexadecimal digits.
    package static func text(_ crc: UInt32) -> String {
        let hex = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Appends `,` and the checksum of `line` (the UTF-8 bytes of one CSV row without its newline) to it.
    package static func seal(_ line: inout [UInt8]) {
        let crc = line.withUnsafeBufferPointer { crc32($0) }
        line.append(UInt8(ascii: ","))
        line.append(contentsOf: text(crc).utf8)
    }

    /// Whether `line` (without its newline) ends in the checksum of the bytes before its last comma (the 8 hex
    /// digits compared as bytes: no allocation per row of a large `results.csv`).
    package static func holds(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count > 9, line[line.count - 9] == UInt8(ascii: ",") else { return false }
        let crc = crc32(UnsafeBufferPointer(rebasing: line[..<(line.count - 9)]))
        let digits = Array("0123456789abcdef".utf8)
        return (0..<8).allSatisfy { k in line[line.count - 8 + k] == digits[Int((crc >> (28 - 4 * UInt32(k))) & 0xF)] }
    }
}
