import DequeModule
import Replicas
import Sodium
import Wire

/// Settings of the replication core, each with its unit.
public struct ReplicationConfiguration: Sendable, Equatable {
    /// Every interval, each team syncs with one random reachable member.
    public var syncInterval: Duration = .seconds(10)
    /// A sync that has heard nothing from its peer for this long gives way to the next peer
    /// waiting (each batch of a paged exchange restarts it: a long pull that keeps moving is
    /// not cut off).
    public var syncTimeout: Duration = .seconds(1)
    /// Most op bytes in one sync batch.
    public var batchBytes = 256 * 1024
    /// Batches larger than this are zstd-compressed (bytes).
    public var compressAbove = 1024
    /// Most bytes a compressed batch may expand to.
    public var maxBatchBytesDecompressed = 4 << 20
    /// Teams a node keeps.
    public var maxTeams = 64
    /// Ops of teams whose creating op has not arrived yet, kept until it does, at most this
    /// many: when full, the oldest goes to make room (anti-entropy brings it again once the
    /// team is held).
    public var maxOrphanOps = 10_000
    /// …and at most this long (wall clock, ms): a stranger's junk does not outlive its welcome.
    public var orphanMaxAgeMs: UInt64 = 10 * 60 * 1000
    public var replicaLimits = TeamReplica.Limits()

    public init() {}
}

/// What the replication core counted.
public struct ReplicationCounters: Sendable, Equatable, Codable {
    public var opsWritten = 0
    public var writesRefused = 0
    public var opsFromGossip = 0
    public var opsFromSync = 0
    public var opsLogged = 0
    public var vectorsSent = 0
    public var batchesSent = 0
    /// Bytes of SyncOps messages put on links (payload as sent, compressed or not).
    public var syncBytesSent = 0
    /// Bytes of the ops inside those batches, before compression.
    public var syncOpBytesSent = 0
    /// Bytes of ops that arrived in sync batches and were new to this node: what was missing.
    public var syncOpBytesLogged = 0
    public var badBatches = 0
    public var unknownTeamOps = 0
    /// Orphan ops let go: older than `orphanMaxAgeMs`, or the oldest when the room was full.
    public var orphansExpired = 0
    public var orphansEvicted = 0
    /// Ops that waited behind a sequence gap longer than the replica's `maxHeldAgeMs`.
    public var heldExpired = 0
    public var teamsRefused = 0
    /// Ops refused because they are dated more than `HybridLogicalClock.maxLeadMs` ahead of
    /// this node's wall clock (offered again by sync once it has caught up).
    public var opsTooFarAhead = 0

    public init() {}
}

/// A local write request's answer.
public enum WriteOutcome: Sendable, Equatable {
    /// Logged and applied; durable once the preceding `persistOps` effect is carried out.
    case applied(SignedOp)
    /// Logged, but it lost a race: the conflict is recorded everywhere.
    case conflict(SignedOp, Conflict)
    /// Not written: the rules refuse it (nothing was logged).
    case refused(Rejection.Reason, String)
    /// Not written: it breaks a limit of `OpLimits` (nothing was signed).
    case invalid(OpLimitViolation)
    case noSuchTeam(TeamID)
}

/// A change to a replica, for the services and their event stream.
public struct ReplicaChange: Sendable, Equatable {
    public var team: TeamID
    /// Ops that entered the log, in fold order, each with how the rules decided it.
    public var ops: [SignedOp]
    public var outcomes: [RuleOutcome]
    /// True when earlier decisions were re-evaluated (an op arrived late).
    public var refolded: Bool
}

