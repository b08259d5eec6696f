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

/// ChaCha20-Poly1305 in its IETF form (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag.
public enum ChaChaPoly {
    public static let keyByteCount = Int(crypto_aead_chacha20poly1305_ietf_KEYBYTES)
    public static let nonceByteCount = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
    public static let tagByteCount = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)

    /// Encrypts `plaintext` and appends the tag.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8] {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount)
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var written: UInt64 = 0
        _ = crypto_aead_chacha20poly1305_ietf_encrypt(&out, &written, plaintext, UInt64(plaintext.count),
                                                      ad, UInt64(ad.count), nil, nonce, key)
        return out
    }

    /// Decrypts and authenticates; nil when the tag does not verify.
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
        ciphertext.withUnsafeBytes { open($0, key: key, nonce: nonce, ad: ad) }
    }

    /// Decrypts bytes where they lie (a receive buffer), into a new array.
    public static func open(_ ciphertext: UnsafeRawBufferPointer, key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
        guard key.count == keyByteCount, nonce.count == nonceByteCount, ciphertext.count >= tagByteCount else { return nil }
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        var written: UInt64 = 0
        let rc = crypto_aead_chacha20poly1305_ietf_decrypt(&out, &written, nil,
                                                           ciphertext.bindMemory(to: UInt8.self).baseAddress!,
                                                           UInt64(ciphertext.count), ad, UInt64(ad.count), nonce, key)
        return rc == 0 ? out : nil
    }
}
