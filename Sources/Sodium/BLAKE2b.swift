import CSodium
import Foundation

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`.
///
/// Output length is a parameter of BLAKE2b itself (it is mixed into the initial state), so a
/// 20-byte hash is not the first 20 bytes of a 32-byte hash. Lengths must lie in 16...64 bytes;
/// keys, when given, in 16...64 bytes (libsodium's limits).
///
/// A class because libsodium's state must be 64-byte aligned, which Swift cannot express for an
/// imported C struct: the state lives in memory this object allocates and frees.
public final class BLAKE2b {
    public static let minimumOutputLength = Int(crypto_generichash_BYTES_MIN)
    public static let maximumOutputLength = Int(crypto_generichash_BYTES_MAX)

    private let state: UnsafeMutableRawPointer
    private let outputLength: Int

    /// Starts an incremental hash.
    public init(outputLength: Int = 32, key: [UInt8] = []) {
        precondition((Self.minimumOutputLength...Self.maximumOutputLength).contains(outputLength),
                     "BLAKE2b output length \(outputLength) is outside 16...64")
        Sodium.ready()
        self.outputLength = outputLength
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        let rc = key.withUnsafeBufferPointer { k in
            crypto_generichash_init(OpaquePointer(state), k.isEmpty ? nil : k.baseAddress, k.count, outputLength)
        }
        precondition(rc == 0, "crypto_generichash_init rejected key length \(key.count)")
    }

    deinit {
        sodium_memzero(state, crypto_generichash_statebytes())
        state.deallocate()
    }

    /// Feeds more bytes.
    public func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { raw in
            _ = crypto_generichash_update(OpaquePointer(state), raw.bindMemory(to: UInt8.self).baseAddress, UInt64(raw.count))
        }
    }

    /// Finishes the hash. The object must not be updated afterwards.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputLength)
        _ = crypto_generichash_final(OpaquePointer(state), &out, outputLength)
        return out
    }

    /// One-shot hash of `bytes`.
    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes, outputLength: Int = 32, key: [UInt8] = []) -> [UInt8] {
        precondition((minimumOutputLength...maximumOutputLength).contains(outputLength),
                     "BLAKE2b output length \(outputLength) is outside 16...64")
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: outputLength)
        let rc = bytes.withUnsafeBytes { raw in
            key.withUnsafeBufferPointer { k in
                crypto_generichash(&out, outputLength, raw.bindMemory(to: UInt8.self).baseAddress, UInt64(raw.count),
                                   k.isEmpty ? nil : k.baseAddress, k.count)
            }
        }
        precondition(rc == 0, "crypto_generichash rejected key length \(key.count)")
        return out
    }
}
