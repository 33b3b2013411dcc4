import CLAPACK
import Foundation

/// Thin, dimension-checked wrappers over the CBLAS routines the simulator uses (OpenBLAS).
///
/// Every wrapper checks the shapes with `precondition` before calling BLAS: a mismatch is a
/// programming error, never a data error.
package enum BLAS {
    /// One OpenBLAS thread for every BLAS and LAPACK call of this library that OpenBLAS could split over threads, set
    /// before the first such call (``useOneThread(work:threshold:)``; every LAPACK call).
    ///
    /// OpenBLAS splits a product differently for different thread counts, and the split moves the last bits
    /// (measured: `dgemv` and `dgemm` of 1500 × 24 and 333 × 333 matrices differ between one and two threads), so a
    /// result would otherwise depend on the machine's core count, or, in one process, on whether a sweep had already
    /// set the count; and a sweep runs its cells on its own worker threads, where more OpenBLAS threads only
    /// oversubscribe the cores. A count OpenBLAS already has is left alone: OpenBLAS 0.3.21 re-creates a stopped
    /// pool (``stopThreadPoolAtStart()``) in every `openblas_set_num_threads`.
    private static let oneThread: Void = {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }()

    /// Fixes OpenBLAS to one thread, once per process (``oneThread``); a call after the first costs one check.
    package static func useOneThread() { _ = oneThread }

    /// ``useOneThread()`` before a call of `work` (its dimensions' product) that OpenBLAS may run on several threads:
    /// those above its interface's thresholds with the smallest `GEMM_MULTITHREAD_THRESHOLD` (1) — `M·N·K > 65536` for
    /// `dgemm`, `M·N ≥ 2304` for `dgemv`, `M·N > 2048` for `dger`, `n > 10000` for `ddot` (x86-64 kernels); the level-1
    /// and -2 wrappers check from 2048. Smaller calls run on the calling thread whatever the count and skip the check:
    /// a Kou span step makes three of them, where checking every call cost ~1.5% (medians of six interleaved runs:
    /// 1.81 µs without a check, 1.84 µs with).
    @inline(__always)
    private static func useOneThread(work: Int, threshold: Int) {
        if work >= threshold { useOneThread() }
    }

    /// Stops OpenBLAS's pool threads where OpenBLAS offers it (`blas_thread_shutdown_`, looked up at run time: the
    /// pthreads build has it, a serial build has no pool), and sets the thread count to 1 (``useOneThread()``).
    ///
    /// The pool's threads otherwise spin in `sched_yield` for about 2²⁸ clock ticks (0.1 s here) after the process
    /// starts, taking a core from the workers of a short run. Call it **only at process start, before any other thread
    /// exists** (the command line's `main`): stopping the pool while another thread is inside a threaded BLAS call
    /// loses that call's work or hangs it (a stress run, products on one thread while another changed the count and
    /// stopped the pool, hung within a few rounds; the CI's parallel tests once got a wrong upstream test error).
    package static func stopThreadPoolAtStart() {
        useOneThread()
        if let shutdown = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") {
            _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
        }
    }

    /// The address space OpenBLAS takes for one calling thread's work buffer, on that thread's first product:
    /// `BUFFER_SIZE` (128 MiB in Debian's x86-64 build) and a page. OpenBLAS 0.3.21 retries a failed allocation of it
    /// forever, so a process must have the room before its first product (``reserveBuffer()``), and every sweep worker
    /// that runs products at the same time as another needs one more.
    package static let bufferBytes = 134_221_824

    /// The room under the address-space limit (`ulimit -v`, `RLIMIT_AS`): the limit minus this process's `VmSize`;
    /// nil without a limit.
    package static var addressSpaceHeadroom: Double? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
            let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return max(Double(limit.rlim_cur) - kib * 1024, 0)
    }

    /// Checks that OpenBLAS's work buffer fits under the address-space limit with 16 MiB to spare, then makes it be
    /// allocated now (one 128³ product, ~0.1 ms), so that no later product can loop on a failed allocation.
    ///
    /// - Throws: ``BLASKernelError`` (key `ulimit -v`) naming the room there is and the limit that would do.
    package static func reserveBuffer() throws {
        let needed = Double(bufferBytes) + 16 * 1_048_576
        if let room = addressSpaceHeadroom, room < needed {
            let mib = { (bytes: Double) in Int((bytes / 1_048_576).rounded(.up)) }
            var limit = rlimit()
            _ = getrlimit(Int32(RLIMIT_AS.rawValue), &limit)
            throw BLASKernelError(
                key: "ulimit -v",
                "the address-space limit leaves \(mib(room)) MiB, and OpenBLAS needs \(mib(needed)) MiB for its work buffer and start-up; raise the limit to at least \((Int(limit.rlim_cur / 1024) + 1024 * mib(needed - room))) KiB"
            )
        }
        useOneThread()
        let a = Matrix(rows: 128, cols: 128, storage: [Double](repeating: 1, count: 128 * 128))
        var c = Matrix(rows: 128, cols: 128)
        gemm(a, a, into: &c)
    }

    /// `C ← alpha · op(A) · op(B) + beta · C` (dgemm), all row-major.
    ///
    /// - Complexity: O(M N K) for `op(A)` of size M × K and `op(B)` of size K × N.
    package static func gemm(
        _ a: Matrix, transposeA: Bool = false,
        _ b: Matrix, transposeB: Bool = false,
        into c: inout Matrix, alpha: Double = 1, beta: Double = 0
    ) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb, "gemm inner dimensions differ: \(k) vs \(kb)")
        precondition(c.rows == m && c.cols == n, "gemm output is \(c.rows)×\(c.cols), expected \(m)×\(n)")
        guard m > 0, n > 0 else { return }
        useOneThread(work: m * n * k, threshold: 65536)
        if k == 0 {
            c.storage.withUnsafeMutableBufferPointer { cp in
                for i in cp.indices { cp[i] *= beta }
            }
            return
        }
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.storage.withUnsafeMutableBufferPointer { cp in
                    cblas_dgemm(
                        CblasRowMajor,
                        transposeA ? CblasTrans : CblasNoTrans,
                        transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha,
                        ap.baseAddress, Int32(max(a.cols, 1)),
                        bp.baseAddress, Int32(max(b.cols, 1)),
                        beta, cp.baseAddress, Int32(max(c.cols, 1)))
                }
            }
        }
    }

    /// `y ← alpha · A · x + beta · y` (dgemv, no transpose), row-major `A`.
    ///
    /// - Complexity: O(rows · cols).
    package static func gemv(_ a: Matrix, _ x: [Double], into y: inout [Double], alpha: Double = 1, beta: Double = 0) {
        precondition(x.count == a.cols, "gemv: x has \(x.count) entries, A has \(a.cols) columns")
        precondition(y.count == a.rows, "gemv: y has \(y.count) entries, A has \(a.rows) rows")
        guard a.rows > 0, a.cols > 0 else {
            for i in y.indices { y[i] *= beta }
            return
        }
        useOneThread(work: a.rows * a.cols, threshold: 2048)
        a.storage.withUnsafeBufferPointer { ap in
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(a.rows), Int32(a.cols), alpha,
                        ap.baseAddress, Int32(a.cols), xp.baseAddress, 1, beta, yp.baseAddress, 1)
                }
            }
        }
    }

    /// Rank-one update `A ← A + alpha · x yᵀ` (dger), row-major `A`.
    ///
    /// - Complexity: O(rows · cols).
    package static func ger(_ x: [Double], _ y: [Double], into a: inout Matrix, alpha: Double = 1) {
        precondition(
            x.count == a.rows && y.count == a.cols, "ger: outer product \(x.count)×\(y.count) into \(a.rows)×\(a.cols)")
        guard a.rows > 0, a.cols > 0 else { return }
        useOneThread(work: a.rows * a.cols, threshold: 2048)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                a.storage.withUnsafeMutableBufferPointer { ap in
                    cblas_dger(
                        CblasRowMajor, Int32(a.rows), Int32(a.cols), alpha,
                        xp.baseAddress, 1, yp.baseAddress, 1, ap.baseAddress, Int32(a.cols))
                }
            }
        }
    }

    /// Dot product `⟨x, y⟩` (ddot).
    package static func dot(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "dot: lengths differ: \(x.count) vs \(y.count)")
        useOneThread(work: x.count, threshold: 2048)
        return x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                cblas_ddot(Int32(x.count), xp.baseAddress, 1, yp.baseAddress, 1)
            }
        }
    }
}
