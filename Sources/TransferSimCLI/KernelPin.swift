import Foundation
import TransferSim

/// How the command line makes OpenBLAS run the kernel family it asks for (``BLASKernel``), before any product.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, when the library loads — before `main` — so a process whose loaded kernel
/// is not the one asked for sets the variable and executes itself again (`/proc/self/exe`, the same arguments), once;
/// a second process that still runs another kernel stops with an error. The same re-execution sets
/// `OPENBLAS_NUM_THREADS=1` (``oneThread``). The setting is `--blas-kernel NAME` anywhere
/// on the command line (taken out before the subcommand's own options are parsed), else the environment variable
/// `TRANSFERSIM_BLAS_KERNEL`, else ``BLASKernel/pinnedDefault`` on x86-64 CPUs with AVX2 and FMA; `native` leaves
/// OpenBLAS's own pick (or the user's `OPENBLAS_CORETYPE`).
enum KernelPin {
    /// Set in the environment of the re-executed process (to the kernel asked for), so it never re-executes again.
    private static let marker = "TRANSFERSIM_BLAS_REEXEC"

    /// The command-line flag.
    static let flag = "--blas-kernel"

    /// OpenBLAS's thread count at load: 1, so it starts no pool threads (the library runs it on one thread anyway,
    /// ``BLAS/useOneThread()``); a pool thread allocates its 128 MiB buffer as it starts and, under a small
    /// `ulimit -v`, retried that allocation forever while the main thread waited for it.
    static let oneThread = (name: "OPENBLAS_NUM_THREADS", value: "1")

    /// Ensures the process runs the kernel asked for (re-executing it once if need be) and returns the command line
    /// without `--blas-kernel NAME`; an unusable setting prints one error line and exits with status 1.
    static func apply(_ arguments: [String]) -> [String] {
        let reexecuted = ProcessInfo.processInfo.environment[marker] != nil
        unsetenv(marker)  // Not inherited: a child process resolves its own setting.
        var rest: [String] = []
        var setting = ProcessInfo.processInfo.environment[BLASKernel.environmentVariable]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                rest += arguments[index...]
                break
            }
            if argument == flag {
                guard index + 1 < arguments.count, !arguments[index + 1].isEmpty else {
                    exit("\(flag): needs a kernel name, e.g. \(flag) native")
                }
                setting = arguments[index + 1]
                index += 2
                continue
            }
            if argument.hasPrefix(flag + "=") {
                setting = String(argument.dropFirst(flag.count + 1))
                if setting?.isEmpty == true { exit("\(flag): needs a kernel name, e.g. \(flag) native") }
            } else {
                rest.append(argument)
            }
            index += 1
        }
        let resolved: (kernel: String?, note: String?)
        do {
            resolved = try BLASKernel.resolve(setting)
        } catch {
            exit("\(error)")
        }
        if let note = resolved.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        let loadedOnOneThread = ProcessInfo.processInfo.environment[oneThread.name] == oneThread.value
        let kernelLoaded = resolved.kernel.map { BLASKernel.loaded == $0 } ?? true
        guard !loadedOnOneThread || !kernelLoaded else { return rest }
        if reexecuted {
            exit(
                "\(flag): OpenBLAS loaded its \(BLASKernel.loaded) kernel although \(resolved.kernel ?? BLASKernel.native) was asked for (OPENBLAS_CORETYPE=\(resolved.kernel ?? "")); use \(flag) native"
            )
        }
        if let kernel = resolved.kernel { setenv("OPENBLAS_CORETYPE", kernel, 1) }
        setenv(oneThread.name, oneThread.value, 1)
        setenv(marker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        exit(
            "\(flag): cannot re-execute this program to load OpenBLAS as asked (\(String(cString: strerror(errno)))); use \(flag) native"
        )
    }

    /// Prints `error: message` and exits with status 1.
    private static func exit(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
