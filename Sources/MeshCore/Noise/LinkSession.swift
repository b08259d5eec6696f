import Sodium
import Wire

/// One TCP link's security as a sans-IO state machine (PROTOCOL.md section 9): the Noise
/// handshake with the identity proof in its payload, then transport messages, split into
/// fragments small enough for Noise and reassembled on the other side.
///
/// Rules it keeps:
/// - nothing but handshake messages is accepted before the handshake completes, and nothing
///   is sent; a failure of any kind ends the session (the caller closes the link);
/// - the peer's `LinkHello` must be signed by its identity over the very static key the
///   handshake authenticated, else the link is refused;
/// - a message reassembled from fragments may not exceed `maxMessageBytes`.
public struct LinkSession: Sendable {
    public static let prologue = Array("elohim/mesh/v1".utf8)
    /// Largest Noise message (Noise specification, section 3).
    public static let maxNoiseMessage = 65535
    /// Largest application message (one envelope) after reassembly, in bytes (1 MiB).
    public static let maxMessageBytes = 1 << 20
    static let fragmentPayload = maxNoiseMessage - ChaChaPoly.tagByteCount - 1

    enum PatternByte: UInt8 {
        case xx = 1
        case ik = 2
    }

    public enum Step: Sendable, Equatable {
        /// Send these handshake frames; the handshake goes on.
        case reply([UInt8])
        /// The handshake completed with `peer`; send `reply` first when present.
        case established(peer: LinkHello, reply: [UInt8]?)
        /// Complete messages (envelopes) from the peer.
        case messages([[UInt8]])
    }

    public let isInitiator: Bool
    public private(set) var peer: LinkHello?
    private var handshake: NoiseHandshake?
    private var sealer: LinkSealer?
    private var opener: LinkOpener?
    private let hello: LinkHello
    private let noiseStatic: NoiseKeyPair
    private let ephemeral: [UInt8]
    public private(set) var datagramKeys: (send: [UInt8], receive: [UInt8])?

    /// The initiator side. `knownResponderStatic` selects IK (the peer was met before); nil, XX.
    public init(initiatorWith hello: LinkHello, noiseStatic: NoiseKeyPair, ephemeralPrivateKey: [UInt8],
                knownResponderStatic: [UInt8]?) throws(LinkError) {
        isInitiator = true
        self.hello = hello
        self.noiseStatic = noiseStatic
        ephemeral = ephemeralPrivateKey
        do {
            handshake = try NoiseHandshake(pattern: knownResponderStatic == nil ? .xx : .ik, initiator: true,
                                           prologue: Self.prologue, staticKey: noiseStatic,
                                           ephemeralPrivateKey: ephemeralPrivateKey, remoteStatic: knownResponderStatic)
        } catch { throw .noise(error) }
    }

    /// The responder side; the pattern is read from the first frame.
    public init(responderWith hello: LinkHello, noiseStatic: NoiseKeyPair, ephemeralPrivateKey: [UInt8]) {
        isInitiator = false
        self.hello = hello
        self.noiseStatic = noiseStatic
        ephemeral = ephemeralPrivateKey
    }

    public var isEstablished: Bool { sealer != nil }

    /// The peer's Noise static key, once the handshake authenticated it (kept to use IK next time).
    public var remoteStatic: [UInt8]? { handshake?.remoteStatic }

    /// The two directions of an established link, to be driven by separate tasks.
    public var halves: (sealer: LinkSealer, opener: LinkOpener)? {
        guard let sealer, let opener else { return nil }
        return (sealer, opener)
    }

    /// The pattern this session runs (nil for a responder before the first frame).
    public var pattern: NoisePattern? { handshake?.pattern }

    /// The Noise handshake hash once established: unique to this link, the same on both ends,
    /// so it serves as a channel binding (Noise specification section 11.2), e.g. for pairing.
    public var channelBinding: [UInt8]? { isEstablished ? handshake?.handshakeHash : nil }