/// Replication of team op logs (DESIGN.md section 4): local writes, ops arriving by gossip, and
/// anti-entropy by version vectors. A sans-IO core: it signs with the key it was given, takes
/// wall time as an input, and returns effects.
///
/// Rules it keeps (PROTOCOL.md section 8):
/// - a local write is checked against the rules first and, when refused, never logged;
/// - every op that enters a log is persisted (`persistOps`) before anything else is done about
///   it: the answer to the writer, the broadcast, or the change event;
/// - anti-entropy sends exactly the ops the peer's vector lacks, in batches of at most
///   `batchBytes`, compressed above `compressAbove`, and a peer pages through with new vectors;
/// - ops that arrive by sync are passed on by vectors, not by broadcast: when a pull brought new
///   ops, every other reachable neighbour (member or not) gets this node's vector and pulls
///   what it lacks, so repaired ops spread as exact differences, each node pulling from one
///   peer at a time; a pull or an announcement left unanswered is tried once more;
/// - an op from a peer dated more than `HybridLogicalClock.maxLeadMs` ahead of this node's wall
///   clock is refused (counted, `opTooFarAhead`): it neither enters a log nor moves the clock.
///   Its holders offer it again at every sync, and it is taken in once the local clock is
///   within the bound. A sync batch that brought nothing but such refusals ends the pull
///   (paging on would be offered the same ops again and again).
///
/// Bounds: one pull and one queue of waiting peers per team, one unanswered announcement per
/// (team, neighbour); all are dropped when answered or after their second timeout.
public struct Replication: Sendable {
    public let configuration: ReplicationConfiguration
    public private(set) var counters = ReplicationCounters()
    public private(set) var author: OpAuthor
    private var replicas: [TeamID: TeamReplica] = [:]
    /// Ops that arrived before their team's creating op, by team, oldest first.
    private var orphans: [TeamID: Deque<SignedOp>] = [:]
    private var orphanCount = 0
    /// Every orphan kept, in arrival order, with its arrival time (wall ms): for age and room.
    private var orphanOrder = Deque<(team: TeamID, op: OpID, atMs: UInt64)>()
    private var syncDue: Instant?
    /// One pull at a time per team, so the same ops do not arrive from two peers at once: the
    /// peer being synced with, and the peers waiting their turn, each with the vector it
    /// showed when it is known (a peer whose vector this node covers by its turn is skipped).
    private var syncing: [TeamID: Pull] = [:]
    private var waiting: [TeamID: [Turn]] = [:]
    /// Teams for which sync batches brought ops this node's neighbours may lack: when the pull
    /// ends they hear this node's vector.
    private var news: Set<TeamID> = []
    /// Neighbours told this node's vector that have not answered yet, by team: one that stays
    /// silent past `syncTimeout` is told once more (the news would otherwise wait for the next
    /// periodic sync).
    private var unanswered: [TeamID: [NodeID: Wait]] = [:]

    public var me: NodeID { author.id }

    /// An answer awaited from a peer until `until`. A wait that runs out is tried once more
    /// (`isRetry`): a lost vector or batch would otherwise leave the gap until the next
    /// periodic sync.
    private struct Wait {
        var until: Instant
        var isRetry: Bool
    }

    /// A pull under way.
    private struct Pull {
        var peer: NodeID
        var wait: Wait
    }

    /// A peer waiting its turn to be pulled from.
    private struct Turn {
        var peer: NodeID
        var theirs: VersionVector?
        var isRetry = false
    }

    /// - Parameter restoredLogs: each team's log as persisted, genesis first.
    public init(keyPair: Ed25519KeyPair, configuration: ReplicationConfiguration, restoredLogs: [[SignedOp]] = []) {
        self.configuration = configuration
        author = OpAuthor(keyPair: keyPair)
        for log in restoredLogs {
            guard let genesis = log.first, var replica = try? TeamReplica(genesis: genesis, limits: configuration.replicaLimits)
            else { continue }
            // By sequence number: the log is stored in batches ordered by HLC, which a member can
            // sign out of step with its seq, and a replica holds ops only near its log
            // (`maxHeldAhead`); the fold does not depend on the order ops arrive in.
            _ = replica.restore(Array(log.dropFirst()))
            replicas[replica.id] = replica
            // Every logged op, as when it arrived live: a person who wrote here (their ops are
            // dated by this node's clock) must find the clock past their last op after a restart.
            for op in log { author.witness(op) }
        }
    }

