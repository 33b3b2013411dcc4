import Foundation

/// How the command line asks the C allocator to keep large blocks for reuse.
///
/// A sweep row draws its test set (`n_test × d` doubles, 4.8 MB at `d = 600`) and frees it when the row ends; glibc
/// serves blocks above its mmap threshold (128 KiB at start, raised only to the largest such block freed so far) with
/// fresh pages from the kernel, so a row whose test set is larger than every earlier one faulted its pages in afresh
/// (26 500 page faults in a one-worker slice of 20 Kou rows of ascending d). With blocks up to 32 MiB taken from the heap
/// and up to 64 MiB of free memory kept at its top, the next row reuses the pages: 4 400 faults. Rows of equal size
/// (the full Kou grid's order: ten replicates per d) mostly reused them already (20 rows: 8 970 → 4 260). A sweep's peak grows by 2–4 MiB (`kou2023` 67 → 69 MiB); a process
/// running several workloads (`bench`) keeps more, since each worker's heap keeps its freed blocks (104 → 127 MiB).
enum LargeAllocations {
    /// glibc's `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` (`<malloc.h>`, which Swift's Glibc module does not import).
    private static let trimThreshold: Int32 = -1
    private static let mmapThreshold: Int32 = -3

    /// Sets the two thresholds through glibc's `mallopt`, looked up at run time (with another C library, nothing
    /// changes). Results do not depend on it.
    static func keepForReuse() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
    }
}
