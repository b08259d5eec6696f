#if canImport(Glibc)
import Glibc
#endif

/// How the node asks glibc's allocator to keep freed memory (called once at start, before any
/// link opens).
///
/// By default glibc returns the top of the heap to the kernel whenever more than 128 KiB lies
/// free there, and serves blocks of 128 KiB and more by `mmap`. A link moving 60 KiB messages
/// allocates and frees a few such buffers per message, so every message faulted fresh, zeroed
/// pages in: measured on this machine, encoding one 60 KB message took 101 µs, 89 of them in page
/// faults, and the encode-seal-open-decode pipeline 279 µs against 121 µs with the pages kept.
/// Keeping up to 32 MiB at the top of each heap and serving blocks below 4 MiB (a vault chunk, a
/// full link message) from the heap bounds what the process holds on to and removes the faults.
public enum MemoryTuning {
    /// Free bytes at the top of a heap that glibc keeps instead of returning them.
    public static let trimThreshold: Int32 = 32 << 20
    /// Blocks at least this large are mapped on their own (and unmapped when freed).
    public static let mmapThreshold: Int32 = 4 << 20

    /// Applies both settings; returns false where the allocator is not glibc's or refused.
    @discardableResult
    public static func apply() -> Bool {
        #if canImport(Glibc)
        // `mallopt` lives in <malloc.h>, which Swift's Glibc module leaves out: look it up.
        // The option numbers are glibc's (malloc.h: M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        return mallopt(-1, trimThreshold) == 1 && mallopt(-3, mmapThreshold) == 1
        #else
        return false
        #endif
    }
}
