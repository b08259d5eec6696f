import MeshCore
import Replicas
import Sodium
import Wire

/// Frames as a link reads them: the stream split at fuzzer-chosen points, each frame decoded as
/// an envelope (every message kind), and the link hello.
struct FramesTarget: FuzzTarget {
    func run(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        let cut = Int(r.byte()) + 1
        let stream = r.rest()
        var decoder = FrameDecoder(maximumFrameBytes: 1 << 16)
        var at = 0
        while at < stream.count {
            decoder.append(stream[at..<min(stream.count, at + cut)])
            at += cut
            while true {
                guard let frame = try? decoder.next() else { return }
                _ = try? MeshMessage(serialized: frame)
                _ = try? LinkHello(serialized: frame)
            }
        }
        _ = try? MeshMessage(serialized: stream)
    }
}

/// Ops as gossip and sync carry them: a signed op, a batch (zstd or not), a gossip payload.
struct OpsTarget: FuzzTarget {
    func run(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        let mode = r.byte() % 4
        let body = r.rest()
        switch mode {
        case 0: _ = try? SignedOp(serialized: body)
        case 1: _ = try? OpBatchCoding.decode(body)
        case 2:
            _ = try? GossipPayloadCoding.decode(body)
            _ = GossipPayloadCoding.notice(body)
            _ = SignedNotice.verify(body, origin: NodeID(bytes: [UInt8](repeating: 7, count: NodeID.byteCount))!, nowMs: 1_800_000_000_000)
        default:
            if let plain = try? Zstd.decompress(body, maxSize: 1 << 20) { _ = try? OpBatchCoding.decode(plain) }
        }
    }
}

/// The Noise responder's first steps: whatever an unauthenticated dialler sends first.
struct NoiseTarget: FuzzTarget {
    static let identity = Ed25519KeyPair(seed: [UInt8](repeating: 7, count: 32))!
    static let noise = NoiseKeyPair(privateKey: [UInt8](repeating: 9, count: 32))

    func run(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        let hello = LinkHello(identity: Self.identity, noiseStatic: Self.noise.publicKey, listenPort: 7946)
        var session = LinkSession(responderWith: hello, noiseStatic: Self.noise, ephemeralPrivateKey: [UInt8](repeating: 3, count: 32))
        while !r.isEmpty {
            let frame = r.take(Int(r.byte()) << 2 | Int(r.byte() & 3))
            guard (try? session.receive(frame)) != nil else { return }
        }
    }
}

/// Pairing: a message as the inviter's desk reads it, and a CPace response to whatever the
/// request holds.
struct PairingTarget: FuzzTarget {
    static let identity = Ed25519KeyPair(seed: [UInt8](repeating: 5, count: 32))!
    static let code = try! OmniCode(parsing: "OMNI-7K3D-QX9M")

    func run(_ bytes: [UInt8]) {
        var r = ByteReader(bytes)
        let seed = r.u64()
        guard case let .pair(message)? = try? MeshMessage(serialized: r.rest()) else { return }
        var rng = SeededGenerator(seed: seed)
        switch message {
        case let .request(request):
            let joiner = Ed25519PublicKey(bytes: request.identityKey).map { NodeID(publicKey: $0) } ?? NodeID(publicKey: Self.identity.publicKey)
            let channel = PairingChannel(joiner: joiner, inviter: NodeID(publicKey: Self.identity.publicKey), binding: [UInt8](repeating: 1, count: 32))
            _ = try? InviterHandshake.respond(to: request, code: Self.code, identity: Self.identity, channel: channel, using: &rng)
        default:
            break
        }
    }
}
