import Foundation
import SwiftProtobuf

/// Conversion between `MeshMessage` and the Envelope bytes of Protocol/mesh.proto.
extension MeshMessage {
    /// The message as one Envelope, serialized (the body of a frame or a datagram). The bulk
    /// kinds are written straight into the envelope (`bulkFields`), the others through their
    /// generated SwiftProtobuf types.
    public func serialized() -> [UInt8] {
        let kind: Elohim_Mesh_V1_Kind, payload: ProtobufField
        if let (bulkKind, fields) = bulkFields {
            (kind, payload) = (bulkKind, .message(3, fields))
        } else {
            let (bodyKind, body) = protobufBody()
            // Serializing a message we built ourselves cannot fail: proto3 has no required fields.
            (kind, payload) = (bodyKind, .bytes(3, (try? body.serializedBytes()) ?? []))
        }
        return ProtobufField.serialize([
            .varint(1, UInt64(ProtocolVersion.current)),
            .varint(2, UInt64(bitPattern: Int64(kind.rawValue))),
            payload,
        ])
    }

    /// Reads one Envelope. Throws `WireError.unknownKind` for kinds newer than this node, which
    /// callers count and drop without closing the link.
    public init<Bytes: ContiguousBytes>(serialized bytes: Bytes) throws(WireError) {
        try self.init(serialized: bytes.withUnsafeBytes { [UInt8]($0) })
    }

    /// Reads one Envelope from an array, where it lies: a bulk payload is copied once, out of
    /// the envelope into its message.
    public init(serialized bytes: [UInt8]) throws(WireError) {
        var reader = ProtobufReader(bytes, in: bytes.indices, what: "envelope")
        var version: UInt64 = 0, kindNumber: UInt64 = 0, payload = 0..<0
        while let (number, value) = try reader.next() {
            switch number {
            case 1: version = try value.varint(reader)
            case 2: kindNumber = try value.varint(reader)
            case 3: payload = try value.range(reader)
            default: continue  // a newer sender's field
            }
        }
        guard UInt32(truncatingIfNeeded: version) >= ProtocolVersion.minimumSupported else {
            throw .unsupportedVersion(UInt32(truncatingIfNeeded: version))
        }
        let raw = Int(Int32(truncatingIfNeeded: kindNumber))
        self = try Self.decode(kind: Elohim_Mesh_V1_Kind(rawValue: raw) ?? .UNRECOGNIZED(raw), bytes, in: payload)
    }

