/// The arithmetic of ``SpanBatch``'s and ``SpanPass``'s loops on one cell (`Double`) or 8 (`SIMD8<Double>`): the same operations per
/// cell either way.
protocol Lane {
    static var zero: Self { get }
    init(_ value: Double)
    static func load(_ pointer: UnsafePointer<Double>) -> Self
    func store(_ pointer: UnsafeMutablePointer<Double>)
    static func + (left: Self, right: Self) -> Self
    static func * (left: Self, right: Self) -> Self
    /// `value` where `self > 0`, else `+0` (NaN is not `> 0`).
    func positive(_ value: Self) -> Self
    /// `max(self, 0)` as Swift's `max` computes it: `+0` where `0 ≥ self`, else `self` (NaN stays NaN).
    var relu: Self { get }
}

extension Double: Lane {
    @inline(__always) static var zero: Double { 0 }
    @inline(__always) static func load(_ pointer: UnsafePointer<Double>) -> Double { pointer.pointee }
    @inline(__always) func store(_ pointer: UnsafeMutablePointer<Double>) { pointer.pointee = self }
    @inline(__always) func positive(_ value: Double) -> Double { self > 0 ? value : 0 }
    @inline(__always) var relu: Double { max(self, 0) }
}

extension SIMD8<Double>: Lane {
    @inline(__always) init(_ value: Double) { self.init(repeating: value) }
    @inline(__always) static func load(_ pointer: UnsafePointer<Double>) -> SIMD8<Double> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Double>.self)
    }
    @inline(__always) func store(_ pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Double>.self)
    }
    @inline(__always) func positive(_ value: SIMD8<Double>) -> SIMD8<Double> {
        value.replacing(with: 0, where: .!(self .> 0))
    }
    @inline(__always) var relu: SIMD8<Double> { replacing(with: 0, where: self .<= 0) }
}
