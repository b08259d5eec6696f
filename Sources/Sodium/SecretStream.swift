import CSodium

/// libsodium's `crypto_secretstream_xchacha20poly1305`: a sequence of messages sealed under one
/// key, each authenticated with its position, so messages cannot be dropped, reordered or
/// truncated without the reader noticing (the last one carries the `final` tag).
///
/// Used for backups (whole data folders sealed under a passphrase-derived key).
public enum SecretStream {
    public static let keyBytes = Int(crypto_secretstream_xchacha20poly1305_KEYBYTES)
    public static let headerBytes = Int(crypto_secretstream_xchacha20poly1305_HEADERBYTES)
    /// What sealing adds to each message.
    public static let overheadBytes = Int(crypto_secretstream_xchacha20poly1305_ABYTES)

    /// Seals messages in order. `header` goes first in the output; each `seal` returns one
    /// message's ciphertext.
    public struct Sealer: ~Copyable {
        private var state = crypto_secretstream_xchacha20poly1305_state()
        public private(set) var header = [UInt8](repeating: 0, count: SecretStream.headerBytes)

        /// Starts a stream under a 32-byte key.
        public init(key: [UInt8]) throws(SecretStreamError) {
            Sodium.ready()
            guard key.count == SecretStream.keyBytes else { throw .badKey }
            let rc = crypto_secretstream_xchacha20poly1305_init_push(&state, &header, key)
            guard rc == 0 else { throw .badKey }
        }

        /// Seals the next message; `final` marks the end of the stream.
        public mutating func seal(_ message: [UInt8], final: Bool = false) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: message.count + SecretStream.overheadBytes)
            let tag = UInt8(final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
            _ = message.withUnsafeBufferPointer { m in
                crypto_secretstream_xchacha20poly1305_push(&state, &out, nil, m.baseAddress, UInt64(m.count), nil, 0, tag)
            }
            return out
        }
    }

    /// Opens messages in the order they were sealed.
    public struct Opener: ~Copyable {
        private var state = crypto_secretstream_xchacha20poly1305_state()

        /// Starts reading a stream whose header is `header`, under `key`.
        public init(key: [UInt8], header: [UInt8]) throws(SecretStreamError) {
            Sodium.ready()
            guard key.count == SecretStream.keyBytes, header.count == SecretStream.headerBytes else { throw .badKey }
            guard crypto_secretstream_xchacha20poly1305_init_pull(&state, header, key) == 0 else { throw .badHeader }
        }

        /// The next message and whether it was the last; throws when it was altered, is out of
        /// place, or the key is wrong.
        public mutating func open(_ sealed: [UInt8]) throws(SecretStreamError) -> (message: [UInt8], final: Bool) {
            guard sealed.count >= SecretStream.overheadBytes else { throw .doesNotOpen }
            var out = [UInt8](repeating: 0, count: sealed.count - SecretStream.overheadBytes)
            var tag: UInt8 = 0
            let rc = sealed.withUnsafeBufferPointer { c in
                crypto_secretstream_xchacha20poly1305_pull(&state, &out, nil, &tag, c.baseAddress, UInt64(c.count), nil, 0)
            }
            guard rc == 0 else { throw .doesNotOpen }
            return (out, tag == UInt8(crypto_secretstream_xchacha20poly1305_TAG_FINAL))
        }
    }
}

public enum SecretStreamError: Error, Equatable, CustomStringConvertible {
    case badKey
    case badHeader
    case doesNotOpen

    public var description: String {
        switch self {
        case .badKey: "a secret stream needs a 32-byte key"
        case .badHeader: "the stream's header is damaged"
        case .doesNotOpen: "a message does not open: a wrong passphrase, or the bytes were altered, reordered or cut"
        }
    }
}

extension PasswordHash {
    /// A `count`-byte key from `passphrase` and a 16-byte `salt` (Argon2id v1.3, `crypto_pwhash`).
    /// Throws when the salt has the wrong size or the memory cannot be had.
    public static func deriveKey(_ passphrase: String, salt: [UInt8], count: Int = 32, cost: Cost) throws(PasswordHashError) -> [UInt8] {
        Sodium.ready()
        let bytes = Array(passphrase.utf8)
        guard bytes.count <= maxPasswordBytes else { throw .tooLong(bytes.count) }
        guard salt.count == Int(crypto_pwhash_SALTBYTES) else { throw .badSalt(salt.count) }
        var key = [UInt8](repeating: 0, count: count)
        let text = bytes.map { CChar(bitPattern: $0) } + [0]
        let rc = text.withUnsafeBufferPointer { p in
            crypto_pwhash(&key, UInt64(count), p.baseAddress!, UInt64(bytes.count), salt, cost.operations, cost.memoryBytes,
                          crypto_pwhash_ALG_ARGON2ID13)
        }
        guard rc == 0 else { throw .outOfMemory }
        return key
    }

    /// The salt size `deriveKey` takes.
    public static let saltBytes = Int(crypto_pwhash_SALTBYTES)
}
