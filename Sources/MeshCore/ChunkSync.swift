import Replicas
import Sodium
import Wire

/// Fetching vault chunks (PROTOCOL.md section 12): the vault index replicates as ops, but a
/// file's sealed chunks are too large for ops, so each node fetches the chunks its index names
/// and its store lacks from linked peers, a few at a time, and answers its peers' requests.
///
/// Rules it keeps:
/// - a chunk is stored only when it was asked for and its SHA-256 is its ID (anything else is
///   counted and dropped), so a peer can neither plant bytes nor swap a chunk;
/// - the node that uploaded a chunk is asked first while it is linked (it surely holds it),
///   then the other peers in turn;
/// - at most `maxInFlight` chunks are asked for at once (each at most 529,408 bytes), so
///   fetching never floods a link or memory; at most `maxWanted` chunks are tracked;
/// - a chunk a peer does not hold, or that does not come within `requestTimeout`, is asked of
///   the next peer at once; once every peer has said it does not hold it, the chunk waits (1 s
///   doubling per round to 8 s): peers fetch too, so it comes within reach; a new link makes
///   every waiting chunk due at once, since the new peer may hold it;
/// - a peer that asked for a chunk this node was itself fetching gets it as soon as it arrives;
/// - each peer is served at most `servedPerPeerPerSecond` chunks a second; beyond that its
///   requests go unanswered (it times out and asks elsewhere);
/// - the order of requests follows the order chunks were needed: no hash order reaches output.
public struct ChunkSync: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Chunks tracked at once (the chunk store's own limit).
        public var maxWanted = 200_000
        public var maxInFlight = 8
        /// Long enough for eight chunks (4 MiB) on a slow link; a late answer is still taken.
        public var requestTimeout: Duration = .seconds(4)
        public var retryStart: Duration = .seconds(1)
        public var retryMax: Duration = .seconds(8)
        /// How often timeouts and backoffs are looked at while any chunk is outstanding.
        public var tick: Duration = .seconds(1)
        /// Chunks served to one peer per second (and at most this many at once): a small
        /// `chunkWant` asks for up to 4 MiB, so answers are rationed per peer. A well-behaved
        /// peer asks for at most 8 at a time and never comes near it.
        public var servedPerPeerPerSecond = 64
        public init() {}
    }

    /// One chunk of one team.
    public struct Key: Hashable, Sendable {
        public var team: TeamID
        public var id: OpID

        public init(team: TeamID, id: OpID) {
            self.team = team
            self.id = id
        }
    }

    /// What chunk sync has done since start (for /metrics and the simulator).
    public struct Counters: Sendable, Equatable, Codable {
        public var requested = 0
        public var stored = 0
        public var notHeld = 0
        public var timedOut = 0
        /// Chunks that arrived unasked or did not hash to their ID.
        public var rejected = 0
        /// Chunk IDs peers asked this node for.
        public var served = 0
        /// Chunk IDs left unanswered because their peer was over its ration.
        public var throttled = 0
        /// Chunks no longer fetched because no blob names them any more (deleted).
        public var forgotten = 0
    }

    public let configuration: Configuration
    public private(set) var counters = Counters()
    /// How far the fetching of one chunk has gone.
    struct Attempts {
        /// Failed attempts so far; attempt `tries` goes to entry `tries % count` of `turns`.
        var tries = 0
        /// The peer turn it started at: consecutive keys start at consecutive peers, which
        /// spreads the load; consecutive attempts of one key go to consecutive peers.
        var offset: Int
        /// The node that uploaded it, asked first while linked.
        var holder: NodeID?

        /// The order peers are asked in: the holder first while linked, then the others in
        /// turn from `offset`.
        func turns(among reachable: [NodeID]) -> [NodeID] {
            let linkedHolder = holder.flatMap { reachable.contains($0) ? $0 : nil }
            let others = reachable.filter { $0 != linkedHolder }
            let rotated = others.indices.map { others[(offset + $0) % others.count] }
            return (linkedHolder.map { [$0] } ?? []) + rotated
        }

        func peer(among reachable: [NodeID]) -> NodeID {
            let order = turns(among: reachable)
            return order[tries % order.count]
        }
    }

    /// Every chunk tracked: ready, in flight or waiting out a backoff.
    private var attempts: [Key: Attempts] = [:]
    /// Chunks to ask for next, oldest need first (`readyHead` skips those already taken).
    private var ready: [Key] = []
    private var readyHead = 0
    private var inFlight: [Key: (peer: NodeID, deadline: Instant)] = [:]
    private var waiting: [Key: Instant] = [:]
    private var nextTick: Instant?
    /// Peers that asked for a chunk this node was fetching itself (so it answered "not
    /// held"): once it arrives it is passed on to them, and a chunk crosses several hops at
    /// link speed instead of one backoff per hop. At most 8 per chunk.
    private var askers: [Key: [NodeID]] = [:]
    /// The next key's starting peer turn.
    private var rotor = 0
    /// Each asking peer's serving ration: chunks it may still be sent, as of when.
    private var rations: [NodeID: (chunks: Int, at: Instant)] = [:]

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Chunks being fetched (ready, in flight or waiting).
    public var outstanding: Int { attempts.count }

    public var nextDeadline: Instant? { nextTick }

    /// The vault index names chunks of `team` that the local store lacks; `holder` (the node
    /// that uploaded them) is asked first whenever it is linked.
    mutating func need(team: TeamID, ids: [OpID], holder: NodeID?, at now: Instant, reachable: [NodeID],
                       effects: inout [MeshEffect]) {
        for id in ids {
            let key = Key(team: team, id: id)
            guard attempts[key] == nil else { continue }
            guard attempts.count < configuration.maxWanted else {
                effects.append(.limitReached(.wantedChunks))
                break
            }
            attempts[key] = Attempts(offset: rotor, holder: holder)
            rotor &+= 1
            ready.append(key)
        }
        pump(at: now, reachable: reachable, effects: &effects)
    }

    /// Stops fetching the chunks of `team` outside `named` (the chunks its vault index still
    /// names): their blobs were deleted. They leave every queue; a late answer for one is
    /// refused as unasked, like any chunk not asked for.
    mutating func forget(team: TeamID, keeping named: Set<OpID>) {
        let gone = attempts.keys.filter { $0.team == team && !named.contains($0.id) }
        for key in gone {
            attempts[key] = nil
            inFlight[key] = nil
            waiting[key] = nil
            askers[key] = nil
        }
        counters.forgotten += gone.count
    }

    /// A link came up: every chunk waiting out a backoff is due now.
    mutating func peerUp(at now: Instant, reachable: [NodeID], effects: inout [MeshEffect]) {
        requeue(Array(waiting.keys))
        pump(at: now, reachable: reachable, effects: &effects)
    }

    /// How many of `count` chunks `peer` may be sent now (and takes them from its ration, which
    /// refills at `servedPerPeerPerSecond`).
    private mutating func ration(for peer: NodeID, taking count: Int, at now: Instant) -> Int {
        let rate = configuration.servedPerPeerPerSecond
        let last = rations[peer] ?? (rate, now)
        let refill = Int((now - last.at).nanoseconds / 1_000_000 * Int64(rate) / 1000)
        let available = min(rate, last.chunks + refill)
        let granted = min(count, available)
        // Refill is counted in whole chunks; the remainder of the interval carries over.
        let at = refill > 0 ? now : last.at
        rations[peer] = (available - granted, at)
        return granted
    }

    /// A link went down: what was asked of that peer is asked of the next one now.
    mutating func peerDown(_ peer: NodeID, at now: Instant, reachable: [NodeID], effects: inout [MeshEffect]) {
        rations[peer] = nil
        let lost = inFlight.filter { $0.value.peer == peer }.keys
        guard !lost.isEmpty else { return }
        for key in Self.ordered(lost) { backOff(key, at: now, notHeld: false, reachable: reachable) }
        pump(at: now, reachable: reachable, effects: &effects)
    }

    mutating func receive(_ message: MeshMessage, from peer: NodeID, at now: Instant, reachable: [NodeID],
                          effects: inout [MeshEffect]) {
        switch message {
        case let .chunkWant(teamBytes, idBytes):
            guard let team = OpID(bytes: teamBytes) else { return }
            let asked = idBytes.prefix(ChunkLimits.idsPerWant).compactMap { OpID(bytes: $0) }
            let ids = Array(asked.prefix(ration(for: peer, taking: asked.count, at: now)))
            counters.throttled += asked.count - ids.count
            counters.served += ids.count
            for key in ids.map({ Key(team: team, id: $0) }) where attempts[key] != nil {
                var waiting = askers[key] ?? []
                if waiting.count < 8, !waiting.contains(peer) { waiting.append(peer) }
                askers[key] = waiting
            }
            if !ids.isEmpty { effects.append(.serveChunks(team: team, ids: ids, to: peer)) }
        case let .chunkData(teamBytes, idBytes, data):
            guard let team = OpID(bytes: teamBytes), let id = OpID(bytes: idBytes) else { return }
            let key = Key(team: team, id: id)
            guard attempts[key] != nil else {
                counters.rejected += 1
                effects.append(.dropped(.unaskedChunk, from: peer))
                return
            }
            // Only the peer asked last can fail the attempt; a late answer from an earlier one
            // is ignored, unless it brings the chunk.
            let answersAttempt = inFlight[key]?.peer == peer
            guard let data else {
                if answersAttempt {
                    counters.notHeld += 1
                    backOff(key, at: now, notHeld: true, reachable: reachable)
                    pump(at: now, reachable: reachable, effects: &effects)
                }
                return
            }
            guard SHA256.hash(data) == idBytes else {
                counters.rejected += 1
                effects.append(.dropped(.chunkHashMismatch, from: peer))
                if answersAttempt {
                    backOff(key, at: now, notHeld: true, reachable: reachable)
                    pump(at: now, reachable: reachable, effects: &effects)
                }
                return
            }
            attempts[key] = nil
            inFlight[key] = nil
            waiting[key] = nil
            counters.stored += 1
            effects.append(.storeChunk(team: team, id: id, data: data))
            for asker in askers.removeValue(forKey: key) ?? [] where asker != peer {
                effects.append(.serveChunks(team: team, ids: [id], to: asker))
            }
            pump(at: now, reachable: reachable, effects: &effects)
        default:
            break
        }
    }

    mutating func timer(at now: Instant, reachable: [NodeID], effects: inout [MeshEffect]) {
        guard let tick = nextTick, tick <= now else { return }
        nextTick = nil
        let expired = inFlight.filter { $0.value.deadline <= now }.keys
        // A request that timed out has waited long enough: it is asked again at once (of the
        // next peer), without a backoff on top.
        for key in Self.ordered(expired) {
            counters.timedOut += 1
            backOff(key, at: now, notHeld: false, reachable: reachable)
        }
        requeue(waiting.filter { $0.value <= now }.keys)
        pump(at: now, reachable: reachable, effects: &effects)
        scheduleTick(at: now)
    }

    /// Asks for ready chunks while fewer than `maxInFlight` are out: each chunk from the peer
    /// its turn and its failed attempts select, one `chunkWant` per peer and team (of at most
    /// `idsPerWant` IDs).
    private mutating func pump(at now: Instant, reachable: [NodeID], effects: inout [MeshEffect]) {
        guard !reachable.isEmpty else { return scheduleTick(at: now) }
        var requests: [(peer: NodeID, team: TeamID, ids: [OpID])] = []
        while inFlight.count < configuration.maxInFlight, readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            guard let a = attempts[key], inFlight[key] == nil, waiting[key] == nil else { continue }
            let peer = a.peer(among: reachable)
            inFlight[key] = (peer, now + configuration.requestTimeout)
            counters.requested += 1
            if let i = requests.firstIndex(where: { $0.peer == peer && $0.team == key.team && $0.ids.count < ChunkLimits.idsPerWant }) {
                requests[i].ids.append(key.id)
            } else {
                requests.append((peer, key.team, [key.id]))
            }
        }
        compactReady()
        for r in requests {
            effects.append(.send(.chunkWant(team: r.team.bytes, ids: r.ids.map(\.bytes)), to: r.peer))
        }
        scheduleTick(at: now)
    }

    /// Counts a failed attempt. The key is asked again at once, of the next peer in turn,
    /// unless `notHeld` ended a round in which every linked peer was asked: then it waits out
    /// the backoff (1 s doubling per round, to `retryMax`). A timeout never adds a wait.
    private mutating func backOff(_ key: Key, at now: Instant, notHeld: Bool, reachable: [NodeID]) {
        inFlight[key] = nil
        guard var a = attempts[key] else { return }
        a.tries += 1
        attempts[key] = a
        let round = max(1, a.turns(among: reachable).count)
        guard notHeld, a.tries % round == 0 else {
            ready.append(key)
            return
        }
        let rounds = a.tries / round
        let delay = min(configuration.retryStart.nanoseconds << min(rounds - 1, 30), configuration.retryMax.nanoseconds)
        waiting[key] = now + .nanoseconds(delay)
        scheduleTick(at: now)
    }

    private mutating func requeue<S: Sequence>(_ keys: S) where S.Element == Key {
        for key in Self.ordered(keys) {
            waiting[key] = nil
            ready.append(key)
        }
    }

    private mutating func scheduleTick(at now: Instant) {
        guard nextTick == nil, !inFlight.isEmpty || !waiting.isEmpty || readyHead < ready.count else { return }
        nextTick = now + configuration.tick
    }

    /// Drops the taken prefix of `ready` once it is most of the array.
    private mutating func compactReady() {
        guard readyHead > 1024, readyHead * 2 > ready.count else { return }
        ready.removeFirst(readyHead)
        readyHead = 0
    }

    /// Keys in a fixed order (team, then ID), whatever order a dictionary gave them in.
    private static func ordered<S: Sequence>(_ keys: S) -> [Key] where S.Element == Key {
        keys.sorted { ($0.team, $0.id) < ($1.team, $1.id) }
    }
}
