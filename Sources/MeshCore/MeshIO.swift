import Replicas
import Wire

/// What a node's mesh core is told: everything that happens to it, one input at a time.
public enum MeshInput: Sendable, Equatable {
    /// The transport has a link to `peer` (connected, or reconnected after a loss).
    case linkUp(NodeID)
    /// The transport lost its link to `peer` (it may come back: the peer stays watched).
    case linkDown(NodeID)
    /// A message arrived from a peer on a link.
    case received(MeshMessage, from: NodeID)
    /// The local services want `payload` broadcast to the mesh.
    case broadcast([UInt8])
    /// `nextDeadline` has passed.
    case timer
    /// A local user creates a team (`request` numbers the answer, `wallMs` is the wall clock).
    case createTeam(name: String, nonce: [UInt8], wallMs: UInt64, request: UInt64)
    /// A local user writes to a team. `unchecked` skips this node's own rule check (simulator only).
    case write(team: TeamID, TeamOperation, wallMs: UInt64, request: UInt64, unchecked: Bool = false, person: ActingPerson? = nil)
    /// The vault index names chunks of `team` that the local chunk store lacks: fetch them,
    /// from `holder` (the node that uploaded them) first while it is linked.
    case chunksNeeded(team: TeamID, ids: [OpID], holder: NodeID?)
}

/// What a core asks its shell to do. The shell carries these out in order and decides nothing.
public enum MeshEffect: Sendable, Equatable {
    /// Send `message` to `peer` over their link.
    case send(MeshMessage, to: NodeID)
    /// Hand a broadcast to the local services (each message at most once per node).
    case deliver(Delivery)
    /// `peer`'s liveness changed.
    case peerStatus(NodeID, PeerStatus)
    /// Write this to durable storage before acting on later effects.
    case persist(PersistRecord)
    /// An input was not acted on, and why (counted as well).
    case dropped(DropReason, from: NodeID?)
    /// A limit was reached (counted; the shell logs the first occurrence of each limit).
    case limitReached(MeshLimit)
    /// Store these ops of `team` durably (one transaction) before carrying out later effects.
    case persistOps(team: TeamID, ops: [SignedOp])
    /// A replica changed: for the services and their event stream.
    case replicaChanged(ReplicaChange)
    /// The answer to a local write (`MeshInput.write` or `.createTeam`) with that request number.
    case writeCompleted(request: UInt64, WriteOutcome)
    /// A peer asks for these chunks of `team`: send each from the chunk store as `chunkData`
    /// (with no data when not held).
    case serveChunks(team: TeamID, ids: [OpID], to: NodeID)
    /// Store this sealed chunk of `team` (asked for, and its SHA-256 is `id`).
    case storeChunk(team: TeamID, id: OpID, data: [UInt8])
}

/// One broadcast as the services receive it.
public struct Delivery: Sendable, Equatable {
    public var id: MessageID
    public var origin: NodeID
    public var payload: [UInt8]
    /// Hops from the origin to this node (1 for a neighbour of the origin).
    public var hops: UInt32

    public init(id: MessageID, origin: NodeID, payload: [UInt8], hops: UInt32) {
        self.id = id
        self.origin = origin
        self.payload = payload
        self.hops = hops
    }
}

/// A peer's liveness, as this node sees its link.
public enum PeerStatus: String, Sendable, Equatable, CustomStringConvertible {
    /// Answering probes.
    case alive
    /// Missed a probe period; probed harder; dead unless it answers or refutes in time.
    case suspect
    /// Silent for the whole suspicion timeout. Still probed, slowly, and welcomed back if it answers.
    case dead

    public var description: String { rawValue }
}

/// State that must survive a restart (the simulator keeps it across a crash; a real node in
/// its database).
public enum PersistRecord: Sendable, Equatable {
    /// The node's own incarnation number (liveness refutations).
    case incarnation(UInt64)
    /// The next sequence number for the node's own broadcasts, so IDs never repeat.
    case nextBroadcastSeq(UInt64)
    /// A message this node originated or delivered, as it would send it on (`ttl` already
    /// decremented; 0 when it may not travel further). Restored after a restart, it is still
    /// a duplicate, and can still be repaired to peers that missed it.
    case message(GossipFrame)
    /// The forgotten floor of `origin` rose to `seq` (PROTOCOL.md section 5): the shell stores
    /// it with its wall-clock time, one per origin, and gives it back at restart as a
    /// `StoredFloor`; stored floors older than `GossipConfiguration.forgottenFloorLifetime`
    /// may be deleted.
    case forgottenFloor(origin: NodeID, seq: UInt64)
}

/// Why an input was dropped.
public enum DropReason: String, Sendable, Equatable, CustomStringConvertible {
    case ttlOutOfRange = "ttl-out-of-range"
    case payloadTooLarge = "payload-too-large"
    case notANeighbour = "not-a-neighbour"
    case staleProbe = "stale-probe"
    case malformedBatch = "malformed-batch"
    case unaskedChunk = "unasked-chunk"
    case chunkHashMismatch = "chunk-hash-mismatch"
    /// A suspicion of this node at an incarnation it never had (`Liveness.maxIncarnationStep`).
    case incarnationOutOfRange = "incarnation-out-of-range"
    /// An op dated more than `HybridLogicalClock.maxLeadMs` ahead of this node's wall clock:
    /// not taken in now; sync offers it again later.
    case opTooFarAhead = "op-too-far-ahead"

    public var description: String { rawValue }
}

/// The named limits of the mesh core (DESIGN.md section 6). Each is counted when hit.
public enum MeshLimit: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    case seenCacheEntries = "seen-cache-entries"
    case storedMessages = "stored-messages"
    case pendingAnnouncements = "pending-announcements"
    case missingMessages = "missing-messages"
    case indirectProbes = "indirect-probes"
    case neighbours = "neighbours"
    case teams = "teams"
    case orphanOps = "orphan-ops"
    case wantedChunks = "wanted-chunks"
    /// Origins whose forgotten broadcasts the router tracks (`ForgottenFloors`).
    case forgottenOrigins = "forgotten-origins"
    /// Origins a node keeps a route to in source mode (`GossipConfiguration.maxRoutes`).
    case routes = "routes"

    public var description: String { rawValue }
}