    /// The initiator's first frame: a pattern byte, then the first handshake message (which in
    /// IK already carries this node's hello).
    public mutating func firstFrame() throws(LinkError) -> [UInt8] {
        guard isInitiator, var hs = handshake else { throw .notExpected("first frame") }
        let payload = hs.pattern == .ik ? hello.serialized() : []
        let message: [UInt8]
        do { message = try hs.writeMessage(payload) } catch { throw .noise(error) }
        handshake = hs
        return [hs.pattern == .ik ? PatternByte.ik.rawValue : PatternByte.xx.rawValue] + message
    }

    /// Takes in one frame from the peer.
    public mutating func receive(_ frame: [UInt8]) throws(LinkError) -> Step {
        if isEstablished { return .messages(try open(frame)) }
        if handshake == nil {
            // The responder's first frame names the pattern.
            guard let first = frame.first, let byte = PatternByte(rawValue: first) else {
                throw .unknownPattern(frame.first)
            }
            do {
                handshake = try NoiseHandshake(pattern: byte == .ik ? .ik : .xx, initiator: false, prologue: Self.prologue,
                                               staticKey: noiseStatic, ephemeralPrivateKey: ephemeral)
            } catch { throw .noise(error) }
            return try advance(Array(frame.dropFirst()))
        }
        return try advance(frame)
    }

    private mutating func advance(_ message: [UInt8]) throws(LinkError) -> Step {
        guard var hs = handshake else { throw .notExpected("handshake message") }
        let payload: [UInt8]
        do { payload = try hs.readMessage(message) } catch { throw .noise(error) }
        if !payload.isEmpty {
            let theirs: LinkHello
            do { theirs = try LinkHello(serialized: payload) } catch { throw .badHello("\(error)") }
            guard let rs = hs.remoteStatic, theirs.binds(noiseStatic: rs) else {
                throw .badHello("the identity's signature does not cover the handshake's static key")
            }
            peer = theirs
        }
        var reply: [UInt8]?
        if !hs.isComplete && hs.isMyTurn {
            // Our hello goes in the message that carries our static key.
            let carriesStatic = hs.pattern == .xx ? true : !isInitiator
            do { reply = try hs.writeMessage(carriesStatic ? hello.serialized() : []) } catch { throw .noise(error) }
        }
        handshake = hs
        guard hs.isComplete else { return .reply(reply ?? []) }
        guard let peer else { throw .badHello("the peer sent no identity") }
        let (send, receive) = hs.split()
        sealer = LinkSealer(cipher: send)
        opener = LinkOpener(cipher: receive)
        let h = hs.handshakeHash
        let i2r = BLAKE2b.hash(Array("elohim/udp/i2r".utf8), outputLength: 32, key: h)
        let r2i = BLAKE2b.hash(Array("elohim/udp/r2i".utf8), outputLength: 32, key: h)
        datagramKeys = isInitiator ? (i2r, r2i) : (r2i, i2r)
        return .established(peer: peer, reply: reply)
    }

    /// Encrypts one message (an envelope) into one or more frames.
    public mutating func seal(_ message: [UInt8]) throws(LinkError) -> [[UInt8]] {
        guard var sealer else { throw .notExpected("message before the handshake completed") }
        defer { self.sealer = sealer }
        return try sealer.seal(message)
    }

    private mutating func open(_ frame: [UInt8]) throws(LinkError) -> [[UInt8]] {
        guard var opener else { throw .notExpected("message") }
        defer { self.opener = opener }
        return try opener.open(frame)
    }
}

/// The sending half of an established link: splits a message into fragments and encrypts them.
public struct LinkSealer: Sendable {
    var cipher: NoiseCipherState