    // MARK: Reading

    /// Team IDs, sorted.
    public var teamIDs: [TeamID] { replicas.keys.sorted() }
    public func replica(_ team: TeamID) -> TeamReplica? { replicas[team] }

    /// When the next periodic sync, or the timeout of a sync under way, is due.
    public var nextDeadline: Instant? {
        ([syncDue] + syncing.values.map { Optional($0.wait.until) } + unanswered.values.flatMap { $0.values.map { Optional($0.until) } })
            .compactMap { $0 }.min()
    }

    // MARK: Local writes

    /// Creates a team with this node as its Super Admin.
    public mutating func createTeam(name: String, nonce: [UInt8], wallMs: UInt64, broadcasts: inout [[UInt8]],
                                    effects: inout [MeshEffect]) -> WriteOutcome {
        guard replicas.count < configuration.maxTeams else {
            return .refused(.invalid, "this node keeps at most \(configuration.maxTeams) teams")
        }
        do { try OpValidator.validate(.createTeam(name: name, nonce: nonce)) } catch { return .invalid(error) }
        let genesis = author.createTeam(name: name, nonce: nonce, wallMs: wallMs)
        guard let replica = try? TeamReplica(genesis: genesis, limits: configuration.replicaLimits) else {
            return .refused(.invalid, "cannot create the team")
        }
        replicas[replica.id] = replica
        counters.opsWritten += 1
        effects.append(.persistOps(team: replica.id, ops: [genesis]))
        effects.append(.replicaChanged(ReplicaChange(team: replica.id, ops: [genesis], outcomes: [.applied], refolded: false)))
        broadcasts.append(GossipPayloadCoding.encode(genesis))
        return .applied(genesis)
    }

    /// Writes `operation` in `team` as this node, or as `person` when that person is a member
    /// of the team (a member whose keys are not at hand is refused: they must sign in again; a
    /// person the team removed is refused too, never signed for by the node).
    /// With `unchecked` the local rule check is skipped (the simulator uses it to play a
    /// misbehaving node; every other replica still applies the rules).
    public mutating func write(_ operation: TeamOperation, team: TeamID, wallMs: UInt64, unchecked: Bool = false,
                               person: ActingPerson? = nil, broadcasts: inout [[UInt8]], effects: inout [MeshEffect]) -> WriteOutcome {
        guard var replica = replicas[team] else { return .noSuchTeam(team) }
        // Nothing that a decoder would refuse is ever signed: an op this node cannot read back
        // would stop it at its next start and be refused by every peer.
        do { try OpValidator.validate(operation) } catch {
            counters.writesRefused += 1
            return .invalid(error)
        }
        // Who signs (PROTOCOL.md section 13): a member person as themself, anyone else's
        // write is the node's.
        var signer: Ed25519KeyPair?
        if let person, replica.state.role(of: person.id) == nil {
            if replica.state.members.wasEverPut(person.id) {
                // Removed from the team: the node must not sign for them instead (removal is real).
                counters.writesRefused += 1
                return .refused(.notAMember, "\(person.id.short) was removed from this team: a member must add them again")
            }
        } else if let person {
            guard let keys = person.keys, NodeID(publicKey: keys.publicKey) == person.id else {
                counters.writesRefused += 1
                return .refused(.forbidden, "sign in again: \(person.id.short) is a member of this team and writes as themself, "
                                + "and their keys are opened only by a login (they are not kept across sign-outs or restarts)")
            }
            signer = keys
        }
        let op = author.write(operation, in: replica, wallMs: wallMs, as: signer)
        // An op of an author this log does not know would be set aside, not logged: it must not
        // be acknowledged, and its sequence number would be signed again by the next write
        // (the rule check refuses it first; an unchecked write reaches here).
        guard replica.knowsAuthor(op.author) else {
            counters.writesRefused += 1
            return .refused(.notAMember, "\(op.author.short) is not a member in this node's log of the team: nothing was written")
        }
        if !unchecked {
            if case let .rejected(reason, detail) = replica.check(op) {
                counters.writesRefused += 1
                return .refused(reason, detail)
            }
        }
        let report = replica.ingest([op], atMs: wallMs)
        // Its own log refuses an op only at the very end of time (its clock cannot rise).
        if case let (_, .refused(why))? = report.admissions.first {
            counters.writesRefused += 1
            return .refused(.invalid, why)
        }
        replicas[team] = replica
        counters.opsWritten += 1
        counters.opsLogged += report.logged.count
        effects.append(.persistOps(team: team, ops: report.logged))
        effects.append(.replicaChanged(change(team, report)))
        broadcasts.append(GossipPayloadCoding.encode(op))
        switch report.outcomes[op.id] {
        case let .conflict(c)?: return .conflict(op, c)
        default: return .applied(op)
        }
    }

