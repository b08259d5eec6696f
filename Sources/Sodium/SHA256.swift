import CSodium
import Foundation

/// SHA-256 (FIPS 180-4) through libsodium's `crypto_hash_sha256`: the address of a sealed
/// vault chunk (PROTOCOL.md section 11), checked by every node that stores one.
public enum SHA256 {
    public static let byteCount = Int(crypto_hash_sha256_BYTES)

    /// The 32-byte digest of `bytes`.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> [UInt8] {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: byteCount)
        bytes.withUnsafeBytes { raw in
            _ = crypto_hash_sha256(&out, raw.bindMemory(to: UInt8.self).baseAddress, UInt64(raw.count))
        }
        return out
    }
}
