import Sodium

/// The hash functions of Noise_*_25519_ChaChaPoly_BLAKE2b (Noise specification, revision 34,
/// sections 4.3 and 5.1): BLAKE2b-512, HMAC over it with a 128-byte block, and HKDF.
///
/// libsodium 1.0.18 has no HKDF, and HMAC here is the ordinary construction over unkeyed
/// BLAKE2b, not BLAKE2b's own keyed mode; the cacophony vectors prove it byte for byte.
enum NoiseHash {
    static let hashLength = 64
    static let blockLength = 128

    static func hash(_ parts: [UInt8]...) -> [UInt8] {
        let h = BLAKE2b(outputLength: hashLength)
        for p in parts { h.update(p) }
        return h.finalize()
    }

    static func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var k = key.count > blockLength ? hash(key) : key
        k += [UInt8](repeating: 0, count: blockLength - k.count)
        let inner = hash(k.map { $0 ^ 0x36 }, data)
        return hash(k.map { $0 ^ 0x5C }, inner)
    }

    /// HKDF(chaining key, input key material) → two or three outputs of `hashLength` bytes.
    static func hkdf(_ chainingKey: [UInt8], _ ikm: [UInt8], outputs: Int) -> [[UInt8]] {
        let temp = hmac(key: chainingKey, ikm)
        var out: [[UInt8]] = []
        var previous: [UInt8] = []
        for i in 1...outputs {
            previous = hmac(key: temp, previous + [UInt8(i)])
            out.append(previous)
        }
        return out
    }
}

/// A Noise CipherState: a key and a 64-bit nonce counter (section 5.1). The nonce is 32 zero
/// bits then the counter little-endian, as ChaChaPoly requires.
public struct NoiseCipherState: Sendable {
    var key: [UInt8]?
    public private(set) var nonce: UInt64 = 0

    init(key: [UInt8]? = nil) {
        self.key = key
    }

    var hasKey: Bool { key != nil }

    private var nonceBytes: [UInt8] {
        [0, 0, 0, 0] + withUnsafeBytes(of: nonce.littleEndian) { Array($0) }
    }

    /// Encrypts with the next nonce (plaintext passes unchanged before a key is set).
    public mutating func encrypt(_ plaintext: [UInt8], ad: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard let key else { return plaintext }
        guard nonce < UInt64.max else { throw .nonceExhausted }
        defer { nonce += 1 }
        return ChaChaPoly.seal(plaintext, key: key, nonce: nonceBytes, ad: ad)
    }

    /// Encrypts the first `count` bytes of `buffer` in place with the next nonce, the tag
    /// after them. Needs a key (a link's transport phase).
    public mutating func encryptInPlace(_ buffer: UnsafeMutableRawBufferPointer, count: Int) throws(NoiseError) {
        try encrypt(UnsafeRawBufferPointer(rebasing: buffer[..<count]), into: buffer)
    }

    /// Encrypts `plaintext` into the start of `out` with the next nonce, the tag after it.
    /// Needs a key (a link's transport phase).
    public mutating func encrypt(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(NoiseError) {
        guard let key else { throw .missingKey("encrypt into a buffer") }
        guard nonce < UInt64.max else { throw .nonceExhausted }
        ChaChaPoly.seal(plaintext, into: out, key: key, nonce: nonceBytes)
        nonce += 1
    }

    /// Decrypts with the next nonce; a failure leaves the counter where it was.
    public mutating func decrypt(_ ciphertext: [UInt8], ad: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard key != nil else { return ciphertext }
        let result = ciphertext.withUnsafeBytes { raw -> Result<[UInt8], NoiseError> in
            do throws(NoiseError) { return .success(try decrypt(raw, ad: ad)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Decrypts bytes in place of a receive buffer.
    public mutating func decrypt(_ ciphertext: UnsafeRawBufferPointer, ad: [UInt8] = []) throws(NoiseError) -> [UInt8] {
        guard let key else { return Array(ciphertext) }
        guard nonce < UInt64.max else { throw .nonceExhausted }
        guard let plaintext = ChaChaPoly.open(ciphertext, key: key, nonce: nonceBytes, ad: ad) else {
            throw .decryptFailed
        }
        nonce += 1
        return plaintext
    }
}

/// Why a Noise operation failed. Any of these ends the handshake or the link.
public enum NoiseError: Error, Equatable, CustomStringConvertible {
    case decryptFailed
    case messageTooShort
    case badPublicKey
    case outOfTurn
    case nonceExhausted
    case missingKey(String)

    public var description: String {
        switch self {
        case .decryptFailed: "a Noise message did not authenticate"
        case .messageTooShort: "a Noise message is shorter than its pattern requires"
        case .badPublicKey: "a Noise public key gave an all-zero shared secret"
        case .outOfTurn: "a Noise message arrived out of turn"
        case .nonceExhausted: "the Noise nonce is exhausted"
        case let .missingKey(which): "the Noise pattern needs the \(which) key"
        }
    }
}
