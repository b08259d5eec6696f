import Sodium
import Wire

/// A person's own keys (PROTOCOL.md section 13): Ed25519 to sign the ops they write, X25519 to
/// receive keys sealed to them. The person's ID is the node-style ID of the signing key, so the
/// team's rules treat a person exactly as they treat any other member key.
///
/// Rules it keeps: the private halves exist in clear only in memory, while the person is signed
/// in; on disk they are `SealedPersonKeys`, readable only with the person's password.
public struct PersonKeys: Sendable {
    public let signing: Ed25519KeyPair
    /// The X25519 private key (32 bytes). Treat as a password: never log it.
    public let boxPrivateKey: [UInt8]
    public let boxPublicKey: [UInt8]

    /// The person's ID: derived from the signing key like a node ID, with its check character.
    public var id: NodeID { NodeID(publicKey: signing.publicKey) }

    /// Fresh keys from the operating system's CSPRNG.
    public static func generate() -> PersonKeys {
        PersonKeys(secret: Sodium.randomBytes(count: 64))!
    }

    /// Keys from their 64 secret bytes: the Ed25519 seed, then the X25519 private key.
    init?(secret: [UInt8]) {
        guard secret.count == 64, let signing = Ed25519KeyPair(seed: Array(secret[0..<32])) else { return nil }
        self.signing = signing
        boxPrivateKey = Array(secret[32..<64])
        boxPublicKey = X25519.publicKey(privateKey: boxPrivateKey)
    }

    var secret: [UInt8] { signing.seed + boxPrivateKey }

    /// The keys sealed under `password`: a fresh salt, Argon2id at `cost`, ChaCha20-Poly1305
    /// with both public keys as associated data (a sealed blob cannot be paired with other
    /// public keys unnoticed).
    public func sealed(password: String, cost: PasswordHash.Cost) throws(PersonKeyError) -> SealedPersonKeys {
        let salt = Sodium.randomBytes(count: PasswordHash.saltBytes)
        let key: [UInt8]
        do { key = try PasswordHash.deriveKey(password, salt: salt, cost: cost) } catch { throw .derivation(error.description) }
        let nonce = Sodium.randomBytes(count: ChaChaPoly.nonceByteCount)
        let box = ChaChaPoly.seal(secret, key: key, nonce: nonce, ad: SealedPersonKeys.associatedData(signing.publicKey.bytes, boxPublicKey))
        return SealedPersonKeys(signingPublicKey: signing.publicKey, boxPublicKey: boxPublicKey, salt: salt, nonce: nonce,
                                box: box, operations: cost.operations, memoryBytes: cost.memoryBytes)
    }
}

/// A person's keys as stored: the public halves in clear, the private halves sealed under a key
/// that Argon2id derives from the person's password. A copied data folder without the password
/// can neither sign nor read as the person.
public struct SealedPersonKeys: Sendable, Equatable {
    public var signingPublicKey: Ed25519PublicKey
    public var boxPublicKey: [UInt8]
    public var salt: [UInt8]
    public var nonce: [UInt8]
    /// The 64 secret bytes and their tag.
    public var box: [UInt8]
    /// The Argon2id cost the key was derived at (kept, so a later default does not lock anyone out).
    public var operations: UInt64
    public var memoryBytes: Int

    public var person: NodeID { NodeID(publicKey: signingPublicKey) }

    /// The keys, when `password` is the one they were sealed under.
    public func open(password: String) throws(PersonKeyError) -> PersonKeys {
        let key: [UInt8]
        do { key = try PasswordHash.deriveKey(password, salt: salt, cost: PasswordHash.Cost(operations: operations, memoryBytes: memoryBytes)) }
        catch { throw .derivation(error.description) }
        guard let secret = ChaChaPoly.open(box, key: key, nonce: nonce, ad: Self.associatedData(signingPublicKey.bytes, boxPublicKey)),
              let keys = PersonKeys(secret: secret), keys.signing.publicKey == signingPublicKey, keys.boxPublicKey == boxPublicKey
        else { throw .wrongPassword }
        return keys
    }

    static func associatedData(_ signing: [UInt8], _ box: [UInt8]) -> [UInt8] {
        Array("elohim person keys v1".utf8) + signing + box
    }
}

/// Why a person's keys could not be made or opened.
public enum PersonKeyError: Error, Equatable, CustomStringConvertible {
    case derivation(String)
    /// The password does not open the sealed keys (or the stored keys were altered).
    case wrongPassword

    public var description: String {
        switch self {
        case let .derivation(why): "cannot derive the key that seals the person's keys: \(why)"
        case .wrongPassword: "the password does not open this person's keys (or the stored keys were altered)"
        }
    }
}
