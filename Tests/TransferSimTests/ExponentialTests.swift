import Foundation
import Testing

@testable import TransferSimCore

/// ``Exponential`` reproduces glibc's `exp` (its FMA variant) operation for operation, so the loss derivative has the
/// same bits on every machine and C library: checked against the C library where that is glibc on a CPU with FMA, and
/// lane against scalar everywhere.
@Suite struct ExponentialTests {
    /// 400 000 inputs: uniform over `[−750, 750]` (both sides of the table path's `|x| < 512`, overflow and underflow),
    /// over `[−40, 0]` (the loss derivative's `−|z|`), random bit patterns (NaN, infinities, subnormals) and tiny values
    /// around `2⁻⁵⁴`, with the range's edges.
    static let inputs: [Double] = {
        var generator = Xoshiro256StarStar(seed: 17)
        let edges: [Double] = [
            0, -0.0, 0x1p-54, -0x1p-54, 0x1p-54.nextDown, 512, -512, 512.0.nextDown, -745.2, 709.8, .infinity,
            -.infinity, .nan, 1, -1, .leastNonzeroMagnitude,
        ]
        return edges
            + (0..<400_000).map { k in
                switch k % 4 {
                case 0: return (generator.uniform() - 0.5) * 1500
                case 1: return -generator.uniform() * 40
                case 2: return Double(bitPattern: generator.next())
                default: return (generator.uniform() - 0.5) * 0x1p-50
                }
            }
    }()

    @Test("the C library's exp bit for bit where it is glibc's FMA variant (AVX2 and FMA), within one ulp elsewhere")
    func exp_matchesTheCLibrary() {
        #if os(Linux) && arch(x86_64)
            let bitForBit = ["avx2", "fma"].allSatisfy(BLASKernel.cpuFlags.contains)
        #else
            let bitForBit = false
        #endif
        var mismatches = 0
        for x in Self.inputs {
            let (ours, theirs) = (Exponential.exp(x), Foundation.exp(x))
            guard !(ours.isNaN && theirs.isNaN), ours.bitPattern != theirs.bitPattern else { continue }
            if bitForBit || !(abs(ours - theirs) <= theirs.ulp) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test("8 lanes at once give each lane the scalar's bits, whatever its neighbours (in or out of the table's range)")
    func exp_lanesEqualScalar() {
        let inputs = Self.inputs
        for start in stride(from: 0, to: inputs.count - 8, by: 7) {
            var lanes = SIMD8<Double>()
            for lane in 0..<8 { lanes[lane] = inputs[start + lane] }
            let values = Exponential.exp(lanes), derivatives = LogisticLoss.derivative(lanes)
            for lane in 0..<8 {
                let x = lanes[lane]
                #expect(values[lane].bitPattern == Exponential.exp(x).bitPattern || (values[lane].isNaN && x.isNaN))
                let scalar = LogisticLoss.derivative(x)
                #expect(
                    derivatives[lane].bitPattern == scalar.bitPattern || (scalar.isNaN && derivatives[lane].isNaN),
                    "\(x) \(derivatives[lane]) \(scalar)")
            }
        }
    }
}