    /// The frames of `message`, each a new array.
    public mutating func seal(_ message: [UInt8]) throws(LinkError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        try seal(message) { count, fill in
            frames.append([UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                fill(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            })
        }
        return frames
    }

    /// Seals `message` straight into buffers the caller owns (a link's send buffers): for each
    /// frame, `frame` gets its byte count and a `fill` that writes exactly that many bytes into
    /// the memory it is given: the fragment and its flag, encrypted, then the tag. The last
    /// fragment (for most messages the only one) is sealed from the message itself, its flag
    /// appended to the array (free when the array has a byte to spare, as
    /// `MeshMessage.serialized()` leaves); earlier fragments are copied out with their flag and
    /// sealed in place.
    public mutating func seal(_ message: consuming [UInt8],
                              frames frame: (_ count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> Void) throws(LinkError) {
        guard message.count <= LinkSession.maxMessageBytes else { throw .messageTooLarge(message.count) }
        guard cipher.hasKey else { throw .noise(.missingKey("seal")) }
        guard cipher.nonce < UInt64.max - UInt64(message.count / LinkSession.fragmentPayload + 1) else {
            throw .noise(.nonceExhausted)
        }
        let length = message.count
        var plain = message
        plain.append(0)  // the last fragment's flag: the reader drops it without moving the bytes
        var offset = 0
        repeat {
            let end = min(offset + LinkSession.fragmentPayload, length)
            let last = end == length
            frame(end - offset + 1 + ChaChaPoly.tagByteCount) { out in
                plain.withUnsafeBytes { source in
                    // Key and nonce were checked above; were this ever to fail, stop rather than
                    // send what the buffer holds.
                    do {
                        if last {
                            try cipher.encrypt(UnsafeRawBufferPointer(rebasing: source[offset...]), into: out)
                        } else {
                            out.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<end]))
                            out[end - offset] = 1
                            try cipher.encryptInPlace(out, count: end - offset + 1)
                        }
                    } catch {
                        preconditionFailure("sealing failed: \(error)")
                    }
                }
            }
            offset = end
        } while offset < length
    }
}

/// The receiving half: decrypts frames and reassembles messages, at most `maxMessageBytes` each.
public struct LinkOpener: Sendable {
    var cipher: NoiseCipherState
    private var reassembly: [UInt8] = []

    init(cipher: NoiseCipherState) {
        self.cipher = cipher
    }

    public mutating func open(_ frame: [UInt8]) throws(LinkError) -> [[UInt8]] {
        let result = frame.withUnsafeBytes { raw -> Result<[[UInt8]], LinkError> in
            do throws(LinkError) { return .success(try open(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Opens a frame in place (the transport passes its receive buffer: no copy).
    public mutating func open(_ frame: UnsafeRawBufferPointer) throws(LinkError) -> [[UInt8]] {
        var plaintext: [UInt8]
        do { plaintext = try cipher.decrypt(frame) } catch { throw .noise(error) }
        guard let flag = plaintext.popLast(), flag <= 1 else { throw .badFragment }
        guard reassembly.count + plaintext.count <= LinkSession.maxMessageBytes else {
            throw .messageTooLarge(reassembly.count + plaintext.count)
        }
        if flag == 1 {
            reassembly += plaintext
            return []
        }
        if reassembly.isEmpty { return [plaintext] }
        defer { reassembly = [] }
        return [reassembly + plaintext]
    }
}

/// Why a link's session ended. The transport logs it (rate-limited) and closes the link.
public enum LinkError: Error, Equatable, CustomStringConvertible {
    case noise(NoiseError)
    case unknownPattern(UInt8?)
    case badHello(String)
    case badFragment
    case messageTooLarge(Int)
    case notExpected(String)

    public var description: String {
        switch self {
        case let .noise(e): e.description
        case let .unknownPattern(b): "first frame names no known handshake pattern (\(b.map { "byte \($0)" } ?? "empty frame"))"
        case let .badHello(why): "the peer's identity proof is invalid: \(why)"
        case .badFragment: "a transport message has an invalid fragment flag"
        case let .messageTooLarge(n): "a message of \(n) bytes exceeds the limit of \(LinkSession.maxMessageBytes)"
        case let .notExpected(what): "\(what) was not expected here"
        }
    }
}
