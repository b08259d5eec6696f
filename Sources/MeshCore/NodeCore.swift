import Replicas
import Sodium
import Wire

/// Everything one node decides about the mesh, as one sans-IO state machine: the gossip
/// router, the liveness core and the replication core, wired together (DESIGN.md section 1).
///
/// `handle(_:at:using:)` is the only way in; the returned effects are the only way out. The
/// real node's actor shell and the simulator drive the same value.
public struct NodeCore: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var gossip = GossipConfiguration()
        public var liveness = LivenessConfiguration()
        public var replication = ReplicationConfiguration()
        public var chunks = ChunkSync.Configuration()
        public init() {}
    }

    /// What a restarted node brings back from its storage.
    public struct Restored: Sendable, Equatable {
        public var incarnation: UInt64?
        public var nextBroadcastSeq: UInt64
        /// The `PersistRecord.message` frames, oldest first.
        public var messages: [GossipFrame]
        /// Each team's op log as persisted by `persistOps`, genesis first.
        public var teamLogs: [[SignedOp]]
        /// The `PersistRecord.forgottenFloor` records, with their age (any order).
        public var forgottenFloors: [StoredFloor]

        public init(incarnation: UInt64? = nil, nextBroadcastSeq: UInt64 = 0, messages: [GossipFrame] = [],
                    teamLogs: [[SignedOp]] = [], forgottenFloors: [StoredFloor] = []) {
            self.incarnation = incarnation
            self.nextBroadcastSeq = nextBroadcastSeq
            self.messages = messages
            self.teamLogs = teamLogs
            self.forgottenFloors = forgottenFloors
        }
    }

    public let id: NodeID
    public private(set) var router: GossipRouter
    public private(set) var liveness: Liveness
    public private(set) var replication: Replication
    public internal(set) var chunks: ChunkSync
    private var started = false

    /// - Parameter identity: the node's key pair: its ID, and the key its ops are signed with.
    public init(identity: Ed25519KeyPair, configuration: Configuration, restored: Restored = Restored(), at now: Instant = .zero) {
        id = NodeID(publicKey: identity.publicKey)
        router = GossipRouter(me: id, configuration: configuration.gossip, nextBroadcastSeq: restored.nextBroadcastSeq,
                              restoredMessages: restored.messages, restoredFloors: restored.forgottenFloors, at: now,
                              repairedElsewhere: { GossipPayloadCoding.carriesOp($0) })
        liveness = Liveness(me: id, configuration: configuration.liveness, persistedIncarnation: restored.incarnation)
        replication = Replication(keyPair: identity, configuration: configuration.replication, restoredLogs: restored.teamLogs)
        chunks = ChunkSync(configuration: configuration.chunks)
    }

    /// Feeds one input; returns what the shell must do, in order. `now` is the monotonic clock
    /// the timers run on; `wallMs` the wall clock (milliseconds since 1970) that ops from peers
    /// are judged by (one dated too far ahead of it is not taken in).
    public mutating func handle<R: RandomNumberGenerator>(_ input: MeshInput, at now: Instant, wallMs: UInt64,
                                                          using rng: inout R) -> [MeshEffect] {
        var effects: [MeshEffect] = []
        if !started {
            started = true
            effects.append(.persist(liveness.startRecord))
        }
        switch input {
        case let .linkUp(peer):
            liveness.linkUp(peer, at: now, using: &rng)
            router.linkUp(peer, at: now, effects: &effects)
            replication.peerUp(peer, at: now, effects: &effects)
            chunks.peerUp(at: now, reachable: router.reachableNeighbours, effects: &effects)
        case let .linkDown(peer):
            // A lost link is not a dead peer: nothing is routed to it until the link returns,
            // but liveness keeps probing it (the probes go nowhere), so it is declared dead
            // only after the dead timeout, and a quick reconnect changes nothing.
            router.setReachable(peer, false, at: now, effects: &effects)
            chunks.peerDown(peer, at: now, reachable: router.reachableNeighbours, effects: &effects)
        case let .received(message, peer):
            // Liveness sees every message first (any message is a sign of life); the router
            // then takes its own kinds. Data from a peer held dead is still accepted: it is
            // only not sent to until it is welcomed back.
            let start = effects.count
            liveness.receive(message, from: peer, at: now, effects: &effects)
            applyStatusChanges(from: start, effects: &effects, now: now)
            let routed = effects.count
            router.receive(message, from: peer, at: now, effects: &effects)
            takeOps(from: routed, wallMs: wallMs, effects: &effects)
            // Once per message: replication and chunk sync do not change who is reachable.
            let reachable = router.reachableNeighbours
            replication.receive(message, from: peer, at: now, wallMs: wallMs, neighbours: reachable, effects: &effects)
            chunks.receive(message, from: peer, at: now, reachable: reachable, effects: &effects)
        case let .broadcast(payload):
            router.broadcast(payload, at: now, effects: &effects)
        case .timer:
            let start = effects.count
            liveness.timer(at: now, using: &rng, effects: &effects)
            applyStatusChanges(from: start, effects: &effects, now: now)
            let routed = effects.count
            router.timer(at: now, using: &rng, effects: &effects)
            takeOps(from: routed, wallMs: wallMs, effects: &effects)
            replication.timer(at: now, reachable: router.reachableNeighbours, wallMs: wallMs, using: &rng, effects: &effects)
            chunks.timer(at: now, reachable: router.reachableNeighbours, effects: &effects)
        case let .createTeam(name, nonce, wallMs, request):
            var broadcasts: [[UInt8]] = []
            let outcome = replication.createTeam(name: name, nonce: nonce, wallMs: wallMs, broadcasts: &broadcasts,
                                                 effects: &effects)
            answer(request, outcome, broadcasts: broadcasts, at: now, effects: &effects)
        case let .write(team, operation, wallMs, request, unchecked, person):
            var broadcasts: [[UInt8]] = []
            let outcome = replication.write(operation, team: team, wallMs: wallMs, unchecked: unchecked, person: person,
                                            broadcasts: &broadcasts, effects: &effects)
            answer(request, outcome, broadcasts: broadcasts, at: now, effects: &effects)
        case let .chunksNeeded(team, ids, holder):
            chunks.need(team: team, ids: ids, holder: holder, at: now, reachable: router.reachableNeighbours, effects: &effects)
        }
        forgetUnnamedChunks(after: effects)
        return effects
    }

    /// The writer hears back once its op is persisted (the effect before this one), and only
    /// then does the op go out to the mesh.
    private mutating func answer(_ request: UInt64, _ outcome: WriteOutcome, broadcasts: [[UInt8]], at now: Instant,
                                 effects: inout [MeshEffect]) {
        effects.append(.writeCompleted(request: request, outcome))
        for payload in broadcasts { router.broadcast(payload, at: now, effects: &effects) }
    }

    /// Broadcasts that carry ops go to the replication core instead of the services.
    private mutating func takeOps(from start: Int, wallMs: UInt64, effects: inout [MeshEffect]) {
        var i = start
        while i < effects.count {
            if case let .deliver(d) = effects[i] {
                var produced: [MeshEffect] = []
                if replication.receiveBroadcast(d.payload, wallMs: wallMs, effects: &produced) {
                    effects.remove(at: i)
                    effects.insert(contentsOf: produced, at: i)
                    i += produced.count
                    continue
                }
            }
            i += 1
        }
    }

    /// How much the node holds, for memory limits and metrics.
    public struct Footprint: Sendable, Equatable, Codable {
        public var seen: Int
        public var stored: Int
        public var missing: Int
        public var pendingAnnouncements: Int
        public var pendingIndirectProbes: Int
        public var neighbours: Int

        public init(seen: Int, stored: Int, missing: Int, pendingAnnouncements: Int, pendingIndirectProbes: Int,
                    neighbours: Int) {
            self.seen = seen
            self.stored = stored
            self.missing = missing
            self.pendingAnnouncements = pendingAnnouncements
            self.pendingIndirectProbes = pendingIndirectProbes
            self.neighbours = neighbours
        }
    }

    public var footprint: Footprint {
        Footprint(seen: router.seenCount, stored: router.storedCount, missing: router.missingCount,
                  pendingAnnouncements: router.pendingAnnouncementCount,
                  pendingIndirectProbes: liveness.pendingIndirectCount, neighbours: router.neighbourIDs.count)
    }

    /// The earliest instant at which the node wants a `.timer` input.
    public var nextDeadline: Instant? {
        [router.nextDeadline, liveness.nextDeadline, replication.nextDeadline, chunks.nextDeadline].compactMap { $0 }.min()
    }

    /// Tells the router about liveness verdicts found in `effects[start...]`.
    private mutating func applyStatusChanges(from start: Int, effects: inout [MeshEffect], now: Instant) {
        let verdicts: [(NodeID, PeerStatus)] = effects[start...].compactMap {
            if case let .peerStatus(peer, status) = $0 { (peer, status) } else { nil }
        }
        for (peer, status) in verdicts where status != .suspect {
            let wasReachable = router.isReachable(peer)
            router.setReachable(peer, status == .alive, at: now, effects: &effects)
            if status == .alive && !wasReachable {
                replication.peerUp(peer, at: now, effects: &effects)
                chunks.peerUp(at: now, reachable: router.reachableNeighbours, effects: &effects)
            }
        }
    }
}
