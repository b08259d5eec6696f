import MeshCore
import Replicas
import Sodium
import Wire

/// One adversary during a run: what it recorded, signed and made up, and what it sent.
struct AdversaryState {
    let spec: AdversarySpec
    /// Its own generator (forked from the run's seed): its draws never shift the honest nodes'.
    var rng: SeededGenerator
    /// Shots fired so far: each kind cycles through its list of shots.
    var shot = 0
    /// Sequence numbers of the gossip frames it forges in its own name: far above its core's
    /// own broadcasts, so the two never share an ID.
    var nextFrameSeq: UInt64 = 1 << 40
    /// The last sequence number it signed in each team (its chain there).
    var chain: [TeamID: UInt64] = [:]
    /// `extremeIntegers`: a vector of 40,000 made-up authors, made once.
    var bigVector: [VectorEntry] = []
    /// `junkFlood`: its latest ops in the honest team, sent again in unasked sync batches.
    var recentOps: [SignedOp] = []
    /// The teams it created, in order.
    var ownTeams: [TeamID] = []
    /// The last HLC it signed with in its own teams.
    var ownHLC = HLCTimestamp.zero
    /// Keys it made up: puppets it tries to add as members, and one-op authors.
    var madeUp: [NodeID] = []
    /// `replay`: what it received, with the time it arrived.
    var recorded: [(at: Int64, message: MeshMessage)] = []
    var cursor = 0
    /// `backdater`: its honest write before the removal, and the removal itself.
    var honestOps: [OpID] = []
    var removal: SignedOp?
    var figures: AdversaryFigures
}

/// The adversaries of a scenario (Adversary.swift): their bursts, and the forged messages of each kind.
extension Simulator {
    /// The title and name every forged op uses, so no replica may show it.
    static let adversaryText = "forged-by-adversary"

    func isAdversary(_ i: Int) -> Bool { adversaryAt[i] != nil }

    /// Every adversary but a backdater is left out of the team: it is a peer, not a member.
    func leftOutOfTeam(_ i: Int) -> Bool {
        adversaryAt[i].map { adversaries[$0].spec.kind != .backdater } ?? false
    }

    func scheduleAdversaries() {
        let ns: Int64 = 1_000_000
        for (k, a) in adversaries.enumerated() {
            queue.push(.adversaryBurst(k), at: a.spec.startMs * ns)
            if a.spec.kind == .backdater, let removed = a.spec.removedAtMs {
                queue.push(.adversaryHonestWrite(k), at: removed / 2 * ns)
                queue.push(.adversaryRemoval(k), at: removed * ns)
            }
        }
    }

    // MARK: Bursts

    func adversaryBurst(_ k: Int) {
        let spec = adversaries[k].spec
        let next = now + spec.everyMs * 1_000_000
        if next <= spec.lastBurstMs(durationMs: scenario.durationMs) * 1_000_000 { queue.push(.adversaryBurst(k), at: next) }
        // A crashed adversary sends nothing (its bursts resume when it restarts).
        guard nodes[spec.node].up else { return }
        if adversaryObservations.firstAttackAt == nil { adversaryObservations.firstAttackAt = now }
        trace.record(TraceTag.adversary, at: now, [Int64(spec.node), Int64(AdversarySpec.Kind.allCases.firstIndex(of: spec.kind)!)],
                     line: "n\(spec.node) (\(spec.kind.rawValue)) burst")
        for _ in 0..<spec.burst {
            switch spec.kind {
            case .extremeIntegers: extremeShot(k)
            case .junkFlood: junkShot(k)
            case .replay: replayShot(k)
            case .backdater: backdatedShot(k)
            }
            adversaries[k].shot += 1
        }
        if spec.kind == .junkFlood { junkBatch(k) }
    }

    // MARK: Sending

