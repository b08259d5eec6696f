import Foundation
import SwiftProtobuf
import Testing
@testable import Wire

/// The bulk kinds are written and read by hand; SwiftProtobuf's generated types are the
/// reference: the same bytes out, the same values in, the same refusals.
@Suite struct BulkEncodingTests {
    let origin = NodeID(bytes: (0..<20).map { UInt8($0) })!
    let team = [UInt8](repeating: 3, count: 32)
    let chunkID = [UInt8](repeating: 0xC4, count: 32)

    var bulkMessages: [MeshMessage] {
        [
            .gossip(GossipFrame(origin: origin, seq: 0, ttl: 1, hops: 0, payload: [])),
            .gossip(GossipFrame(origin: origin, seq: UInt64.max, ttl: 16, hops: 300, payload: [UInt8](repeating: 9, count: 70_000))),
            .syncOps(team: team, ops: [], compressed: false, more: false, count: 0),
            .syncOps(team: team, ops: [UInt8](repeating: 7, count: 60_000), compressed: true, more: true, count: UInt32.max),
            .syncOps(team: team, ops: [1], compressed: false, more: true, count: 128),
            .chunkData(team: team, id: chunkID, data: nil),
            .chunkData(team: team, id: chunkID, data: []),
            .chunkData(team: team, id: chunkID, data: [UInt8](repeating: 1, count: 40_000)),
        ]
    }

    /// The envelope SwiftProtobuf writes for `message`.
    func reference(_ message: MeshMessage) throws -> [UInt8] {
        let (kind, body) = message.protobufBody()
        var envelope = Elohim_Mesh_V1_Envelope()
        envelope.protocolVersion = ProtocolVersion.current
        envelope.kind = kind
        envelope.payload = try body.serializedData()
        return try envelope.serializedBytes()
    }

    @Test func writesWhatSwiftProtobufWrites() throws {
        for message in bulkMessages {
            #expect(message.serialized() == (try reference(message)), "\(message.kindName)")
        }
        // The other kinds' envelopes too, now written by hand around their generated payloads.
        for message in [MeshMessage.prune, .ping(seq: 1, incarnation: 2), .want([]), .graft([MessageID(high: 1, low: 2)])] {
            #expect(message.serialized() == (try reference(message)), "\(message.kindName)")
        }
    }

    @Test func readsWhatSwiftProtobufWrites() throws {
        for message in bulkMessages {
            #expect(try MeshMessage(serialized: reference(message)) == message)
        }
    }

    @Test func fieldsOfANewerSenderAreSkipped() throws {
        // SyncOps with extra fields of every wire type (9: varint, 10: fixed64, 11: bytes, 12: fixed32),
        // and an envelope with an extra field 4 after the payload.
        var payload = Elohim_Mesh_V1_SyncOps()
        payload.team = Data(team)
        payload.ops = Data([5, 6])
        payload.count = 2
        var body = try payload.serializedBytes() as [UInt8]
        body += [0x48, 0x96, 0x01] + [0x51] + [UInt8](repeating: 1, count: 8) + [0x5A, 0x02, 0xAB, 0xCD] + [0x65, 1, 2, 3, 4]
        let envelope: [UInt8] = [0x08, 0x01, 0x10, UInt8(Elohim_Mesh_V1_Kind.syncOps.rawValue), 0x1A, UInt8(body.count)] + body + [0x20, 0x01]
        #expect(try MeshMessage(serialized: envelope) == .syncOps(team: team, ops: [5, 6], compressed: false, more: false, count: 2))
    }

    @Test func everyTruncationIsRefusedNeverACrash() throws {
        for message in bulkMessages.filter({ $0.serialized().count < 200 }) {
            let bytes = message.serialized()
            for cut in 0..<bytes.count {
                let prefix = Array(bytes.prefix(cut))
                // SwiftProtobuf's verdict on the same bytes is the reference: both accept or both refuse.
                let referenceAccepts = (try? Elohim_Mesh_V1_Envelope(serializedBytes: prefix)).map { envelope in
                    (try? MeshMessage(serialized: try! envelope.serializedBytes() as [UInt8])) != nil
                } ?? false
                let accepted = (try? MeshMessage(serialized: prefix)) != nil
                #expect(accepted == referenceAccepts, "\(message.kindName) cut at \(cut)")
            }
        }
    }

    @Test func aKnownFieldWithTheWrongWireTypeIsMalformed() {
        // SyncOps whose `ops` (field 2) comes as a varint.
        let body: [UInt8] = [0x0A, 0x20] + team + [0x10, 0x05]
        let envelope: [UInt8] = [0x08, 0x01, 0x10, UInt8(Elohim_Mesh_V1_Kind.syncOps.rawValue), 0x1A, UInt8(body.count)] + body
        #expect(throws: WireError.malformed(what: "SyncOps")) { try MeshMessage(serialized: envelope) }
        // A varint that never ends.
        #expect(throws: WireError.malformed(what: "envelope")) { try MeshMessage(serialized: [0x08] + [UInt8](repeating: 0xFF, count: 11)) }
        // A length that runs past the end.
        #expect(throws: WireError.malformed(what: "envelope")) { try MeshMessage(serialized: [0x08, 0x01, 0x1A, 0x05, 1, 2]) }
    }

    @Test func anOversizedChunkIsRefusedByItsLength() {
        var chunk = Elohim_Mesh_V1_ChunkData()
        chunk.team = Data(team)
        chunk.id = Data(chunkID)
        chunk.data = Data(count: ChunkLimits.maxSealedChunk + 1)
        var envelope = Elohim_Mesh_V1_Envelope()
        envelope.protocolVersion = 1
        envelope.kind = .chunkData
        envelope.payload = try! chunk.serializedData()
        #expect(throws: WireError.badField(message: "ChunkData", field: "data", reason: "at most \(ChunkLimits.maxSealedChunk) bytes")) {
            try MeshMessage(serialized: try envelope.serializedBytes() as [UInt8])
        }
    }
}
