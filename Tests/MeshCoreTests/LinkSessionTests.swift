import Sodium
import Testing
import Wire
@testable import MeshCore

@Suite struct LinkSessionTests {
    let idA = identity(1), idB = identity(2)
    let staticA = NoiseKeyPair(privateKey: [UInt8](repeating: 11, count: 32))
    let staticB = NoiseKeyPair(privateKey: [UInt8](repeating: 12, count: 32))

    func pair(ik: Bool) throws -> (LinkSession, LinkSession) {
        var a = try LinkSession(initiatorWith: LinkHello(identity: idA, noiseStatic: staticA.publicKey, listenPort: 7000),
                                noiseStatic: staticA, ephemeralPrivateKey: [UInt8](repeating: 21, count: 32),
                                knownResponderStatic: ik ? staticB.publicKey : nil)
        var b = LinkSession(responderWith: LinkHello(identity: idB, noiseStatic: staticB.publicKey, listenPort: 7001),
                            noiseStatic: staticB, ephemeralPrivateKey: [UInt8](repeating: 22, count: 32))
        // Run the handshake to completion.
        var toB: [[UInt8]] = [try a.firstFrame()], toA: [[UInt8]] = []
        for _ in 0..<4 {
            for f in toB {
                switch try b.receive(f) {
                case let .reply(r): toA.append(r)
                case let .established(_, r): if let r { toA.append(r) }
                default: break
                }
            }
            toB = []
            for f in toA {
                switch try a.receive(f) {
                case let .reply(r): toB.append(r)
                case let .established(_, r): if let r { toB.append(r) }
                default: break
                }
            }
            toA = []
        }
        return (a, b)
    }

    @Test(arguments: [false, true])
    func handshakeAuthenticatesBothIdentities(ik: Bool) throws {
        let (a, b) = try pair(ik: ik)
        #expect(a.isEstablished && b.isEstablished)
        #expect(a.peer?.nodeID == NodeID(publicKey: idB.publicKey))
        #expect(b.peer?.nodeID == NodeID(publicKey: idA.publicKey))
        #expect(a.peer?.listenPort == 7001)
        #expect(a.pattern == (ik ? .ik : .xx))
        #expect(a.datagramKeys?.send == b.datagramKeys?.receive)
    }

    @Test func messagesOfAnySizeUpToTheLimitRoundTrip() throws {
        var (a, b) = try pair(ik: false)
        for size in [0, 1, 65_517, 65_518, 65_519, 200_000, LinkSession.maxMessageBytes] {
            let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let frames = try a.seal(message)
            #expect(frames.allSatisfy { $0.count <= LinkSession.maxNoiseMessage })
            var got: [[UInt8]] = []
            for f in frames { if case let .messages(m) = try b.receive(f) { got += m } }
            #expect(got == [message], "size \(size)")
        }
        #expect(throws: LinkError.messageTooLarge(LinkSession.maxMessageBytes + 1)) {
            try a.seal([UInt8](repeating: 0, count: LinkSession.maxMessageBytes + 1))
        }
    }

    @Test func tamperedReplayedAndUnknownFramesEndTheSession() throws {
        var (a, b) = try pair(ik: false)
        var frame = try a.seal([1, 2, 3])[0]
        let replay = frame
        frame[5] ^= 1
        #expect(throws: LinkError.noise(.decryptFailed)) { try b.receive(frame) }
        _ = try b.receive(replay)
        #expect(throws: LinkError.noise(.decryptFailed), "a replayed frame fails: its nonce was used") { try b.receive(replay) }
        var fresh = LinkSession(responderWith: LinkHello(identity: idB, noiseStatic: staticB.publicKey, listenPort: 0),
                                noiseStatic: staticB, ephemeralPrivateKey: [UInt8](repeating: 5, count: 32))
        #expect(throws: LinkError.unknownPattern(9)) { try fresh.receive([9, 1, 2, 3]) }
    }

    @Test func aHelloSignedOverAnotherStaticKeyIsRefused() throws {
        // A node that lies about its static key: the hello signs a different key than the one
        // the handshake authenticates.
        let liar = LinkHello(identity: idA, noiseStatic: [UInt8](repeating: 9, count: 32), listenPort: 0)
        var a = try LinkSession(initiatorWith: liar, noiseStatic: staticA, ephemeralPrivateKey: [UInt8](repeating: 21, count: 32),
                                knownResponderStatic: staticB.publicKey)
        var b = LinkSession(responderWith: LinkHello(identity: idB, noiseStatic: staticB.publicKey, listenPort: 0),
                            noiseStatic: staticB, ephemeralPrivateKey: [UInt8](repeating: 22, count: 32))
        #expect(throws: LinkError.badHello("the identity's signature does not cover the handshake's static key")) {
            try b.receive(try a.firstFrame())
        }
    }

    @Test func ikWithAWrongResponderKeyFails() throws {
        var a = try LinkSession(initiatorWith: LinkHello(identity: idA, noiseStatic: staticA.publicKey, listenPort: 0),
                                noiseStatic: staticA, ephemeralPrivateKey: [UInt8](repeating: 21, count: 32),
                                knownResponderStatic: [UInt8](repeating: 77, count: 32).withX25519Public)
        var b = LinkSession(responderWith: LinkHello(identity: idB, noiseStatic: staticB.publicKey, listenPort: 0),
                            noiseStatic: staticB, ephemeralPrivateKey: [UInt8](repeating: 22, count: 32))
        #expect(throws: LinkError.noise(.decryptFailed)) { try b.receive(try a.firstFrame()) }
    }
}

@Suite struct DatagramTests {
    let key = [UInt8](repeating: 3, count: 32)
    let me = NodeID(bytes: [UInt8](repeating: 4, count: 20))!

    @Test func sealedDatagramsOpenOnceAndInAnyOrderWithinTheWindow() {
        var sealer = DatagramSealer(key: key, sender: me)
        var opener = DatagramOpener(key: key)
        let d1 = sealer.seal([1])!, d2 = sealer.seal([2])!, d3 = sealer.seal([3])!
        #expect(Datagram.sender(of: d1) == me)
        #expect(opener.open(d3) == [3])
        #expect(opener.open(d1) == [1], "reordering within the window is fine")
        #expect(opener.open(d1) == nil, "a replay is refused")
        #expect(opener.open(d2) == [2])
        var forged = sealer.seal([4])!
        forged[forged.count - 1] ^= 1
        #expect(opener.open(forged) == nil)
        #expect(sealer.seal([UInt8](repeating: 0, count: 2000)) == nil, "too large for one datagram")
    }

    @Test func countersOlderThanTheWindowAreRefused() {
        var sealer = DatagramSealer(key: key, sender: me)
        var opener = DatagramOpener(key: key)
        let old = sealer.seal([0])!
        for _ in 0..<70 { _ = opener.open(sealer.seal([1])!) }
        #expect(opener.open(old) == nil)
    }
}

extension Array where Element == UInt8 {
    var withX25519Public: [UInt8] { X25519.publicKey(privateKey: self) }
}
