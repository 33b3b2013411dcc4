/// How every file TransferSim writes spells a number.
package enum NumberText {
    /// `value` in Swift's shortest round-trip form (`0.1`, `1e-05`, `300.0`): parsing it gives `value` back, bit for
    /// bit, so a config value, a CSV field and a resolved file all name the same double.
    package static func shortest(_ value: Double) -> String { "\(value)" }
}
