import CSodium

/// Entry point of the thin Swift layer over libsodium.
///
/// Every public function of this module calls `Sodium.ready()` first, so callers never
/// have to remember `sodium_init()`. libsodium documents `sodium_init` as safe to call more
/// than once and from several threads; a Swift global is initialised exactly once anyway.
public enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    /// Makes sure libsodium is initialised. Traps only if libsodium itself cannot start
    /// (no entropy source), which no caller could recover from.
    @inline(__always)
    static func ready() {
        precondition(initialised, "libsodium failed to initialise (sodium_init < 0)")
    }

    /// The libsodium version string, e.g. "1.0.18".
    public static var version: String {
        ready()
        return String(cString: sodium_version_string())
    }

    /// Fills a new array with `count` bytes from the operating system's CSPRNG.
    ///
    /// For actor shells and key generation only: protocol cores take their randomness as a
    /// generator parameter (DESIGN.md section 1) and never call this.
    public static func randomBytes(count: Int) -> [UInt8] {
        ready()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return out
    }

    /// Compares two byte strings in time that depends only on their length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        ready()
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }

    /// Overwrites `bytes` with zeros in a way the optimiser may not remove.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { if let p = $0.baseAddress { sodium_memzero(p, $0.count) } }
    }
}