    // MARK: Ops from peers

    /// A broadcast the router delivered. Returns false when it does not carry an op.
    ///
    /// A team's creating op starts a replica here (every node relays every team's ops, and
    /// holds at most `maxTeams`); ops of a team not held yet wait for it (at most
    /// `maxOrphanOps`).
    public mutating func receiveBroadcast(_ payload: [UInt8], wallMs: UInt64, effects: inout [MeshEffect]) -> Bool {
        guard let op = try? GossipPayloadCoding.decode(payload) else { return false }
        counters.opsFromGossip += 1
        guard !isTooFarAhead(op, wallMs: wallMs, from: nil, effects: &effects) else { return true }
        let team = op.body.team ?? op.id
        if replicas[team] == nil {
            guard op.body.team == nil else {
                keepOrphan(op, team: team, wallMs: wallMs, effects: &effects)
                return true
            }
            guard adopt(genesis: op, effects: &effects) else { return true }
            ingest(takeOrphans(of: team), team: team, wallMs: wallMs, effects: &effects)
            return true
        }
        ingest([op], team: team, wallMs: wallMs, effects: &effects)
        return true
    }

    private mutating func keepOrphan(_ op: SignedOp, team: TeamID, wallMs: UInt64, effects: inout [MeshEffect]) {
        expireOrphans(wallMs: wallMs)
        guard configuration.maxOrphanOps > 0 else {
            counters.unknownTeamOps += 1
            effects.append(.limitReached(.orphanOps))
            return
        }
        if orphanCount >= configuration.maxOrphanOps {
            // Full: the oldest makes room, so a flood of junk cannot keep a real team's early
            // ops out for good.
            counters.orphansEvicted += dropOldestOrphan() ? 1 : 0
            effects.append(.limitReached(.orphanOps))
        }
        orphans[team, default: []].append(op)
        orphanCount += 1
        orphanOrder.append((team, op.id, wallMs))
    }

    /// Lets go of orphans older than `orphanMaxAgeMs` (by this node's wall clock). Places of
    /// orphans that already joined their team are passed over first, so only the age of one
    /// still waiting decides.
    private mutating func expireOrphans(wallMs: UInt64) {
        while let first = orphanOrder.first {
            guard isWaiting(first) else { orphanOrder.removeFirst(); continue }
            guard wallMs >= first.atMs, wallMs - first.atMs >= configuration.orphanMaxAgeMs else { return }
            if dropOldestOrphan() { counters.orphansExpired += 1 }
        }
    }

    /// A place in the arrival order is still waiting exactly when it heads its team's queue:
    /// both are in arrival order, and both lose their oldest together (`dropOldestOrphan`) or a
    /// whole team at once (`takeOrphans`).
    private func isWaiting(_ place: (team: TeamID, op: OpID, atMs: UInt64)) -> Bool {
        orphans[place.team]?.first?.id == place.op
    }

