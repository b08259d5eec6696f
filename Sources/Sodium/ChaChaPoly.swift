import CSodium
import Crypto
import Foundation

/// ChaCha20-Poly1305 in its IETF form (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag.
///
/// The one AEAD of Noise links and sealed datagrams, on two implementations of the same
/// algorithm, chosen by size: libsodium's for messages under `boringSSLFrom` bytes, BoringSSL's
/// fused AVX2 seal and open (through swift-crypto's `Crypto.ChaChaPoly`) for larger ones.
/// Measured on this project's machines: BoringSSL moves 60 KB messages 1.3–1.7× as fast as
/// libsodium 1.0.18's two passes (ChaCha20, then Poly1305), copies included
/// (`Benchmarks/LinkProfile`), but costs about 1.5 µs a call where libsodium costs 0.3 µs, so
/// small messages (probes, gossip of one op) stay with libsodium. The bytes are the same AEAD's
/// either way: the tests seal with each and open with the other.
public enum ChaChaPoly {
    public static let keyByteCount = Int(crypto_aead_chacha20poly1305_ietf_KEYBYTES)
    public static let nonceByteCount = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
    public static let tagByteCount = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)
    /// The plaintext size from which BoringSSL is faster, per-call cost included (the
    /// crossover measured at about 6.5 KB).
    public static let boringSSLFrom = 8 << 10

    /// Encrypts `plaintext` and appends the tag.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        plaintext.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { seal(source, into: $0, key: key, nonce: nonce, ad: ad) }
        }
        return out
    }

    /// Encrypts the first `count` bytes of `buffer` where they lie and writes the tag right
    /// after them (`buffer` holds at least `count + tagByteCount` bytes).
    public static func sealInPlace(_ buffer: UnsafeMutableRawBufferPointer, count: Int, key: [UInt8], nonce: [UInt8],
                                   ad: [UInt8] = []) {
        seal(UnsafeRawBufferPointer(rebasing: buffer[..<count]), into: buffer, key: key, nonce: nonce, ad: ad)
    }

    /// Encrypts `plaintext` into the start of `out` (at least `plaintext.count + tagByteCount`
    /// bytes), the tag after the ciphertext: a link seals straight into its send buffer so.
    /// `plaintext` may be exactly the start of `out` (sealing in place); it must not overlap
    /// `out` otherwise.
    public static func seal(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, key: [UInt8],
                            nonce: [UInt8], ad: [UInt8] = []) {
        precondition(key.count == keyByteCount && nonce.count == nonceByteCount && out.count >= plaintext.count + tagByteCount)
        guard plaintext.count >= boringSSLFrom else {
            return Libsodium.seal(plaintext, into: out, key: key, nonce: nonce, ad: ad)
        }
        // Only a key or nonce of the wrong size makes BoringSSL refuse, and both were checked.
        // BoringSSL reads the whole plaintext into the sealed box before `out` is written.
        let box = try! Crypto.ChaChaPoly.seal(plaintext, using: SymmetricKey(data: key),
                                              nonce: try! Crypto.ChaChaPoly.Nonce(data: nonce), authenticating: ad)
        box.ciphertext.copyBytes(to: out)
        box.tag.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: out[plaintext.count...]))
    }

    /// Decrypts and authenticates; nil when the tag does not verify.
    public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
        ciphertext.withUnsafeBytes { open($0, key: key, nonce: nonce, ad: ad) }
    }

    /// Decrypts bytes where they lie (a receive buffer), into a new array; nil when the tag
    /// does not verify or the input is shorter than a tag.
    public static func open(_ ciphertext: UnsafeRawBufferPointer, key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
        guard key.count == keyByteCount, nonce.count == nonceByteCount, ciphertext.count >= tagByteCount else { return nil }
        let body = ciphertext.count - tagByteCount
        guard body >= boringSSLFrom else { return Libsodium.open(ciphertext, key: key, nonce: nonce, ad: ad) }
        guard let box = try? Crypto.ChaChaPoly.SealedBox(nonce: Crypto.ChaChaPoly.Nonce(data: nonce),
                                                        ciphertext: UnsafeRawBufferPointer(rebasing: ciphertext[..<body]),
                                                        tag: UnsafeRawBufferPointer(rebasing: ciphertext[body...])),
              let plaintext = try? Crypto.ChaChaPoly.open(box, using: SymmetricKey(data: key), authenticating: ad)
        else { return nil }
        return [UInt8](plaintext)
    }

    /// libsodium's ChaCha20-Poly1305 (`crypto_aead_chacha20poly1305_ietf_*`): what messages under
    /// `boringSSLFrom` use, the reference the tests hold BoringSSL to, and the baseline the
    /// transport benchmark measures against.
    public enum Libsodium {
        public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
            plaintext.withUnsafeBytes { source in
                out.withUnsafeMutableBytes { seal(source, into: $0, key: key, nonce: nonce, ad: ad) }
            }
            return out
        }

        /// As `ChaChaPoly.seal(_:into:key:nonce:ad:)`; libsodium allows the ciphertext to
        /// overwrite the plaintext where it lies.
        public static func seal(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, key: [UInt8],
                                nonce: [UInt8], ad: [UInt8] = []) {
            precondition(key.count == keyByteCount && nonce.count == nonceByteCount && out.count >= plaintext.count + tagByteCount)
            Sodium.ready()
            // `out` holds at least a tag, so it has an address; an empty plaintext may not, and
            // libsodium reads none of it then.
            let target = out.bindMemory(to: UInt8.self).baseAddress!
            let source = plaintext.bindMemory(to: UInt8.self).baseAddress ?? UnsafePointer(target)
            var written: UInt64 = 0
            _ = crypto_aead_chacha20poly1305_ietf_encrypt(target, &written, source, UInt64(plaintext.count),
                                                          ad, UInt64(ad.count), nil, nonce, key)
        }

        /// Nil when the tag does not verify.
        public static func open(_ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], ad: [UInt8] = []) -> [UInt8]? {
            ciphertext.withUnsafeBytes { open($0, key: key, nonce: nonce, ad: ad) }
        }

        /// Decrypts bytes where they lie, into a new array; nil when the tag does not verify.
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
}
