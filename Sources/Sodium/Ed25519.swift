import CSodium
import Foundation

/// An Ed25519 public key (32 bytes): verifies signatures made by its key pair.
public struct Ed25519PublicKey: Hashable, Sendable {
    public static let byteCount = Int(crypto_sign_PUBLICKEYBYTES)
    public let bytes: [UInt8]

    /// Wraps 32 bytes. Fails when the length is wrong; whether the point is on the curve is
    /// checked by `isValidSignature`, which rejects keys libsodium cannot use.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature<M: ContiguousBytes>(_ signature: [UInt8], for message: M) -> Bool {
        Sodium.ready()
        guard signature.count == Ed25519KeyPair.signatureByteCount else { return false }
        return message.withUnsafeBytes { m in
            crypto_sign_verify_detached(signature, m.bindMemory(to: UInt8.self).baseAddress,
                                        UInt64(m.count), bytes) == 0
        }
    }

    /// The X25519 public key of the same key pair (libsodium's birational map), for
    /// sealing data to a node that published only its Ed25519 identity.
    public var x25519: [UInt8]? {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: Int(crypto_scalarmult_curve25519_BYTES))
        return crypto_sign_ed25519_pk_to_curve25519(&out, bytes) == 0 ? out : nil
    }
}

/// An Ed25519 key pair. The secret is the 32-byte seed; libsodium's 64-byte secret key is
/// derived from it on demand and never stored.
public struct Ed25519KeyPair: Sendable {
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)
    public static let signatureByteCount = Int(crypto_sign_BYTES)

    public let publicKey: Ed25519PublicKey
    /// The secret seed. Treat as a password: never log it.
    public let seed: [UInt8]
    private let secretKey: [UInt8]

    /// Recreates the key pair from its seed. Fails when the seed is not 32 bytes.
    public init?(seed: [UInt8]) {
        guard seed.count == Self.seedByteCount else { return nil }
        Sodium.ready()
        var pk = [UInt8](repeating: 0, count: Ed25519PublicKey.byteCount)
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        guard crypto_sign_seed_keypair(&pk, &sk, seed) == 0, let key = Ed25519PublicKey(bytes: pk) else {
            return nil
        }
        self.publicKey = key
        self.seed = seed
        self.secretKey = sk
    }

    /// A fresh key pair from the operating system's CSPRNG.
    public static func generate() -> Ed25519KeyPair {
        Ed25519KeyPair(seed: Sodium.randomBytes(count: seedByteCount))!
    }

    /// A key pair drawn from a caller's generator: for simulations and tests, where every
    /// key must follow from one seed. Never for real identities.
    public static func generate<R: RandomNumberGenerator>(using rng: inout R) -> Ed25519KeyPair {
        var seed = [UInt8](repeating: 0, count: seedByteCount)
        for i in seed.indices { seed[i] = UInt8.random(in: 0...255, using: &rng) }
        return Ed25519KeyPair(seed: seed)!
    }

    /// Signs `message` (detached signature, 64 bytes). Deterministic: the same message gives
    /// the same signature.
    public func sign<M: ContiguousBytes>(_ message: M) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: Self.signatureByteCount)
        message.withUnsafeBytes { m in
            _ = crypto_sign_detached(&sig, nil, m.bindMemory(to: UInt8.self).baseAddress, UInt64(m.count), secretKey)
        }
        return sig
    }

    /// The X25519 secret key of the same key pair, for opening data sealed to `publicKey.x25519`.
    public var x25519SecretKey: [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(crypto_scalarmult_curve25519_BYTES))
        _ = crypto_sign_ed25519_sk_to_curve25519(&out, secretKey)
        return out
    }
}