    /// Drops the orphan at the head of `orphanOrder`; false when it had already left (its
    /// team arrived).
    private mutating func dropOldestOrphan() -> Bool {
        while let first = orphanOrder.popFirst() {
            guard isWaiting(first) else { continue }
            orphans[first.team]!.removeFirst()  // in place: O(1), no copy of the queue
            if orphans[first.team]!.isEmpty { orphans[first.team] = nil }
            orphanCount -= 1
            return true
        }
        return false
    }

    /// The orphans of `team`, whose creating op has arrived, oldest first; they leave the room.
    private mutating func takeOrphans(of team: TeamID) -> [SignedOp] {
        let waiting = Array(orphans.removeValue(forKey: team) ?? [])
        orphanCount -= waiting.count
        // Their places in the arrival order are skipped when reached; compact when they
        // outnumber the living, so the order stays bounded by the room.
        if orphanOrder.count > 2 * max(1, orphanCount) + 64 {
            orphanOrder = Deque(orphanOrder.filter { orphans[$0.team] != nil })
        }
        return waiting
    }

    /// Lets go of ops that waited (for a predecessor, or for the op adding their author) longer
    /// than the replica's `maxHeldAgeMs`.
    private mutating func dropStaleHeldOps(wallMs: UInt64) {
        for team in replicas.keys.sorted() where replicas[team]!.heldOpCount + replicas[team]!.strangerOpCount > 0 {
            counters.heldExpired += replicas[team]!.dropHeld(at: wallMs)
        }
    }

    /// Orphan ops kept now (tests, footprint).
    public var orphanOpCount: Int { orphanCount }

    /// Starts a replica from a team's creating op and persists that op.
    private mutating func adopt(genesis: SignedOp, effects: inout [MeshEffect]) -> Bool {
        guard replicas.count < configuration.maxTeams,
              let replica = try? TeamReplica(genesis: genesis, limits: configuration.replicaLimits) else {
            counters.teamsRefused += 1
            effects.append(.limitReached(.teams))
            return false
        }
        replicas[replica.id] = replica
        effects.append(.persistOps(team: replica.id, ops: [genesis]))
        effects.append(.replicaChanged(ReplicaChange(team: replica.id, ops: [genesis], outcomes: [.applied], refolded: false)))
        return true
    }

    /// - Parameter neighbours: the reachable neighbours, in a stable order; they hear this
    ///   node's vector when a pull brings news.
    public mutating func receive(_ message: MeshMessage, from peer: NodeID, at now: Instant, wallMs: UInt64,
                                 neighbours: [NodeID] = [], effects: inout [MeshEffect]) {
        switch message {
        case let .syncVector(teamBytes, entries, reply):
            guard let team = OpID(bytes: teamBytes) else { return }
            let theirs = VersionVector(entries.map { ($0.author, $0.seq) })
            guard let replica = replicas[team] else {
                // Not held yet: an empty vector asks for everything, genesis first; an empty
                // batch tells the asker this side is done.
                if reply { sendDone(team, to: peer, effects: &effects) }
                sendVector(team: team, vector: VersionVector(), reply: false, to: peer, effects: &effects)
                return
            }
            // A vector that wants a reply is always answered, if only by an empty batch: the
            // asker then knows this pull is over.
            if !sendMissing(replica, to: peer, theirs: theirs, effects: &effects) && reply {
                sendDone(team, to: peer, effects: &effects)
            }
            // When the peer holds ops this node lacks, pull them too (after any pull under way).
            if reply && !replica.vector.covers(theirs) {
                requestSync(team, with: peer, theirs: theirs, at: now, effects: &effects)
            }
        case let .syncOps(teamBytes, bytes, compressed, more, count):
            guard let team = OpID(bytes: teamBytes) else { return }
            var more = more
            if count > 0 || more {
                more = receiveBatch(team: team, bytes: bytes, compressed: compressed, more: more, from: peer, wallMs: wallMs,
                                    effects: &effects)
            }
            if more {
                // The peer is answering: its silence, not the pull's length, is what times out.
                if syncing[team]?.peer == peer { syncing[team]!.wait.until = now + configuration.syncTimeout }
                if unanswered[team]?[peer] != nil { unanswered[team]![peer]!.until = now + configuration.syncTimeout }
            } else {
                unanswered[team]?[peer] = nil
                if unanswered[team]?.isEmpty == true { unanswered[team] = nil }
                syncDone(team, with: peer, at: now, effects: &effects)
                if news.remove(team) != nil { announce(team, except: peer, to: neighbours, at: now, effects: &effects) }
            }
        default:
            break
        }
    }