    /// Sends `message` from adversary `k` to `targets` (its neighbours by default), through the
    /// wire codec first: what it refuses (a frame above 1 MiB, bytes that do not decode) is
    /// counted and goes nowhere, as on a real link.
    func forge(_ message: MeshMessage, adversary k: Int, to targets: [Int]? = nil) {
        let i = adversaries[k].spec.node
        let bytes = message.serialized()
        guard bytes.count + Framing.prefixBytes <= Framing.defaultMaximumFrameBytes,
              let decoded = try? MeshMessage(serialized: bytes) else {
            adversaries[k].figures.refusedByWire += 1
            trace.record(TraceTag.adversary, at: now, [Int64(i), -1, Int64(bytes.count)],
                         line: "n\(i) forged \(message.kindName) of \(bytes.count) bytes: refused by the wire codec")
            return
        }
        for j in targets ?? topology.neighbours[i] {
            adversaries[k].figures.messagesSent += 1
            transmit(decoded, from: i, to: j)
        }
    }

    /// A gossip frame in the adversary's own name, as a new broadcast.
    func frame(_ payload: [UInt8], adversary k: Int) -> MeshMessage {
        let seq = adversaries[k].nextFrameSeq
        adversaries[k].nextFrameSeq += 1
        return .gossip(GossipFrame(origin: nodes[adversaries[k].spec.node].id, seq: seq, ttl: scenario.gossip.ttl, hops: 0,
                                   payload: payload))
    }

    /// Signs an op as `keys` (the adversary's, or one it made up), whatever its fields say.
    func signForged(_ op: TeamOperation, team: TeamID?, seq: UInt64, hlc: HLCTimestamp, keys: Ed25519KeyPair) -> SignedOp {
        SignedOp.sign(OpBody(authorKey: keys.publicKey, seq: seq, hlc: hlc, team: team, operation: op), with: keys)
    }

    /// Broadcasts `op` as a new gossip frame of adversary `k`.
    func forgeOp(_ op: SignedOp, adversary k: Int) {
        adversaries[k].figures.opsSigned += 1
        forge(frame(GossipPayloadCoding.encode(op), adversary: k), adversary: k)
    }

    /// The next sequence number of adversary `k` in `team`: after what it signed, and after
    /// what its own core's replica holds of it (a backdater's honest write).
    func nextSeq(_ k: Int, team: TeamID) -> UInt64 {
        let me = nodes[adversaries[k].spec.node].id
        let held = nodes[adversaries[k].spec.node].core.replication.replica(team)?.vector[me] ?? 0
        let next = max(held, adversaries[k].chain[team] ?? 0) + 1
        adversaries[k].chain[team] = next
        return next
    }

    /// A key pair the adversary makes up (a puppet or a one-op author), drawn from its generator.
    func madeUpKeys(_ k: Int) -> Ed25519KeyPair {
        let keys = Ed25519KeyPair.generate(using: &adversaries[k].rng)
        adversaries[k].madeUp.append(NodeID(publicKey: keys.publicKey))
        return keys
    }

    func randomID(_ k: Int) -> OpID {
        OpID(bytes: (0..<OpID.byteCount).map { _ in UInt8.random(in: 0...255, using: &adversaries[k].rng) })!
    }

    /// What adversary `k`'s own replica shows of the honest team.
    func adversaryView(_ k: Int) -> TeamState? {
        teamID.flatMap { nodes[adversaries[k].spec.node].core.replication.replica($0)?.state }
    }

    // MARK: replay

    /// Keeps what a replay adversary receives, up to `keep` messages and `recordUntilMs`.
    func recordForReplay(_ message: MeshMessage, at i: Int) {
        guard let k = adversaryAt[i], adversaries[k].spec.kind == .replay else { return }
        let spec = adversaries[k].spec
        guard now <= (spec.recordUntilMs ?? spec.startMs) * 1_000_000, adversaries[k].recorded.count < spec.keep else { return }
        switch message {
        case .gossip, .syncOps, .syncVector, .iHave, .digest:
            adversaries[k].recorded.append((now, message))
            adversaries[k].figures.recorded += 1
        default:
            break
        }
    }

