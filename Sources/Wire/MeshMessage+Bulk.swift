/// The bulk kinds (Gossip, SyncOps, ChunkData: the messages that carry ops and vault chunks)
/// are written and read by hand (`ProtobufField`, `ProtobufReader`), so their payloads are
/// copied once each way rather than three times through SwiftProtobuf's `Data` fields. The
/// bytes are the same protobuf messages of Protocol/mesh.proto.
extension MeshMessage {
    /// The payload fields of a bulk kind, in field-number order; nil for the other kinds.
    var bulkFields: (Elohim_Mesh_V1_Kind, [ProtobufField])? {
        switch self {
        case let .gossip(frame):
            (.gossip, [.bytes(1, frame.origin.bytes), .varint(2, frame.seq), .varint(3, UInt64(frame.ttl)),
                       .varint(4, UInt64(frame.hops)), .bytes(5, frame.payload)])
        case let .syncOps(team, ops, compressed, more, count):
            (.syncOps, [.bytes(1, team), .bytes(2, ops), .varint(3, compressed ? 1 : 0), .varint(4, more ? 1 : 0),
                        .varint(5, UInt64(count))])
        case let .chunkData(team, id, data):
            (.chunkData, [.bytes(1, team), .bytes(2, id), .bytes(3, data ?? []), .varint(4, data == nil ? 1 : 0)])
        default:
            nil
        }
    }

    // Each reads its message's payload from `range` of `bytes`, with the checks its fields must pass.

    static func decodeGossip(_ bytes: [UInt8], in range: Range<Int>) throws(WireError) -> MeshMessage {
        var reader = ProtobufReader(bytes, in: range, what: "Gossip")
        var origin: [UInt8] = [], seq: UInt64 = 0, ttl: UInt32 = 0, hops: UInt32 = 0, payload: [UInt8] = []
        while let (number, value) = try reader.next() {
            switch number {
            case 1: origin = try value.bytes(reader)
            case 2: seq = try value.varint(reader)
            case 3: ttl = UInt32(truncatingIfNeeded: try value.varint(reader))
            case 4: hops = UInt32(truncatingIfNeeded: try value.varint(reader))
            case 5: payload = try value.bytes(reader)
            default: continue
            }
        }
        guard ttl >= 1 else { throw .badField(message: "Gossip", field: "ttl", reason: "must be at least 1") }
        guard let originID = NodeID(bytes: origin) else {
            throw .badField(message: "Gossip", field: "origin", reason: "must be \(NodeID.byteCount) bytes, got \(origin.count)")
        }
        return .gossip(GossipFrame(origin: originID, seq: seq, ttl: ttl, hops: hops, payload: payload))
    }

    static func decodeSyncOps(_ bytes: [UInt8], in range: Range<Int>) throws(WireError) -> MeshMessage {
        var reader = ProtobufReader(bytes, in: range, what: "SyncOps")
        var team: [UInt8] = [], ops: [UInt8] = [], compressed = false, more = false, count: UInt32 = 0
        while let (number, value) = try reader.next() {
            switch number {
            case 1: team = try value.bytes(reader)
            case 2: ops = try value.bytes(reader)
            case 3: compressed = try value.varint(reader) != 0
            case 4: more = try value.varint(reader) != 0
            case 5: count = UInt32(truncatingIfNeeded: try value.varint(reader))
            default: continue
            }
        }
        guard team.count == 32 else { throw .badField(message: "SyncOps", field: "team", reason: "must be 32 bytes") }
        return .syncOps(team: team, ops: ops, compressed: compressed, more: more, count: count)
    }

    static func decodeChunkData(_ bytes: [UInt8], in range: Range<Int>) throws(WireError) -> MeshMessage {
        var reader = ProtobufReader(bytes, in: range, what: "ChunkData")
        var team: [UInt8] = [], id: [UInt8] = [], data: [UInt8] = [], missing = false
        while let (number, value) = try reader.next() {
            switch number {
            case 1: team = try value.bytes(reader)
            case 2: id = try value.bytes(reader)
            case 3:
                // Checked before it is copied: a peer cannot make this node copy more than a chunk.
                guard try value.range(reader).count <= ChunkLimits.maxSealedChunk else {
                    throw .badField(message: "ChunkData", field: "data", reason: "at most \(ChunkLimits.maxSealedChunk) bytes")
                }
                data = try value.bytes(reader)
            case 4: missing = try value.varint(reader) != 0
            default: continue
            }
        }
        guard team.count == 32 else { throw .badField(message: "ChunkData", field: "team", reason: "must be 32 bytes") }
        guard id.count == 32 else { throw .badField(message: "ChunkData", field: "id", reason: "must be 32 bytes") }
        guard !(missing && !data.isEmpty) else {
            throw .badField(message: "ChunkData", field: "missing", reason: "a missing chunk carries no data")
        }
        return .chunkData(team: team, id: id, data: missing ? nil : data)
    }
}