    /// Takes in one sync batch; returns whether the pull pages on (the peer has more, and this
    /// batch was not all refused as dated too far ahead).
    private mutating func receiveBatch(team: TeamID, bytes: [UInt8], compressed: Bool, more: Bool, from peer: NodeID,
                                       wallMs: UInt64, effects: inout [MeshEffect]) -> Bool {
        var ops: [SignedOp]
        do {
            let raw = compressed ? try Zstd.decompress(bytes, maxSize: configuration.maxBatchBytesDecompressed) : bytes
            ops = try OpBatchCoding.decode(raw)
        } catch {
            counters.badBatches += 1
            effects.append(.dropped(.malformedBatch, from: peer))
            return more
        }
        counters.opsFromSync += ops.count
        let offered = ops.count
        ops.removeAll { isTooFarAhead($0, wallMs: wallMs, from: peer, effects: &effects) }
        let refusedAhead = offered - ops.count
        var incoming = ops.filter { $0.id != team }
        if replicas[team] == nil {
            guard let genesis = ops.first(where: { $0.id == team }) else {
                counters.unknownTeamOps += ops.count
                return more && refusedAhead == 0
            }
            guard adopt(genesis: genesis, effects: &effects) else { return more }
            counters.syncOpBytesLogged += genesis.size
            incoming += takeOrphans(of: team)
        }
        let strangersBefore = replicas[team]?.counters.strangerOps ?? 0
        let logged = ingest(incoming, team: team, wallMs: wallMs, effects: &effects)
        let refusedStrangers = (replicas[team]?.counters.strangerOps ?? 0) - strangersBefore
        counters.syncOpBytesLogged += logged.reduce(0) { $0 + $1.size }
        if !logged.isEmpty { news.insert(team) }
        // A batch whose only news was refused (dated too far ahead, or a stranger's) would come
        // back the same: the pull ends here, and the next sync offers those ops again.
        let pagesOn = more && (refusedAhead + refusedStrangers == 0 || !logged.isEmpty)
        if pagesOn, let replica = replicas[team] {
            sendVector(team: team, vector: replica.vector, reply: true, to: peer, effects: &effects)
        }
        return pagesOn
    }

    /// Whether `op` is dated more than `HybridLogicalClock.maxLeadMs` ahead of the wall time
    /// `wallMs`; such an op is counted and dropped, not taken in now.
    private mutating func isTooFarAhead(_ op: SignedOp, wallMs: UInt64, from peer: NodeID?,
                                        effects: inout [MeshEffect]) -> Bool {
        guard HybridLogicalClock.isTooFarAhead(op.body.hlc, wallMs: wallMs) else { return false }
        counters.opsTooFarAhead += 1
        effects.append(.dropped(.opTooFarAhead, from: peer))
        return true
    }