    /// Sends the next recorded message again to every neighbour; every other gossip frame is
    /// sent as new (hops 0, full TTL): frames are not signed, so a replayer may do that.
    private func replayShot(_ k: Int) {
        guard !adversaries[k].recorded.isEmpty else { return }
        let (at, message) = adversaries[k].recorded[adversaries[k].cursor % adversaries[k].recorded.count]
        adversaries[k].cursor += 1
        var out = message
        if case var .gossip(f) = message, adversaries[k].shot % 2 == 1 {
            f.hops = 0
            f.ttl = scenario.gossip.ttl
            out = .gossip(f)
        }
        adversaries[k].figures.replayed += 1
        let age = now - at
        adversaries[k].figures.oldestReplayMs = max(adversaries[k].figures.oldestReplayMs, Double(age) / 1e6)
        if age > scenario.gossip.seenMaxAge.nanoseconds { adversaries[k].figures.replayedAfterSeenCache += 1 }
        forge(out, adversary: k)
    }

    // MARK: backdater

    /// The backdater's one honest write, before its removal: an invite, made by its own core.
    func adversaryHonestWrite(_ k: Int) {
        guard let team = teamID else { return }
        let i = adversaries[k].spec.node
        lastWriteOutcome = nil
        write(i, .createInvite(role: .member, expiresWallMs: wallClock(i) + 3_600_000), team: team)
        if case let .applied(op)? = lastWriteOutcome { adversaries[k].honestOps.append(op.id) }
    }

    /// Node 0 (or, when it is down, the first running Admin) removes the backdater.
    func adversaryRemoval(_ k: Int) {
        guard let team = teamID else { return }
        let target = adversaries[k].spec.node
        let remover = ([0] + Array(1...max(1, scenario.team?.admins ?? 1)))
            .first { $0 != target && nodes[$0].up && !isAdversary($0) }
        guard let remover else { return }
        lastWriteOutcome = nil
        write(remover, .removeMember(nodes[target].id), team: team)
        if case let .applied(op)? = lastWriteOutcome { adversaries[k].removal = op }
    }

    /// One op signed after the removal, dated before it: it adds a puppet Admin, claims an item,
    /// renames the team, creates an item, removes or demotes an honest member, or invites.
    private func backdatedShot(_ k: Int) {
        guard let team = teamID, let removal = adversaries[k].removal else { return }
        let i = adversaries[k].spec.node
        // Saturating: a removal dated within `backdateMs` of the epoch leaves nothing to back-date into.
        let (start, under) = removal.body.hlc.wallMs.subtractingReportingOverflow(UInt64(adversaries[k].spec.backdateMs))
        let dated = start + UInt64(adversaries[k].figures.backdatedOps)
        guard !under, dated < removal.body.hlc.wallMs else { return }
        let view = adversaryView(k)
        let honest = honestMembers(view)
        let op: TeamOperation
        switch adversaries[k].shot % 6 {
        case 0:
            op = .addMember(publicKey: madeUpKeys(k).publicKey, role: .admin, invite: nil)
        case 1:
            let items = (view?.items.values.filter { $0.status == .queued } ?? []).sorted { $0.id < $1.id }
            if let item = items.randomElement(using: &adversaries[k].rng) { op = .claimItem(item.id, base: item.revision) }
            else { op = .renameTeam(name: Self.adversaryText) }
        case 2:
            op = .renameTeam(name: Self.adversaryText)
        case 3:
            if let wf = view?.workflows.keys.sorted().first { op = .createItem(workflow: wf, title: Self.adversaryText, priority: 9) }
            else { op = .createInvite(role: .admin, expiresWallMs: .max) }
        case 4:
            if let m = honest.randomElement(using: &adversaries[k].rng) { op = .removeMember(m) }
            else { op = .createInvite(role: .admin, expiresWallMs: .max) }
        default:
            if let m = honest.randomElement(using: &adversaries[k].rng) { op = .setRole(m, .guest) }
            else { op = .createInvite(role: .admin, expiresWallMs: .max) }
        }
        adversaries[k].figures.backdatedOps += 1
        let signed = signForged(op, team: team, seq: nextSeq(k, team: team), hlc: HLCTimestamp(wallMs: dated, logical: 0),
                                keys: nodes[i].keys)
        forgeOp(signed, adversary: k)
    }

    /// Members of the team other than node 0 and the adversaries, sorted.
    func honestMembers(_ state: TeamState?) -> [NodeID] {
        guard let state else { return [] }
        return state.memberIDs.filter { id in
            id != state.creator && indexOf[id].map { !isAdversary($0) } == true
        }
    }
}
