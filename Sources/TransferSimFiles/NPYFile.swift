import Foundation
import TransferSimCore

/// NumPy `.npy` files, format version 1.0, little-endian float64 (`<f8`), C order.
///
/// Layout: magic `\x93NUMPY`, version bytes `1 0`, a little-endian `UInt16` header length, the ASCII
/// header `{'descr': '<f8', 'fortran_order': False, 'shape': (…), }` padded with spaces and ended by
/// `\n` so that the data starts at a multiple of 64 bytes, then the values. `numpy.load` reads it as is.
package enum NPYFile {
    /// The file's bytes for `values` of shape `shape` (the product of `shape` must equal `values.count`).
    package static func encode(_ values: [Double], shape: [Int]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "NPY shape \(shape) does not hold \(values.count) values")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.reserveCapacity(data.count + 8 * values.count)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Decodes a version-1.0 `<f8` C-order file written by ``encode(_:shape:)``: its shape and values.
    ///
    /// - Throws: ``FileError`` for any other format.
    package static func decode(_ data: Data) throws -> (shape: [Int], values: [Double]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8), bytes[6] == 1 else {
            throw FileError(key: "npy", "not a version-1.0 .npy file")
        }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        guard bytes.count >= 10 + length, let header = String(bytes: bytes[10..<(10 + length)], encoding: .ascii),
            header.contains("'descr': '<f8'"), header.contains("'fortran_order': False"),
            let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else {
            throw FileError(key: "npy", "unsupported .npy header")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let count = shape.reduce(1, *)
        let start = 10 + length
        guard bytes.count == start + 8 * count else {
            throw FileError(key: "npy", "data length does not match shape \(shape)")
        }
        let values = (0..<count).map { k -> Double in
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[start + 8 * k + b]) << (8 * b) }
            return Double(bitPattern: bits)
        }
        return (shape, values)
    }
}
