import CSodium

/// X25519 Diffie-Hellman (RFC 7748) through libsodium's `crypto_scalarmult`.
public enum X25519 {
    public static let keyByteCount = Int(crypto_scalarmult_BYTES)

    /// The public key of a 32-byte private key.
    public static func publicKey(privateKey: [UInt8]) -> [UInt8] {
        precondition(privateKey.count == keyByteCount, "X25519 private keys are 32 bytes")
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: keyByteCount)
        _ = crypto_scalarmult_base(&out, privateKey)
        return out
    }

    /// The shared secret of `privateKey` and `publicKey`. Nil when the result is all zeros
    /// (the peer sent a low-order point), which libsodium refuses.
    public static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) -> [UInt8]? {
        guard privateKey.count == keyByteCount, publicKey.count == keyByteCount else { return nil }
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: keyByteCount)
        return crypto_scalarmult(&out, privateKey, publicKey) == 0 ? out : nil
    }
}
