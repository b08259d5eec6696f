import Sodium

/// The handshake patterns the mesh uses (Noise specification, section 7.5).
public enum NoisePattern: String, Sendable, CaseIterable {
    /// First contact: both static keys travel, encrypted.
    case xx = "XX"
    /// Known peers: the initiator knows the responder's static key in advance.
    case ik = "IK"

    enum Token { case e, s, ee, es, se, ss }

    var preMessageResponderStatic: Bool { self == .ik }

    var messages: [[Token]] {
        switch self {
        case .xx: [[.e], [.e, .ee, .s, .es], [.s, .se]]
        case .ik: [[.e, .es, .s, .ss], [.e, .ee, .se]]
        }
    }

    public var protocolName: String { "Noise_\(rawValue)_25519_ChaChaPoly_BLAKE2b" }
}

/// An X25519 key pair for Noise.
public struct NoiseKeyPair: Sendable, Equatable {
    public let privateKey: [UInt8]
    public let publicKey: [UInt8]

    public init(privateKey: [UInt8]) {
        self.privateKey = privateKey
        self.publicKey = X25519.publicKey(privateKey: privateKey)
    }
}

/// A Noise handshake as a sans-IO state machine: `writeMessage` and `readMessage` in turn, then
/// `split()` for the transport ciphers. Randomness comes in as the ephemeral key the caller
/// draws (tests inject the vectors' keys), so the machine itself is deterministic.
public struct NoiseHandshake: Sendable {
    public let pattern: NoisePattern
    public let isInitiator: Bool
    private var ck: [UInt8]
    private var h: [UInt8]
    private var cipher = NoiseCipherState()
    private let s: NoiseKeyPair?
    private let e: NoiseKeyPair
    public private(set) var remoteStatic: [UInt8]?
    private var remoteEphemeral: [UInt8]?
    private var step = 0

    /// - Parameters:
    ///   - staticKey: this side's static key pair.
    ///   - ephemeralPrivateKey: 32 random bytes the caller drew (or a vector's key).
    ///   - remoteStatic: IK initiators: the responder's static public key, known in advance.
    public init(pattern: NoisePattern, initiator: Bool, prologue: [UInt8], staticKey: NoiseKeyPair?,
                ephemeralPrivateKey: [UInt8], remoteStatic: [UInt8]? = nil) throws(NoiseError) {
        self.pattern = pattern
        isInitiator = initiator
        s = staticKey
        e = NoiseKeyPair(privateKey: ephemeralPrivateKey)
        self.remoteStatic = remoteStatic
        let name = Array(pattern.protocolName.utf8)
        h = name.count <= NoiseHash.hashLength ? name + [UInt8](repeating: 0, count: NoiseHash.hashLength - name.count)
                                               : NoiseHash.hash(name)
        ck = h
        mixHash(prologue)
        if pattern.preMessageResponderStatic {
            if initiator {
                guard let remoteStatic else { throw .missingKey("responder's static") }
                mixHash(remoteStatic)
            } else {
                guard let s else { throw .missingKey("responder's static") }
                mixHash(s.publicKey)
            }
        }
    }

    /// True when every message of the pattern has been written or read.
    public var isComplete: Bool { step == pattern.messages.count }

    /// True when it is this side's turn to write.
    public var isMyTurn: Bool { !isComplete && (step % 2 == 0) == isInitiator }

    /// The handshake hash: identical on both sides once complete; binds anything signed over it
    /// to this very handshake.
    public var handshakeHash: [UInt8] { h }

    /// Writes the next handshake message, carrying `payload` (encrypted once a key exists).
    public mutating func writeMessage(_ payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard isMyTurn else { throw .outOfTurn }
        var out: [UInt8] = []
        for token in pattern.messages[step] {
            switch token {
            case .e:
                out += e.publicKey
                mixHash(e.publicKey)
            case .s:
                guard let s else { throw .missingKey("static") }
                out += try encryptAndHash(s.publicKey)
            default:
                try mixKey(dh(token))
            }
        }
        out += try encryptAndHash(payload)
        step += 1
        return out
    }

    /// Reads the peer's next handshake message and returns its payload.
    public mutating func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isComplete, !isMyTurn else { throw .outOfTurn }
        var rest = message[...]
        for token in pattern.messages[step] {
            switch token {
            case .e:
                guard rest.count >= 32 else { throw .messageTooShort }
                remoteEphemeral = Array(rest.prefix(32))
                rest = rest.dropFirst(32)
                mixHash(remoteEphemeral!)
            case .s:
                let length = cipher.hasKey ? 32 + ChaChaPoly.tagByteCount : 32
                guard rest.count >= length else { throw .messageTooShort }
                remoteStatic = try decryptAndHash(Array(rest.prefix(length)))
                rest = rest.dropFirst(length)
            default:
                try mixKey(dh(token))
            }
        }
        let payload = try decryptAndHash(Array(rest))
        step += 1
        return payload
    }

    /// The two transport ciphers, for sending and for receiving. Only once complete.
    public func split() -> (send: NoiseCipherState, receive: NoiseCipherState) {
        precondition(isComplete, "split() before the handshake completed")
        let keys = NoiseHash.hkdf(ck, [], outputs: 2)
        let first = NoiseCipherState(key: Array(keys[0].prefix(32)))
        let second = NoiseCipherState(key: Array(keys[1].prefix(32)))
        return isInitiator ? (first, second) : (second, first)
    }

    // MARK: SymmetricState (section 5.2)

    private mutating func mixHash(_ data: [UInt8]) { h = NoiseHash.hash(h, data) }

    private mutating func mixKey(_ ikm: [UInt8]) throws(NoiseError) {
        let out = NoiseHash.hkdf(ck, ikm, outputs: 2)
        ck = out[0]
        cipher = NoiseCipherState(key: Array(out[1].prefix(32)))
    }

    private mutating func encryptAndHash(_ plaintext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext, ad: h)
        mixHash(ciphertext)
        return ciphertext
    }

    private mutating func decryptAndHash(_ ciphertext: [UInt8]) throws(NoiseError) -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext, ad: h)
        mixHash(ciphertext)
        return plaintext
    }

    private func dh(_ token: NoisePattern.Token) throws(NoiseError) -> [UInt8] {
        let (mine, theirs): (NoiseKeyPair?, [UInt8]?)
        switch (token, isInitiator) {
        case (.ee, _): (mine, theirs) = (e, remoteEphemeral)
        case (.es, true): (mine, theirs) = (e, remoteStatic)
        case (.es, false): (mine, theirs) = (s, remoteEphemeral)
        case (.se, true): (mine, theirs) = (s, remoteEphemeral)
        case (.se, false): (mine, theirs) = (e, remoteStatic)
        case (.ss, _): (mine, theirs) = (s, remoteStatic)
        default: (mine, theirs) = (nil, nil)
        }
        guard let mine, let theirs else { throw .missingKey("\(token)") }
        guard let shared = X25519.sharedSecret(privateKey: mine.privateKey, publicKey: theirs) else { throw .badPublicKey }
        return shared
    }
}
