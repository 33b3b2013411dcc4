import CLAPACK
import Foundation

/// Which OpenBLAS kernel family computes this process's products, and which one a process should ask for.
///
/// OpenBLAS built with `DYNAMIC_ARCH` (Debian's) picks a kernel family for the CPU once, when the library loads, or
/// takes the one named by `OPENBLAS_CORETYPE`. Kernels differ in blocking and accumulation order, so the same
/// product differs in its last bits between them (measured on the Kou grid: three different `summary.csv` under
/// Prescott, Haswell and SkylakeX), and OpenBLAS 0.3.21 falls back to Prescott on CPUs it does not know. So the
/// command line pins one family by default (``pinnedDefault``: Haswell, which every x86-64 CPU with AVX2 and FMA runs,
/// Intel since 2013 and AMD since Zen), and every results directory records the kernel that computed it
/// (``BLASIdentity``). `native` leaves the pick to OpenBLAS (faster on AVX-512 CPUs; bits then follow the CPU).
/// docs/model-choices.md ("The BLAS kernel") explains the choice.
package enum BLASKernel {
    /// The kernel the command line pins when nothing else is asked for, on x86-64: `Haswell`.
    package static let pinnedDefault = "Haswell"

    /// The setting's environment variable (the command line's `--blas-kernel` takes precedence).
    package static let environmentVariable = "TRANSFERSIM_BLAS_KERNEL"

    /// The value that leaves the pick to OpenBLAS (its own detection, or `OPENBLAS_CORETYPE` when set).
    package static let native = "native"

    /// The x86-64 kernel families OpenBLAS 0.3.21's `DYNAMIC_ARCH` build offers that this project accepts by name,
    /// slowest first, each with the CPU flags (`/proc/cpuinfo`) its code needs.
    package static let families: [(name: String, flags: [String])] = [
        ("Prescott", ["sse2", "pni"]),
        ("Nehalem", ["sse2", "pni", "ssse3", "sse4_1", "sse4_2"]),
        ("Sandybridge", ["sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx"]),
        ("Haswell", ["sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma"]),
        ("Zen", ["sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma"]),
        (
            "SkylakeX",
            [
                "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma",
                "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
            ]
        ),
        (
            "Cooperlake",
            [
                "sse2", "pni", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma",
                "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16",
            ]
        ),
    ]

    /// This CPU's flags (the first `flags` line of `/proc/cpuinfo`; empty where there is none).
    package static let cpuFlags: Set<String> = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
            let colon = line.firstIndex(of: ":")
        else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }()

    /// Whether this process runs on x86-64, where the families above exist.
    package static var isX86_64: Bool {
        #if arch(x86_64)
            return true
        #else
            return false
        #endif
    }

    /// The families of ``families`` whose instructions this CPU has (none off x86-64).
    package static var runnable: [String] {
        guard isX86_64 else { return [] }
        return families.filter { Set($0.flags).isSubset(of: cpuFlags) }.map(\.name)
    }

    /// The kernel a process asks for: `setting` (the flag's or the variable's value; nil for the default) resolved.
    ///
    /// Returns the family's canonical name, nil for `native`, and a note for stderr when the default cannot be
    /// honoured (a CPU without AVX2 and FMA, or another architecture: OpenBLAS's own pick, recorded).
    ///
    /// - Throws: ``BLASKernelError`` for a name that is not a family, or a family this CPU cannot run.
    package static func resolve(_ setting: String?) throws -> (kernel: String?, note: String?) {
        guard let setting, !setting.isEmpty else {
            guard isX86_64 else { return (nil, nil) }
            guard runnable.contains(pinnedDefault) else {
                return (
                    nil,
                    "note: this CPU lacks AVX2 or FMA, so OpenBLAS runs its own pick (\(loaded)) instead of the pinned \(pinnedDefault) kernel; its results differ in the last bits from AVX2 machines' (each results directory records the kernel)"
                )
            }
            return (pinnedDefault, nil)
        }
        if setting.lowercased() == native { return (nil, nil) }
        let allowed = ([native] + families.map(\.name)).joined(separator: ", ")
        guard let family = families.first(where: { $0.name.lowercased() == setting.lowercased() }) else {
            throw BLASKernelError(key: "--blas-kernel", "unknown kernel '\(setting.prefix(40))'; allowed: \(allowed)")
        }
        guard isX86_64 else {
            throw BLASKernelError(
                key: "--blas-kernel", "the \(family.name) kernel exists on x86-64 only; this machine allows: native")
        }
        guard runnable.contains(family.name) else {
            let missing = family.flags.filter { !cpuFlags.contains($0) }.joined(separator: " ")
            throw BLASKernelError(
                key: "--blas-kernel",
                "this CPU cannot run the \(family.name) kernel (it lacks \(missing)); it runs: \(([native] + runnable).joined(separator: ", "))"
            )
        }
        return (family.name, nil)
    }

    /// The kernel family OpenBLAS loaded in this process (`openblas_get_corename`).
    package static var loaded: String { String(cString: openblas_get_corename()) }
}

/// The kind of ``BLASKernelError``.
package enum BLASKernelKind: ErrorKind {}

/// A BLAS kernel setting that cannot be honoured: an unknown name, or one this CPU cannot run.
package typealias BLASKernelError = LayerError<BLASKernelKind>

/// The BLAS library, version, build and kernel that computed a result: part of the result's identity, kept in every
/// run and sweep directory as the file `blas` beside `results_version`.
///
/// The same config, seed and results version give the same bits only under the same identity (see ``BLASKernel``);
/// resuming or merging rows of another identity is refused, and the upstream cache keeps models per identity.
package struct BLASIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The library's name, e.g. `OpenBLAS`.
    package let library: String
    /// Its version, e.g. `0.3.21`.
    package let version: String
    /// The kernel family, e.g. `Haswell`.
    package let kernel: String
    /// The rest of the library's build configuration, e.g. `NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY MAX_THREADS=64`.
    package let build: String

    /// An identity from its parts.
    package init(library: String, version: String, kernel: String, build: String) {
        self.library = library
        self.version = version
        self.kernel = kernel
        self.build = build
    }

    /// This process's: `openblas_get_config()` (`OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH … Haswell MAX_THREADS=64`)
    /// with the kernel, `openblas_get_corename()`, taken out of the build words.
    package static let current: BLASIdentity = {
        let words = String(cString: openblas_get_config()).split(separator: " ").map(String.init)
        let kernel = BLASKernel.loaded
        let build = words.dropFirst(2).filter { $0.lowercased() != kernel.lowercased() }
        return BLASIdentity(
            library: words.first ?? "unknown", version: words.count > 1 ? words[1] : "unknown",
            kernel: kernel, build: build.joined(separator: " "))
    }()

    /// The file name inside a run or sweep directory.
    package static let fileName = "blas"

    /// The file's text: four `name: value` lines.
    package var text: String { "library: \(library)\nversion: \(version)\nkernel: \(kernel)\nbuild: \(build)\n" }

    /// The identity a file's text holds, or nil when it is not four `name: value` lines of these names.
    package init?(text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard fields.count == 4, let library = fields["library"], let version = fields["version"],
            let kernel = fields["kernel"], let build = fields["build"]
        else { return nil }
        self.init(library: library, version: version, kernel: kernel, build: build)
    }

    /// `OpenBLAS 0.3.21, kernel Haswell (NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY MAX_THREADS=64)`.
    package var description: String { "\(library) \(version), kernel \(kernel) (\(build))" }
}
