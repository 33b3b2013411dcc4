import Foundation

/// How the command line asks the C allocator to keep large blocks for reuse.
///
/// A sweep row draws its test set (`n_test × d` doubles, 4.8 MB at `d = 600`) and frees it when the row ends; glibc
/// serves blocks above its mmap threshold (128 KiB at start, raised only as such blocks are freed) with fresh pages from
/// the kernel, and returns freed memory beyond its trim threshold, so every row faulted its test set's pages in again
/// (26 500 page faults in a 20-row Kou slice). With blocks up to 32 MiB taken from the heap and up to 64 MiB of free
/// memory kept at its top, the next row reuses the pages: 4 400 faults, and 7% less CPU for that slice (medians of five
/// interleaved runs, one worker). Peak memory does not grow: freed memory is reused, not added to.
enum LargeAllocations {
    /// glibc's `M_TRIM_THRESHOLD` and `M_MMAP_THRESHOLD` (`<malloc.h>`, which Swift's Glibc module does not import).
    private static let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)

    /// Sets the two thresholds through glibc's `mallopt`, looked up at run time (with another C library, nothing
    /// changes). Results do not depend on it.
    static func keepForReuse() {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
    }
}
