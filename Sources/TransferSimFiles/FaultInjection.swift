import Foundation
import TransferSimCore

/// Named points where the fault-injection tests kill the process (`docs/reliability.md`).
///
/// With the environment variable `TRANSFERSIM_FAULT=<name>` the process sends itself SIGKILL on reaching
/// point `<name>`, e.g. between writing a sweep's `results_version` and its `config.resolved.yaml`, or in
/// the middle of the final rewrite of `results.csv`; the tests then check that the next command resumes to
/// the uninterrupted files. Without the variable a point costs one dictionary look-up.
package enum FaultInjection {
    private static let target = ProcessInfo.processInfo.environment["TRANSFERSIM_FAULT"]

    /// Kills the process if `name` is the injected fault.
    package static func point(_ name: String) {
        if let target, target == name { kill(getpid(), SIGKILL) }
    }
}