    /// The message as its generated SwiftProtobuf type. The bulk kinds are written by hand
    /// (`bulkFields`); their forms here are the reference the tests hold those bytes to.
    func protobufBody() -> (Elohim_Mesh_V1_Kind, any SwiftProtobuf.Message) {
        switch self {
        case let .gossip(frame):
            var m = Elohim_Mesh_V1_Gossip()
            m.origin = Data(frame.origin.bytes)
            m.seq = frame.seq
            m.ttl = frame.ttl
            m.hops = frame.hops
            m.payload = Data(frame.payload)
            return (.gossip, m)
        case let .iHave(entries):
            var m = Elohim_Mesh_V1_IHave()
            m.entries = entries.map(Self.announcement)
            return (.ihave, m)
        case let .graft(ids):
            var m = Elohim_Mesh_V1_Graft()
            m.ids = ids.map { Data($0.bytes) }
            return (.graft, m)
        case .prune:
            return (.prune, Elohim_Mesh_V1_Prune())
        case let .want(ids):
            var m = Elohim_Mesh_V1_Want()
            m.ids = ids.map { Data($0.bytes) }
            return (.want, m)
        case let .digest(entries):
            var m = Elohim_Mesh_V1_Digest()
            m.entries = entries.map(Self.announcement)
            return (.digest, m)
        case let .treeAdvert(advert):
            var m = Elohim_Mesh_V1_TreeAdvert()
            m.root = Data(advert.root.bytes)
            m.distance = advert.distance
            m.parent = advert.parent.map { Data($0.bytes) } ?? Data()
            m.routes = advert.routes.map { r in
                var e = Elohim_Mesh_V1_RouteEntry()
                e.origin = Data(r.origin.bytes)
                e.distance = r.distance
                e.viaYou = r.viaYou
                return e
            }
            return (.treeAdvert, m)
        case let .syncVector(team, entries, reply):
            var m = Elohim_Mesh_V1_SyncVector()
            m.team = Data(team)
            m.entries = entries.map { e in
                var v = Elohim_Mesh_V1_VectorEntry()
                v.author = Data(e.author.bytes)
                v.seq = e.seq
                return v
            }
            m.reply = reply
            return (.syncVector, m)
        case let .syncOps(team, ops, compressed, more, count):
            var m = Elohim_Mesh_V1_SyncOps()
            m.team = Data(team)
            m.ops = Data(ops)
            m.compressed = compressed
            m.more = more
            m.count = count
            return (.syncOps, m)
        case let .chunkWant(team, ids):
            var m = Elohim_Mesh_V1_ChunkWant()
            m.team = Data(team)
            m.ids = ids.map { Data($0) }
            return (.chunkWant, m)
        case let .chunkData(team, id, data):
            var m = Elohim_Mesh_V1_ChunkData()
            m.team = Data(team)
            m.id = Data(id)
            if let data { m.data = Data(data) } else { m.missing = true }
            return (.chunkData, m)
        case let .ping(seq, incarnation):
            var m = Elohim_Mesh_V1_Ping()
            m.seq = seq
            m.incarnation = incarnation
            return (.ping, m)
        case let .ack(seq, incarnation):
            var m = Elohim_Mesh_V1_Ack()
            m.seq = seq
            m.incarnation = incarnation
            return (.ack, m)
        case let .pingReq(seq, target):
            var m = Elohim_Mesh_V1_PingReq()
            m.seq = seq
            m.target = Data(target.bytes)
            return (.pingReq, m)
        case let .indirectAck(seq, target, incarnation):
            var m = Elohim_Mesh_V1_IndirectAck()
            m.seq = seq
            m.target = Data(target.bytes)
            m.incarnation = incarnation
            return (.indirectAck, m)
        case let .suspect(target, incarnation):
            var m = Elohim_Mesh_V1_Suspect()
            m.target = Data(target.bytes)
            m.incarnation = incarnation
            return (.suspect, m)
        case let .alive(target, incarnation):
            var m = Elohim_Mesh_V1_Alive()
            m.target = Data(target.bytes)
            m.incarnation = incarnation
            return (.alive, m)
        case let .pair(p):
            return p.protobufBody()
        }
    }

