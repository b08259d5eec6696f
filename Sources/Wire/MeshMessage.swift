/// Every message two nodes exchange on a link, as Swift values. The protocol cores in
/// MeshCore speak only these; `MeshMessage+Envelope.swift` turns them into the bytes of
/// Protocol/mesh.proto and back.
public enum MeshMessage: Hashable, Sendable {
    // Gossip router.
    case gossip(GossipFrame)
    case iHave([Announcement])
    case graft([MessageID])
    case prune
    case want([MessageID])
    case digest([Announcement])
    case treeAdvert(TreeAdvert)
    // Peer liveness.
    case ping(seq: UInt64, incarnation: UInt64)
    case ack(seq: UInt64, incarnation: UInt64)
    case pingReq(seq: UInt64, target: NodeID)
    case indirectAck(seq: UInt64, target: NodeID, incarnation: UInt64)
    case suspect(target: NodeID, incarnation: UInt64)
    case alive(target: NodeID, incarnation: UInt64)
    // Anti-entropy of replicated ops. Team IDs are 32 bytes; op batches are opaque here
    // (Replicas reads them).
    case syncVector(team: [UInt8], entries: [VectorEntry], reply: Bool)
    case syncOps(team: [UInt8], ops: [UInt8], compressed: Bool, more: Bool, count: UInt32)
    // Vault chunk sync: chunk IDs are 32 bytes; `data` nil means "not held here".
    case chunkWant(team: [UInt8], ids: [[UInt8]])
    case chunkData(team: [UInt8], id: [UInt8], data: [UInt8]?)
    // Pairing by code; only on a link that is pairing, never relayed.
    case pair(PairingMessage)

    /// A short name for logs, metrics and traces.
    public var kindName: String {
        switch self {
        case .gossip: "gossip"
        case .iHave: "ihave"
        case .graft: "graft"
        case .prune: "prune"
        case .want: "want"
        case .digest: "digest"
        case .treeAdvert: "tree-advert"
        case .ping: "ping"
        case .ack: "ack"
        case .pingReq: "ping-req"
        case .indirectAck: "indirect-ack"
        case .suspect: "suspect"
        case .alive: "alive"
        case .syncVector: "sync-vector"
        case .syncOps: "sync-ops"
        case .chunkWant: "chunk-want"
        case .chunkData: "chunk-data"
        case let .pair(p): p.kindName
        }
    }
}

/// One copy of a broadcast on one hop.
public struct GossipFrame: Hashable, Sendable {
    public var origin: NodeID
    public var seq: UInt64
    public var ttl: UInt32
    public var hops: UInt32
    public var payload: [UInt8]

    public init(origin: NodeID, seq: UInt64, ttl: UInt32, hops: UInt32, payload: [UInt8]) {
        self.origin = origin
        self.seq = seq
        self.ttl = ttl
        self.hops = hops
        self.payload = payload
    }

    /// The message ID, which depends on origin, seq and payload only.
    public var id: MessageID { MessageID(origin: origin, seq: seq, payload: payload) }
}

/// "I have message `id`; my copy travelled `hops` hops."
public struct Announcement: Hashable, Sendable {
    public var id: MessageID
    public var hops: UInt32

    public init(id: MessageID, hops: UInt32) {
        self.id = id
        self.hops = hops
    }
}

/// A node's place in the broadcast tree, as it tells its neighbours.
public struct TreeAdvert: Hashable, Sendable {
    /// The root the sender follows: the smallest node ID it knows of.
    public var root: NodeID
    /// Hops from the sender to the root.
    public var distance: UInt32
    /// The sender's parent; nil when the sender is the root.
    public var parent: NodeID?

    /// Per-source trees (gossip mode `source`): the sender's routes that changed since its last
    /// advert to this receiver (all of them on a new link and at every refresh). Empty in the
    /// other modes.
    public var routes: [RouteEntry]

    public init(root: NodeID, distance: UInt32, parent: NodeID?, routes: [RouteEntry] = []) {
        self.root = root
        self.distance = distance
        self.parent = parent
        self.routes = routes
    }
}

/// "I am `distance` hops from `origin`" (16 or more: no route), and whether the receiver is the
/// sender's next hop toward it, which makes the sender the receiver's child in that origin's tree.
public struct RouteEntry: Hashable, Sendable {
    public var origin: NodeID
    public var distance: UInt32
    public var viaYou: Bool

    public init(origin: NodeID, distance: UInt32, viaYou: Bool) {
        self.origin = origin
        self.distance = distance
        self.viaYou = viaYou
    }
}

/// One author's position in a version vector.
public struct VectorEntry: Hashable, Sendable {
    public var author: NodeID
    public var seq: UInt64

    public init(author: NodeID, seq: UInt64) {
        self.author = author
        self.seq = seq
    }
}
