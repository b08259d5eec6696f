import Foundation
import Logging
import MeshCore
import Replicas
import ServiceLifecycle
import Sodium
import Wire

/// One running node: the actor shell around the node's protocol core (DESIGN.md section 1).
///
/// It owns the data folder (locked), the identity, the database and the `NodeCore`. Inputs —
/// local writes, frames from the transport, timers — go through `handle`, which runs the core
/// and carries out each effect in one `switch` (`Node+Effects.swift`); the shell decides
/// nothing. As a `Service` it runs until graceful shutdown, then stores the materialized
/// documents and closes the database, so SIGTERM never leaves a half-written transaction.
public actor Node: Service {
    public nonisolated let nodeID: NodeID
    public nonisolated let identity: Ed25519KeyPair
    public nonisolated let folder: DataFolder
    public nonisolated let database: NodeDatabase
    /// The team vaults' sealed chunks (uploaded here or fetched from peers).
    public nonisolated let chunkStore: ChunkStore
    /// True when this start made the identity (the node is new).
    public nonisolated let isNewIdentity: Bool
    public nonisolated let configuration: NodeCore.Configuration
    let logger: Logger

    var core: NodeCore
    let clock = ContinuousClock()
    let startedAt: ContinuousClock.Instant
    var rng = SystemRandomNumberGenerator()
    var nextRequest: UInt64 = 0
    var waitingWrites: [UInt64: CheckedContinuation<WriteOutcome, Never>] = [:]
    var timerTask: Task<Void, Never>?
    var timerDeadline: MeshCore.Instant?
    var limitsLogged: Set<MeshLimit> = []
    /// How often each limit was hit since start (for /metrics).
    var limitsHit: [MeshLimit: Int] = [:]
    var snapshotState: [TeamID: (opsAtSave: Int, savedAt: MeshCore.Instant)] = [:]
    /// Where `send` effects go; set by the transport when it starts.
    var outbound: (@Sendable (MeshMessage, NodeID) -> Void)?
    /// Set when ops could not be stored: from then on nothing leaves this node (Node+Effects.swift).
    var storageFailure: String?
    let eventContinuation: AsyncStream<NodeEvent>.Continuation
    /// The latest notices heard (and sent), newest last, at most `noticeLimit`.
    var notices: [Notice] = []
    static let noticeLimit = 100
    /// Notice broadcasts refused (unsigned, forged, replayed late): see the log for why.
    var noticesRefused = 0
    /// Replica changes, conflicts and peer changes, for the API's event stream.
    public nonisolated let events: AsyncStream<NodeEvent>
    /// Pairing by code: the codes handed out and the runs under way (Node+Pairing.swift).
    var desk: PairingDesk
    /// The transport, once it has started (pairing dials and announces through it).
    var transport: Transport?
    /// Re-announces open codes (so expired ones disappear from mDNS).
    var pairingAnnouncer: Task<Void, Never>?

    /// Opens the data folder at `dataDirectory`: lock, identity (made on first start),
    /// database (checked and migrated), then rebuilds the replicas from the stored ops.
    /// Throws a `NodeStartError` that says what to do.
    public init(dataDirectory: String, logger: Logger, configuration: NodeCore.Configuration = .init()) throws(NodeStartError) {
        do {
            folder = try DataFolder(path: dataDirectory)
        } catch { throw .folder(error) }
        let loaded: (keyPair: Ed25519KeyPair, created: Bool)
        do {
            loaded = try IdentityFile.loadOrCreate(at: folder.file(IdentityFile.fileName))
        } catch { throw .identity(error) }
        identity = loaded.keyPair
        isNewIdentity = loaded.created
        nodeID = NodeID(publicKey: loaded.keyPair.publicKey)
        self.configuration = configuration
        do {
            database = try NodeDatabase(path: folder.file(NodeDatabase.fileName).path)
            try database.claim(for: nodeID)
        } catch { throw .storage(error) }
        chunkStore = ChunkStore(pool: database.pool)
        var logger = logger
        logger[metadataKey: "node"] = "\(nodeID.short)"
        self.logger = logger
        startedAt = clock.now
        (events, eventContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1024))

        let restored: NodeCore.Restored
        var quarantined: [QuarantinedRow] = []
        do {
            restored = try NodeCore.Restored(from: database, seenMaxAge: configuration.gossip.seenMaxAge,
                                             floorLifetime: configuration.gossip.forgottenFloorLifetime,
                                             floorCapacity: configuration.gossip.forgottenOriginsCapacity,
                                             nowMs: Self.wallClockMs(), quarantined: &quarantined)
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            throw .storage(.cannotOpen(database.path, reason: "\(error)"))
        }
        core = NodeCore(identity: identity, configuration: configuration, restored: restored)
        do {
            desk = PairingDesk(identity: identity, book: InviteBook(invites: try database.loadInvites()))
        } catch {
            throw .storage(.cannotOpen(database.path, reason: "cannot read the pairing codes: \(error)"))
        }
        for row in quarantined {
            logger.error("a stored row failed verification and was set aside (table quarantine); peers will refill what it held",
                         metadata: ["table": "\(row.table)", "reason": "\(row.reason)"])
        }
        let teams = core.replication.teamIDs
        logger.info("node opened", metadata: [
            "data": "\(folder.url.path)", "identity": "\(loaded.created ? "created" : "loaded")",
            "teams": "\(teams.count)", "ops": "\(restored.teamLogs.reduce(0) { $0 + $1.count })",
        ])
    }

    /// Runs until the service group asks for graceful shutdown, then stores the materialized
    /// documents and closes the database.
    public func run() async throws {
        for team in core.replication.teamIDs { checkSnapshot(team) }
        for team in core.replication.teamIDs { fetchMissingChunks(team, blobs: nil) }
        scheduleTimer()
        let chunkCollection = startChunkCollection()
        try? await gracefulShutdown()
        logger.info("shutting down: storing documents and closing the database")
        chunkCollection.cancel()
        timerTask?.cancel()
        pairingAnnouncer?.cancel()
        for team in core.replication.teamIDs { saveSnapshot(team, force: true) }
        for (_, waiting) in waitingWrites { waiting.resume(returning: .refused(.invalid, "the node is shutting down")) }
        waitingWrites.removeAll()
        eventContinuation.finish()
        try database.close()
        logger.info("stopped cleanly")
    }

    /// Milliseconds since 1970 on this machine's wall clock: the input replicas' HLC reads.
    public static func wallClockMs() -> UInt64 { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }

    /// The core's monotonic time: nanoseconds since this node started.
    var now: MeshCore.Instant {
        let d = clock.now - startedAt
        return MeshCore.Instant(nanoseconds: d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }

    /// A restart rebuilds every team from its ops; a stored document taken at the same log
    /// length must have the same digest, else the log wins and the difference is reported.
    private func checkSnapshot(_ team: TeamID) {
        guard let replica = core.replication.replica(team), let stored = try? database.snapshotInfo(team) else { return }
        if stored.opCount == replica.opCount && stored.digest != replica.state.digest {
            logger.error("materialized document differs from the op log; using the log", metadata: [
                "team": "\(team.short)", "stored": "\(stored.digest.prefix(12))", "rebuilt": "\(replica.state.digest.prefix(12))",
            ])
        }
        snapshotState[team] = (replica.opCount, now)
    }
}

/// Why a node did not start. Wraps the specific error, whose message says what to do.
public enum NodeStartError: Error, CustomStringConvertible {
    case folder(DataFolderError)
    case identity(IdentityError)
    case storage(StorageError)

    public var description: String {
        switch self {
        case let .folder(e): e.description
        case let .identity(e): e.description
        case let .storage(e): e.description
        }
    }
}

/// A short text broadcast to the mesh.
public struct Notice: Sendable, Equatable {
    public var origin: NodeID
    public var text: String
    public var hops: UInt32
    public var receivedAtMs: UInt64
    /// The sender's clock when it signed the notice.
    public var sentAtMs: UInt64
    /// The verified notice (to drop a copy re-broadcast later).
    var signed: SignedNotice?
}

/// What the node tells the services and the API's event stream.
public enum NodeEvent: Sendable {
    case replicaChanged(ReplicaChange)
    case peerStatus(NodeID, PeerStatus)
    case notice(Notice)
    /// A device paired with this node (as inviter or joiner).
    case paired(NodeID, team: TeamID?)
}