    /// The message of `kind` whose payload lies in `range` of `bytes`.
    private static func decode(kind: Elohim_Mesh_V1_Kind, _ bytes: [UInt8], in range: Range<Int>) throws(WireError) -> MeshMessage {
        let payload = bytes[range]
        switch kind {
        case .gossip:
            return try decodeGossip(bytes, in: range)
        case .syncOps:
            return try decodeSyncOps(bytes, in: range)
        case .chunkData:
            return try decodeChunkData(bytes, in: range)
        case .ihave:
            let m: Elohim_Mesh_V1_IHave = try parse(payload, "IHave")
            return .iHave(try announcements(m.entries, "IHave"))
        case .graft:
            let m: Elohim_Mesh_V1_Graft = try parse(payload, "Graft")
            return .graft(try messageIDs(m.ids, "Graft"))
        case .prune:
            let _: Elohim_Mesh_V1_Prune = try parse(payload, "Prune")
            return .prune
        case .want:
            let m: Elohim_Mesh_V1_Want = try parse(payload, "Want")
            return .want(try messageIDs(m.ids, "Want"))
        case .digest:
            let m: Elohim_Mesh_V1_Digest = try parse(payload, "Digest")
            return .digest(try announcements(m.entries, "Digest"))
        case .treeAdvert:
            let m: Elohim_Mesh_V1_TreeAdvert = try parse(payload, "TreeAdvert")
            var routes: [RouteEntry] = []
            routes.reserveCapacity(m.routes.count)
            for e in m.routes {
                routes.append(RouteEntry(origin: try nodeID(e.origin, "TreeAdvert", "routes.origin"), distance: e.distance,
                                         viaYou: e.viaYou))
            }
            return .treeAdvert(TreeAdvert(root: try nodeID(m.root, "TreeAdvert", "root"), distance: m.distance,
                                          parent: m.parent.isEmpty ? nil : try nodeID(m.parent, "TreeAdvert", "parent"),
                                          routes: routes))
        case .syncVector:
            let m: Elohim_Mesh_V1_SyncVector = try parse(payload, "SyncVector")
            guard m.team.count == 32 else { throw .badField(message: "SyncVector", field: "team", reason: "must be 32 bytes") }
            var entries: [VectorEntry] = []
            entries.reserveCapacity(m.entries.count)
            for e in m.entries {
                entries.append(VectorEntry(author: try nodeID(e.author, "SyncVector", "author"), seq: e.seq))
            }
            return .syncVector(team: m.team.byteArray, entries: entries, reply: m.reply)
        case .chunkWant:
            let m: Elohim_Mesh_V1_ChunkWant = try parse(payload, "ChunkWant")
            guard m.team.count == 32 else { throw .badField(message: "ChunkWant", field: "team", reason: "must be 32 bytes") }
            guard m.ids.count <= ChunkLimits.idsPerWant else {
                throw .badField(message: "ChunkWant", field: "ids", reason: "at most \(ChunkLimits.idsPerWant)")
            }
            guard m.ids.allSatisfy({ $0.count == 32 }) else {
                throw .badField(message: "ChunkWant", field: "ids", reason: "each must be 32 bytes")
            }
            return .chunkWant(team: m.team.byteArray, ids: m.ids.map(\.byteArray))
        case .ping:
            let m: Elohim_Mesh_V1_Ping = try parse(payload, "Ping")
            return .ping(seq: m.seq, incarnation: m.incarnation)
        case .ack:
            let m: Elohim_Mesh_V1_Ack = try parse(payload, "Ack")
            return .ack(seq: m.seq, incarnation: m.incarnation)
        case .pingReq:
            let m: Elohim_Mesh_V1_PingReq = try parse(payload, "PingReq")
            return .pingReq(seq: m.seq, target: try nodeID(m.target, "PingReq", "target"))
        case .indirectAck:
            let m: Elohim_Mesh_V1_IndirectAck = try parse(payload, "IndirectAck")
            return .indirectAck(seq: m.seq, target: try nodeID(m.target, "IndirectAck", "target"),
                                incarnation: m.incarnation)
        case .suspect:
            let m: Elohim_Mesh_V1_Suspect = try parse(payload, "Suspect")
            return .suspect(target: try nodeID(m.target, "Suspect", "target"), incarnation: m.incarnation)
        case .alive:
            let m: Elohim_Mesh_V1_Alive = try parse(payload, "Alive")
            return .alive(target: try nodeID(m.target, "Alive", "target"), incarnation: m.incarnation)
        case .pairRequest, .pairResponse, .pairConfirm, .pairResult:
            return .pair(try PairingMessage.decode(kind: kind, payload: Data(payload))!)
        case .unspecified:
            throw .badField(message: "Envelope", field: "kind", reason: "is unspecified")
        case let .UNRECOGNIZED(raw):
            throw .unknownKind(raw)
        }
    }

    private static func announcement(_ e: Announcement) -> Elohim_Mesh_V1_Announcement {
        var a = Elohim_Mesh_V1_Announcement()
        a.id = Data(e.id.bytes)
        a.hops = e.hops
        return a
    }

    private static func announcements(_ list: [Elohim_Mesh_V1_Announcement], _ message: String) throws(WireError) -> [Announcement] {
        var out: [Announcement] = []
        out.reserveCapacity(list.count)
        for e in list { out.append(Announcement(id: try messageID(e.id, message), hops: e.hops)) }
        return out
    }

    private static func parse<M: SwiftProtobuf.Message>(_ payload: ArraySlice<UInt8>, _ name: String) throws(WireError) -> M {
        do { return try M(serializedBytes: Data(payload)) } catch { throw .malformed(what: name) }
    }

    private static func nodeID(_ data: Data, _ message: String, _ field: String) throws(WireError) -> NodeID {
        guard let id = NodeID(bytes: data.byteArray) else {
            throw .badField(message: message, field: field, reason: "must be \(NodeID.byteCount) bytes, got \(data.count)")
        }
        return id
    }

    private static func messageID(_ data: Data, _ message: String) throws(WireError) -> MessageID {
        guard let id = MessageID(bytes: data) else {
            throw .badField(message: message, field: "id", reason: "must be \(MessageID.byteCount) bytes, got \(data.count)")
        }
        return id
    }

    private static func messageIDs(_ list: [Data], _ message: String) throws(WireError) -> [MessageID] {
        var ids: [MessageID] = []
        ids.reserveCapacity(list.count)
        for d in list { ids.append(try messageID(d, message)) }
        return ids
    }
}
