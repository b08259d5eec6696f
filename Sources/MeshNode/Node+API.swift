import Foundation
import MeshCore
import Replicas
import Sodium
import Wire

/// What the services ask of the node: writes that return once durable, and reads.
extension Node {
    /// Creates a team with this node as its Super Admin. Returns once the op is stored.
    public func createTeam(name: String) async -> WriteOutcome {
        let request = takeRequest()
        return await withCheckedContinuation { continuation in
            waitingWrites[request] = continuation
            handle(.createTeam(name: name, nonce: Sodium.randomBytes(count: 16), wallMs: Self.wallClockMs(), request: request))
        }
    }

    /// Writes `operation` to `team`, signed by `person` when they are a member of the team and
    /// by this node otherwise (the core decides: `Replication.write`). The person defaults to
    /// the one the current request acts for (`ActingPerson.current`). Returns once the op is
    /// stored (or refused).
    public func write(_ operation: TeamOperation, team: TeamID, as person: ActingPerson? = ActingPerson.current) async -> WriteOutcome {
        let request = takeRequest()
        return await withCheckedContinuation { continuation in
            waitingWrites[request] = continuation
            handle(.write(team: team, operation, wallMs: Self.wallClockMs(), request: request, person: person))
        }
    }

    /// The teams this node holds, by ID.
    public func teams() -> [TeamID] { core.replication.teamIDs }

    /// A team's current state.
    public func team(_ id: TeamID) -> TeamState? { core.replication.replica(id)?.state }

    /// Whether the vault index of `team` names chunk `id` (held here or not).
    public func vaultNames(chunk id: OpID, team: TeamID) -> Bool { core.namedChunks(team: team).contains(id) }

    /// A team's replica: its log and vector (for diagnostics).
    public func replica(_ id: TeamID) -> TeamReplica? { core.replication.replica(id) }

    public func replicationCounters() -> ReplicationCounters { core.replication.counters }

    /// Broadcasts a notice to the mesh. Throws when it is empty or longer than 1,000 bytes.
    public func broadcastNotice(_ text: String) throws(NoticeError) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= GossipPayloadCoding.maxNoticeBytes else { throw .tooLong(text.utf8.count) }
        let now = Self.wallClockMs()
        let (signed, payload) = SignedNotice.make(text: text, keyPair: identity, sentAtMs: now)
        remember(Notice(origin: nodeID, text: text, hops: 0, receivedAtMs: now, sentAtMs: now, signed: signed))
        handle(.broadcast(payload))
    }

    /// Counters of the protocol cores, for /diagnostics and /metrics.
    public func diagnostics() -> NodeDiagnostics {
        NodeDiagnostics(uptimeSeconds: Double(now.nanoseconds) / 1e9, teams: core.replication.teamIDs.count,
                        gossip: core.router.counters, liveness: core.liveness.counters,
                        replication: core.replication.counters, chunks: core.chunks.counters,
                        chunksOutstanding: core.chunks.outstanding, footprint: core.footprint,
                        limitsHit: limitsHit.map { LimitCount(limit: "\($0.key)", hits: $0.value) }.sorted { $0.limit < $1.limit },
                        quarantine: (try? database.quarantineSummary()).map { QuarantineReport(rows: $0.count, latest: $0.latest) })
    }

    /// The latest notices, newest last.
    public func recentNotices() -> [Notice] { notices }

    /// Liveness of every peer this node watches, by node ID, with milliseconds since last heard.
    public func peerLiveness() -> [(NodeID, Liveness.PeerInfo, sinceHeardMs: Int64)] {
        let now = self.now
        return core.liveness.peerIDs.compactMap { id in
            core.liveness.info(of: id).map { (id, $0, (now.nanoseconds - $0.lastHeard.nanoseconds) / 1_000_000) }
        }
    }

    private func takeRequest() -> UInt64 {
        nextRequest += 1
        return nextRequest
    }
}

/// What the transport tells the node.
extension Node: MeshEndpoint {
    public func attach(_ transport: Transport) {
        connect { [transport] message, peer in transport.send(message, to: peer) }
        self.transport = transport
        announceOpenCodes()
    }

    /// Sends `send` effects through `send` (the transport's, or a test's).
    func connect(_ send: @escaping @Sendable (MeshMessage, NodeID) -> Void) {
        outbound = send
    }

    public func linkEstablished(_ peer: NodeID) { handle(.linkUp(peer)) }
    public func linkLost(_ peer: NodeID) { handle(.linkDown(peer)) }
    public func receiveFromPeer(_ message: MeshMessage, from peer: NodeID) { handle(.received(message, from: peer)) }
}

public enum NoticeError: Error, Equatable, CustomStringConvertible {
    case empty
    case tooLong(Int)

    public var description: String {
        switch self {
        case .empty: "a notice needs some text"
        case let .tooLong(n): "a notice is at most \(GossipPayloadCoding.maxNoticeBytes) bytes; this one has \(n)"
        }
    }
}

public struct NodeDiagnostics: Sendable, Codable {
    public var uptimeSeconds: Double
    public var teams: Int
    public var gossip: GossipCounters
    public var liveness: LivenessCounters
    public var replication: ReplicationCounters
    /// Vault chunk sync: what was asked, fetched, refused and served since start.
    public var chunks: ChunkSync.Counters
    /// Vault chunks the index names that this node is still fetching.
    public var chunksOutstanding: Int
    public var footprint: NodeCore.Footprint
    /// Each limit hit at least once since start, by name.
    public var limitsHit: [LimitCount]
    /// Stored rows set aside because they failed verification at a start (nil when unreadable).
    public var quarantine: QuarantineReport?
}

/// What /diagnostics says of the quarantine: how many rows, and the latest reasons.
public struct QuarantineReport: Sendable, Codable, Equatable {
    public var rows: Int
    public var latest: [QuarantinedRow]
}

public struct LimitCount: Sendable, Codable, Equatable {
    public var limit: String
    public var hits: Int
}
