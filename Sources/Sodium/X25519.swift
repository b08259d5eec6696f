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

    /// Encrypts the first `count` bytes of `buffer` where they lie and writes the tag right
    /// after them (`buffer` holds at least `count + tagByteCount` bytes). libsodium allows the
    /// ciphertext to overwrite the plaintext; a link seals straight into its send buffer so.
    public static func sealInPlace(_ buffer: UnsafeMutableRawBufferPointer, count: Int, key: [UInt8], nonce: [UInt8],
                                   ad: [UInt8] = []) {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount && buffer.count >= count + tagByteCount)
        Sodium.ready()
        let bytes = buffer.bindMemory(to: UInt8.self).baseAddress!
        var written: UInt64 = 0
        _ = crypto_aead_chacha20poly1305_ietf_encrypt(bytes, &written, bytes, UInt64(count), ad, UInt64(ad.count), nil, nonce, key)
    }

    /// Decrypts and authenticates; nil when the tag does not verify.
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
        ciphertext.withUnsafeBytes { open($0, key: key, nonce: nonce, ad: ad) }
    }

    /// Decrypts bytes where they lie (a receive buffer), into a new array.
    public static func open(_ ciphertext: UnsafeRawBufferPointer, key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
        guard key.count == keyByteCount, nonce.count == nonceByteCount, ciphertext.count >= tagByteCount else { return nil }
        Sodium.ready()
        // Written by libsodium in full (or discarded): no zero-fill first.
        var rc: Int32 = -1
        let out = [UInt8](unsafeUninitializedCapacity: ciphertext.count - tagByteCount) { buffer, initialized in
            var written: UInt64 = 0
            rc = crypto_aead_chacha20poly1305_ietf_decrypt(buffer.baseAddress, &written, nil,
                                                           ciphertext.bindMemory(to: UInt8.self).baseAddress!,
                                                           UInt64(ciphertext.count), ad, UInt64(ad.count), nonce, key)
            initialized = rc == 0 ? Int(written) : 0
        }
        return rc == 0 ? out : nil
    }
}
