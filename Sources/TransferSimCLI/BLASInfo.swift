import ArgumentParser
import TransferSim

/// `transfersim blas`: the BLAS library, version, build and kernel this process runs, and the kernels this CPU runs.
struct BLASInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract:
            "Print the BLAS library, version and kernel in use (set with --blas-kernel or TRANSFERSIM_BLAS_KERNEL).")

    @Flag(name: .long, help: "Print only the kernel's name (e.g. for OPENBLAS_CORETYPE in scripts).")
    var kernel = false

    func run() {
        let identity = BLASIdentity.current
        guard !kernel else { return print(identity.kernel) }
        print("library  \(identity.library) \(identity.version) (\(identity.build))")
        print("kernel   \(identity.kernel)")
        print(
            "default  \(BLASKernel.isX86_64 ? BLASKernel.pinnedDefault + " on x86-64 CPUs with AVX2 and FMA" : "native (OpenBLAS's own pick) off x86-64")"
        )
        print("runnable \((["native"] + BLASKernel.runnable).joined(separator: " "))")
    }
}
