import Testing
@testable import Wire

@Suite struct EnvelopeTests {
    let a = NodeID(bytes: [UInt8](repeating: 0xAA, count: 20))!
    let id = MessageID(high: 0x0102_0304_0506_0708, low: 0x1112_1314_1516_1718)

    var everyKind: [MeshMessage] {
        [
            .gossip(GossipFrame(origin: a, seq: 9, ttl: 8, hops: 1, payload: [1, 2, 3])),
            .iHave([Announcement(id: id, hops: 3)]),
            .graft([id]), .prune, .want([id, id]), .digest([]), .digest([Announcement(id: id, hops: 0)]),
            .treeAdvert(TreeAdvert(root: a, distance: 3, parent: a)), .treeAdvert(TreeAdvert(root: a, distance: 0, parent: nil)),
            .treeAdvert(TreeAdvert(root: a, distance: 1, parent: a, routes: [RouteEntry(origin: a, distance: 0, viaYou: false),
                                                                            RouteEntry(origin: a, distance: 16, viaYou: true)])),
            .ping(seq: 1, incarnation: 2), .ack(seq: 1, incarnation: 3),
            .pingReq(seq: 4, target: a), .indirectAck(seq: 4, target: a, incarnation: 5),
            .suspect(target: a, incarnation: 6), .alive(target: a, incarnation: 7),
            .syncVector(team: [UInt8](repeating: 3, count: 32), entries: [VectorEntry(author: a, seq: 9)], reply: true),
            .syncOps(team: [UInt8](repeating: 3, count: 32), ops: [1, 2, 3], compressed: true, more: false, count: 1),
        ]
    }

    @Test func everyKindRoundTrips() throws {
        for message in everyKind {
            #expect(try MeshMessage(serialized: message.serialized()) == message)
        }
    }

    @Test func messageIDIsHashOfOriginSeqPayload() {
        let f = GossipFrame(origin: a, seq: 1, ttl: 8, hops: 0, payload: [9])
        var g = f
        g.ttl = 3
        g.hops = 5
        #expect(f.id == g.id, "ttl and hops are not part of the ID")
        g.seq = 2
        #expect(f.id != g.id)
        #expect(MessageID(bytes: id.bytes) == id)
    }

    @Test func garbageIsMalformedNotACrash() {
        var rng = SplitMix(seed: 3)
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Must either decode or throw a WireError; never trap.
            _ = try? MeshMessage(serialized: bytes)
        }
    }

    @Test func badFieldSizesAreNamed() {
        // Gossip with a 3-byte origin: hand-built envelope bytes.
        // Envelope{version=1, kind=GOSSIP, payload=Gossip{origin=3 bytes, ttl=1}}
        let gossip: [UInt8] = [0x0A, 0x03, 1, 2, 3, 0x18, 0x01]
        let envelope: [UInt8] = [0x08, 0x01, 0x10, 0x01, 0x1A, UInt8(gossip.count)] + gossip
        #expect(throws: WireError.badField(message: "Gossip", field: "origin", reason: "must be 20 bytes, got 3")) {
            try MeshMessage(serialized: envelope)
        }
    }

    @Test func unknownKindsAndOldVersionsAreDistinguished() {
        let unknown: [UInt8] = [0x08, 0x01, 0x10, 0x63] // version 1, kind 99
        #expect(throws: WireError.unknownKind(99)) { try MeshMessage(serialized: unknown) }
        let old: [UInt8] = [0x10, 0x0A] // version 0, kind PING
        #expect(throws: WireError.unsupportedVersion(0)) { try MeshMessage(serialized: old) }
    }

    @Test func unknownFieldsAreTolerated() throws {
        // A Ping from a newer version with an extra field 7 (varint 1) still reads.
        let ping: [UInt8] = [0x08, 0x05, 0x38, 0x01]
        let envelope: [UInt8] = [0x08, 0x02, 0x10, 0x0A, 0x1A, UInt8(ping.count)] + ping
        #expect(try MeshMessage(serialized: envelope) == .ping(seq: 5, incarnation: 0))
    }
}

@Suite struct FramingTests {
    @Test func framesSplitAcrossReadsReassemble() throws {
        let bodies: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 300)]
        let stream = bodies.flatMap(Framing.frame)
        var decoder = FrameDecoder(maximumFrameBytes: 1024)
        var out: [[UInt8]] = []
        for byte in stream {
            decoder.append([byte])
            while let frame = try decoder.next() { out.append(frame) }
        }
        #expect(out == bodies)
        #expect(decoder.bufferedBytes == 0)
    }

    @Test func oversizedPrefixFailsBeforeTheBodyArrives() {
        var decoder = FrameDecoder(maximumFrameBytes: 100)
        decoder.append([0, 0, 0, 101])
        #expect(throws: WireError.frameTooLarge(declared: 101, limit: 100)) { try decoder.next() }
    }

    @Test func truncatedFrameWaits() throws {
        var decoder = FrameDecoder()
        decoder.append([0, 0, 0, 5, 1, 2])
        #expect(try decoder.next() == nil)
        decoder.append([3, 4, 5])
        #expect(try decoder.next() == [1, 2, 3, 4, 5])
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