    @discardableResult
    private mutating func ingest(_ ops: [SignedOp], team: TeamID, wallMs: UInt64, effects: inout [MeshEffect]) -> [SignedOp] {
        guard var replica = replicas[team] else { return [] }
        let report = replica.ingest(ops, atMs: wallMs)
        replicas[team] = replica
        for op in report.logged { author.witness(op) }
        guard !report.logged.isEmpty else { return [] }
        counters.opsLogged += report.logged.count
        effects.append(.persistOps(team: team, ops: report.logged))
        effects.append(.replicaChanged(change(team, report)))
        return report.logged
    }

    private func change(_ team: TeamID, _ report: TeamReplica.Report) -> ReplicaChange {
        ReplicaChange(team: team, ops: report.logged, outcomes: report.logged.map { report.outcomes[$0.id] ?? .applied },
                      refolded: report.refolded)
    }

    // MARK: Anti-entropy

    /// A peer came up: sync every team it is a member of.
    public mutating func peerUp(_ peer: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        for team in teamIDs where replicas[team]!.state.role(of: peer) != nil {
            requestSync(team, with: peer, at: now, effects: &effects)
        }
        if syncDue == nil { syncDue = now + configuration.syncInterval }
    }

    /// Every `syncInterval`, each team syncs with one random reachable member (a random
    /// reachable neighbour when no member is: relays hold the teams they hear of); a sync that
    /// timed out gives way to the next peer waiting, and is tried once more after them. With
    /// `wallMs`, orphans past their age are let go too, so they go even when no new orphan
    /// arrives to push them out.
    public mutating func timer<R: RandomNumberGenerator>(at now: Instant, reachable: [NodeID], wallMs: UInt64? = nil, using rng: inout R,
                                                         effects: inout [MeshEffect]) {
        if let wallMs {
            expireOrphans(wallMs: wallMs)
            dropStaleHeldOps(wallMs: wallMs)
        }
        for team in syncing.keys.sorted() where syncing[team]!.wait.until <= now {
            let pull = syncing[team]!
            if !pull.wait.isRetry && reachable.contains(pull.peer) {
                waiting[team, default: []].removeAll { $0.peer == pull.peer }
                waiting[team, default: []].append(Turn(peer: pull.peer, theirs: nil, isRetry: true))
            }
            syncDone(team, with: pull.peer, at: now, effects: &effects)
        }
        retellUnanswered(at: now, reachable: reachable, effects: &effects)
        guard let due = syncDue, due <= now else { return }
        for team in teamIDs {
            let replica = replicas[team]!
            // A member whose neighbours are all relays (non-members, which hold every team they
            // hear of) pulls from one of them: otherwise it would hear of what it missed only when
            // a relay happened to pull from it (a fresh seed of team-pairing lost ops that way).
            let members = reachable.filter { replica.state.role(of: $0) != nil }
            if let peer = (members.isEmpty ? reachable : members).randomElement(using: &rng) {
                requestSync(team, with: peer, at: now, effects: &effects)
            }
        }
        syncDue = now + configuration.syncInterval
    }

    /// Pulls `team` from `peer` now, or after the pull under way. `theirs` is the vector the
    /// peer showed, when the pull is for what it showed: by its turn this node may hold it all.
    private mutating func requestSync(_ team: TeamID, with peer: NodeID, theirs: VersionVector? = nil, isRetry: Bool = false,
                                      at now: Instant, effects: inout [MeshEffect]) {
        if let current = syncing[team] {
            // A peer that showed a vector while being pulled from may have learned more since
            // it answered: it waits its turn too, and is skipped then if it showed nothing new.
            if current.peer == peer && theirs == nil { return }
            if let k = waiting[team]?.firstIndex(where: { $0.peer == peer }) {
                // An unknown vector (nil) means "pull whatever it holds" and stays so.
                let known = waiting[team]![k].theirs
                waiting[team]![k].theirs = known.flatMap { a in theirs.map { a.merged(with: $0) } }
            } else {
                waiting[team, default: []].append(Turn(peer: peer, theirs: theirs))
            }
            return
        }
        syncing[team] = Pull(peer: peer, wait: wait(from: now, isRetry: isRetry))
        sendVector(team: team, vector: replicas[team]!.vector, reply: true, to: peer, effects: &effects)
    }

    private mutating func syncDone(_ team: TeamID, with peer: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        guard syncing[team]?.peer == peer else { return }
        syncing[team] = nil
        while var queue = waiting[team], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[team] = queue.isEmpty ? nil : queue
            if let theirs = next.theirs, let replica = replicas[team], replica.vector.covers(theirs) { continue }
            requestSync(team, with: next.peer, theirs: next.theirs, isRetry: next.isRetry, at: now, effects: &effects)
            return
        }
    }

    /// Tells every neighbour but `source` this node's vector, asking for a reply: each answers
    /// with what this node lacks, if anything, and pulls what it lacks itself. Not only members:
    /// every node relays a team's ops and holds its replica, and a gap of non-members between
    /// members must not stop the repair.
    private mutating func announce(_ team: TeamID, except source: NodeID, to neighbours: [NodeID], at now: Instant,
                                   effects: inout [MeshEffect]) {
        guard let replica = replicas[team] else { return }
        for peer in neighbours where peer != source {
            sendVector(team: team, vector: replica.vector, reply: true, to: peer, effects: &effects)
            unanswered[team, default: [:]][peer] = wait(from: now, isRetry: false)
        }
    }

    /// Tells silent neighbours this node's vector once more; forgets those told twice.
    private mutating func retellUnanswered(at now: Instant, reachable: [NodeID], effects: inout [MeshEffect]) {
        for team in unanswered.keys.sorted() {
            var waits = unanswered[team]!
            for (peer, wait) in waits.sorted(by: { $0.key < $1.key }) where wait.until <= now {
                if !wait.isRetry, reachable.contains(peer), let replica = replicas[team] {
                    sendVector(team: team, vector: replica.vector, reply: true, to: peer, effects: &effects)
                    waits[peer] = self.wait(from: now, isRetry: true)
                } else {
                    waits[peer] = nil
                }
            }
            unanswered[team] = waits.isEmpty ? nil : waits
        }
    }

    private func wait(from now: Instant, isRetry: Bool) -> Wait {
        Wait(until: now + configuration.syncTimeout, isRetry: isRetry)
    }

    private mutating func sendDone(_ team: TeamID, to peer: NodeID, effects: inout [MeshEffect]) {
        effects.append(.send(.syncOps(team: team.bytes, ops: [], compressed: false, more: false, count: 0), to: peer))
    }

    private mutating func sendVector(team: TeamID, vector: VersionVector, reply: Bool, to peer: NodeID,
                                     effects: inout [MeshEffect]) {
        counters.vectorsSent += 1
        effects.append(.send(.syncVector(team: team.bytes, entries: vector.entries.map { VectorEntry(author: $0.author, seq: $0.seq) },
                                         reply: reply), to: peer))
    }

    /// Sends the next batch the peer lacks; false when it lacks nothing.
    @discardableResult
    private mutating func sendMissing(_ replica: TeamReplica, to peer: NodeID, theirs: VersionVector,
                                      effects: inout [MeshEffect]) -> Bool {
        let (ops, complete) = replica.ops(missingFrom: theirs, maxBytes: configuration.batchBytes)
        guard !ops.isEmpty else { return false }
        let raw = OpBatchCoding.encode(ops)
        let compress = raw.count > configuration.compressAbove
        let body = compress ? Zstd.compress(raw) : raw
        counters.batchesSent += 1
        counters.syncBytesSent += body.count
        counters.syncOpBytesSent += ops.reduce(0) { $0 + $1.size }
        effects.append(.send(.syncOps(team: replica.id.bytes, ops: body, compressed: compress, more: !complete,
                                      count: UInt32(ops.count)), to: peer))
        return true
    }
}
