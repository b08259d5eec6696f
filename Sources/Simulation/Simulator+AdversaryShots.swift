import MeshCore
import Replicas
import Sodium
import Wire

/// The shots of `extremeIntegers` and `junkFlood` adversaries: each burst fires the next
/// `burst` shots of the kind's list, in turn, so a run covers every shot many times.
extension Simulator {
    // MARK: extremeIntegers

    /// Integers at the edges of their types and of the limits that bound them.
    func extremeShot(_ k: Int) {
        let i = adversaries[k].spec.node
        let me = nodes[i].id
        let neighbours = topology.neighbours[i]
        let shots = 22
        switch adversaries[k].shot % shots {
        case 0, 1:
            // Suspicions of each neighbour at the last incarnations: refused, never a trap at +1.
            let inc: UInt64 = adversaries[k].shot % shots == 0 ? .max : .max - 1
            for j in neighbours { forge(.suspect(target: nodes[j].id, incarnation: inc), adversary: k, to: [j]) }
        case 2:
            // Exactly the highest suspicion still believed: refuted with a raised incarnation.
            for j in neighbours {
                let (edge, _) = nodes[j].core.liveness.incarnation.addingReportingOverflow(Liveness.maxIncarnationStep)
                forge(.suspect(target: nodes[j].id, incarnation: edge), adversary: k, to: [j])
            }
        case 3:
            forge(.ping(seq: .max, incarnation: .max), adversary: k)
        case 4:
            forge(.ack(seq: .max, incarnation: .max - 1), adversary: k)
        case 5:
            if let j = neighbours.first { forge(.pingReq(seq: .max, target: nodes[j].id), adversary: k) }
            forge(.alive(target: me, incarnation: .max), adversary: k)
        case 6:
            for j in neighbours { forge(.indirectAck(seq: .max, target: nodes[j].id, incarnation: .max), adversary: k, to: [j]) }
        case 7:
            // A frame at the last sequence number, carrying an op dated at the end of time.
            let op = honestTeamOp(k, seq: .max, hlc: HLCTimestamp(wallMs: .max, logical: .max))
            let seq = UInt64.max - UInt64(adversaries[k].shot / shots)
            forge(.gossip(GossipFrame(origin: me, seq: seq, ttl: GossipConfiguration.maximumTTL, hops: 0,
                                      payload: op.map(GossipPayloadCoding.encode) ?? [0x0A])), adversary: k)
        case 8:
            forge(.gossip(GossipFrame(origin: me, seq: adversaries[k].nextFrameSeq, ttl: .max, hops: 0, payload: [1, 2, 3])),
                  adversary: k)
            adversaries[k].nextFrameSeq += 1
        case 9:
            forge(.gossip(GossipFrame(origin: me, seq: adversaries[k].nextFrameSeq, ttl: 1, hops: .max, payload: [1, 2, 3])),
                  adversary: k)
            adversaries[k].nextFrameSeq += 1
        case 10:
            // One byte over the router's payload limit.
            let payload = [UInt8](repeating: 0x0A, count: scenario.gossip.maxPayloadBytes + 1)
            forge(frame(payload, adversary: k), adversary: k)
        case 11:
            // A frame in an honest neighbour's name at the last sequence number (frames are not
            // signed): when it leaves the seen-cache, that origin's floor is the top of its range.
            let honest = neighbours.filter { !isAdversary($0) }
            if let j = honest.randomElement(using: &adversaries[k].rng) {
                forge(.gossip(GossipFrame(origin: nodes[j].id, seq: .max, ttl: scenario.gossip.ttl, hops: 0,
                                          payload: Array(Self.adversaryText.utf8))), adversary: k)
            }
        case 12:
            // Dated at zero: it sorts before the team's creation and refolds it from genesis.
            if let op = honestTeamOp(k, seq: nil, hlc: .zero) { forgeOp(op, adversary: k) }
        case 13:
            // Dated a second inside the lead a node accepts (a day ahead of its wall clock).
            let edge = wallClock(i) + HybridLogicalClock.maxLeadMs - 1000
            if let op = honestTeamOp(k, seq: nil, hlc: HLCTimestamp(wallMs: edge, logical: .max)) { forgeOp(op, adversary: k) }
        case 14:
            // Sequence numbers 0 (refused when decoded) and the last one (far past any gap).
            if let op = honestTeamOp(k, seq: 0, hlc: HLCTimestamp(wallMs: wallClock(i), logical: 0)) { forgeOp(op, adversary: k) }
            if let op = honestTeamOp(k, seq: .max, hlc: HLCTimestamp(wallMs: wallClock(i), logical: 0)) { forgeOp(op, adversary: k) }
        case 15, 16, 17:
            ownTeamEdges(k, step: adversaries[k].shot % shots - 15)
        case 18:
            // Vectors of made-up authors at the last sequence number: one that fits a frame,
            // one that does not (the wire refuses it). Made once, sent in the first three rounds
            // and every tenth: each costs a neighbour a 20,000-entry vector, and the run's time.
            let round = adversaries[k].shot / shots
            if let team = teamID, round < 3 || round % 10 == 0 {
                if adversaries[k].bigVector.isEmpty {
                    adversaries[k].bigVector = (0..<40_000).map { _ in VectorEntry(author: madeUpNodeID(k), seq: .max) }
                }
                for count in [20_000, 40_000] {
                    forge(.syncVector(team: team.bytes, entries: Array(adversaries[k].bigVector.prefix(count)), reply: round % 2 == 0),
                          adversary: k)
                }
            }
        case 19:
            // Batches that lie: a count of 2^32 − 1 over junk bytes, junk that claims to be
            // compressed, and a zstd bomb that would expand past the batch limit.
            if let team = teamID {
                forge(.syncOps(team: team.bytes, ops: [0xFF, 0xFF, 0xFF], compressed: false, more: true, count: .max), adversary: k)
                forge(.syncOps(team: team.bytes, ops: [0x28, 0xB5, 0x2F, 0xFD, 0, 0], compressed: true, more: false, count: 1),
                      adversary: k)
                forge(.syncOps(team: team.bytes, ops: zstdBomb, compressed: true, more: false, count: .max), adversary: k)
            }
        case 20:
            // Requests for the most unknown chunks a want may name, and for a thousand (refused
            // by the wire), and an unasked chunk of 512 KiB.
            if let team = teamID {
                for count in [ChunkLimits.idsPerWant, 1000] {
                    forge(.chunkWant(team: team.bytes, ids: (0..<count).map { _ in randomID(k).bytes }), adversary: k)
                }
                forge(.chunkData(team: team.bytes, id: randomID(k).bytes, data: [UInt8](repeating: 7, count: 512 * 1024)),
                      adversary: k)
            }
        default:
            // A tree advert for the smallest root at the last distance.
            forge(.treeAdvert(TreeAdvert(root: NodeID(bytes: [UInt8](repeating: 0, count: NodeID.byteCount))!, distance: .max, parent: nil)),
                  adversary: k)
        }
    }

    /// A node ID of no key, from 20 bytes of the adversary's generator.
    private func madeUpNodeID(_ k: Int) -> NodeID {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        for _ in 0..<3 { withUnsafeBytes(of: adversaries[k].rng.next().littleEndian) { bytes.append(contentsOf: $0) } }
        return NodeID(bytes: Array(bytes.prefix(NodeID.byteCount)))!
    }

    /// 64 MiB of zeros compressed: a few KiB on the wire. Made once per process.
    private var zstdBomb: [UInt8] { Self.bomb }
    private static let bomb = Zstd.compress([UInt8](repeating: 0, count: 64 << 20))

    /// An op of the honest team in adversary `k`'s name (it is no member): next in its chain
    /// unless `seq` is given.
    func honestTeamOp(_ k: Int, seq: UInt64?, hlc: HLCTimestamp) -> SignedOp? {
        guard let team = teamID else { return nil }
        let workflow = adversaryView(k)?.workflows.keys.sorted().first ?? randomID(k)
        return signForged(.createItem(workflow: workflow, title: Self.adversaryText, priority: 9), team: team,
                          seq: seq ?? nextSeq(k, team: team), hlc: hlc, keys: nodes[adversaries[k].spec.node].keys)
    }

    /// Adversary `k`'s own team, created a second inside the accepted lead, and ops in it at the
    /// edges of every limit: the valid ones are applied by every replica that holds the team,
    /// the others refused when decoded. An invalid op takes no sequence number (it is refused
    /// before any log sees it), so the chain behind it stays whole.
    private func ownTeamEdges(_ k: Int, step: Int) {
        let i = adversaries[k].spec.node
        let keys = nodes[i].keys
        func hlc() -> HLCTimestamp {
            let edge = HLCTimestamp(wallMs: wallClock(i) + HybridLogicalClock.maxLeadMs - 1000, logical: 0)
            var last = adversaries[k].ownHLC
            if edge > last { last = edge } else if last.logical < .max { last.logical += 1 } else { last = HLCTimestamp(wallMs: last.wallMs + 1, logical: 0) }
            adversaries[k].ownHLC = last
            return last
        }
        guard let team = adversaries[k].ownTeams.first else {
            let genesis = signForged(.createTeam(name: String(repeating: "x", count: OpLimits.nameBytes), nonce: [UInt8](repeating: 1, count: OpLimits.teamNonceBytes)),
                                     team: nil, seq: 1, hlc: hlc(), keys: keys)
            adversaries[k].ownTeams.append(genesis.id)
            adversaries[k].chain[genesis.id] = 1
            adversaries[k].figures.teamsCreated += 1
            forgeOp(genesis, adversary: k)
            return
        }
        func send(_ valid: TeamOperation, after invalid: [TeamOperation]) {
            let seq = (adversaries[k].chain[team] ?? 1) + 1
            let at = hlc()
            for op in invalid { forgeOp(signForged(op, team: team, seq: seq, hlc: at, keys: keys), adversary: k) }
            adversaries[k].chain[team] = seq
            forgeOp(signForged(valid, team: team, seq: seq, hlc: hlc(), keys: keys), adversary: k)
        }
        let month = OpLimits.slaSeconds.upperBound
        let state = nodes[i].core.replication.replica(team)?.state
        switch step {
        case 0:
            send(.defineWorkflow(name: "edges", stages: [StageDefinition(name: "s", roles: [], slaSeconds: month)]),
                 after: [.defineWorkflow(name: "edges", stages: [StageDefinition(name: "s", roles: [], slaSeconds: month + 1)]),
                         .defineWorkflow(name: "edges", stages: [StageDefinition(name: "s", roles: [], slaSeconds: .max)])])
        case 1:
            let wf = state?.workflows.keys.sorted().first ?? randomID(k)
            send(.createItem(workflow: wf, title: String(repeating: "t", count: OpLimits.titleBytes), priority: OpLimits.priority.upperBound),
                 after: [.createItem(workflow: wf, title: "t", priority: .max),
                         .createItem(workflow: wf, title: String(repeating: "t", count: OpLimits.titleBytes + 1), priority: 0),
                         .renameTeam(name: String(repeating: "x", count: OpLimits.nameBytes + 1))])
        default:
            let chunks = (0..<8).map { _ in randomID(k) }
            let size = UInt64(chunks.count) * UInt64(OpLimits.chunkSize.upperBound)
            let meta = BlobMetadata(blob: randomID(k), name: "n", size: size, chunks: chunks, chunkSize: OpLimits.chunkSize.upperBound)
            var over = meta
            over.size = .max
            var wide = meta
            wide.chunkSize = .max
            if let item = state?.items.values.filter({ $0.status == .queued }).map(\.id).sorted().first,
               let rev = state?.items[item]?.revision, adversaries[k].shot % 2 == 0 {
                send(.claimItem(item, base: rev), after: [.putBlob(over), .putBlob(wide)])
            } else {
                send(.putBlob(meta), after: [.putBlob(over), .putBlob(wide)])
            }
        }
    }

    // MARK: junkFlood

    /// One junk op: a new team, a one-op author, its own op in the honest team (which it is
    /// not in), an op far past a gap, an op of a team that does not exist, an op in a team of its own.
    func junkShot(_ k: Int) {
        let i = adversaries[k].spec.node
        let keys = nodes[i].keys
        let now = HLCTimestamp(wallMs: wallClock(i), logical: UInt32(adversaries[k].shot & 0xFFFF))
        let heldAhead = scenario.replication.replicaLimits.maxHeldAhead
        var shot = adversaries[k].shot % 6
        if teamID == nil && (1...3).contains(shot) { shot = 0 }
        switch shot {
        case 0:
            var nonce = [UInt8](repeating: 0, count: 16)
            for b in nonce.indices { nonce[b] = UInt8.random(in: 0...255, using: &adversaries[k].rng) }
            let genesis = signForged(.createTeam(name: "junk \(adversaries[k].shot)", nonce: nonce), team: nil, seq: 1, hlc: now, keys: keys)
            adversaries[k].ownTeams.append(genesis.id)
            adversaries[k].chain[genesis.id] = 1
            adversaries[k].figures.teamsCreated += 1
            forgeOp(genesis, adversary: k)
        case 1:
            // A one-op author: a key made up for one op, at sequence number 1.
            let stranger = madeUpKeys(k)
            adversaries[k].figures.strangers += 1
            forgeOp(signForged(junkOp(k), team: teamID!, seq: 1, hlc: now, keys: stranger), adversary: k)
        case 2:
            let op = signForged(junkOp(k), team: teamID!, seq: nextSeq(k, team: teamID!), hlc: now, keys: keys)
            adversaries[k].recentOps.append(op)
            if adversaries[k].recentOps.count > 50 { adversaries[k].recentOps.removeFirst() }
            forgeOp(op, adversary: k)
        case 3:
            // Past a gap that never fills: a made-up author's op within the held room's reach
            // (held), or its own a billion ahead (refused). Never a number its own chain will
            // reach: a second op for one number would be equivocation, and replicas that took
            // different ones would differ for good.
            if adversaries[k].shot % 12 == 3 {
                let stranger = madeUpKeys(k)
                adversaries[k].figures.strangers += 1
                let seq = UInt64.random(in: 2...heldAhead + 1, using: &adversaries[k].rng)
                forgeOp(signForged(junkOp(k), team: teamID!, seq: seq, hlc: now, keys: stranger), adversary: k)
            } else {
                let seq = (adversaries[k].chain[teamID!] ?? 0) + 1_000_000_000
                forgeOp(signForged(junkOp(k), team: teamID!, seq: seq, hlc: now, keys: keys), adversary: k)
            }
        case 4:
            forgeOp(signForged(.renameTeam(name: Self.adversaryText), team: randomID(k), seq: 1, hlc: now, keys: keys), adversary: k)
        default:
            guard let team = adversaries[k].ownTeams.randomElement(using: &adversaries[k].rng) else { return }
            let seq = (adversaries[k].chain[team] ?? 1) + 1
            adversaries[k].chain[team] = seq
            forgeOp(signForged(.renameTeam(name: "junk \(seq)"), team: team, seq: seq, hlc: now, keys: keys), adversary: k)
        }
    }

    /// A junk op in the honest team: a puppet Admin, a rename, an item.
    private func junkOp(_ k: Int) -> TeamOperation {
        switch adversaries[k].shot / 6 % 3 {
        case 0: return .addMember(publicKey: madeUpKeys(k).publicKey, role: .admin, invite: nil)
        case 1: return .renameTeam(name: Self.adversaryText)
        default:
            return .createItem(workflow: adversaryView(k)?.workflows.keys.sorted().first ?? randomID(k), title: Self.adversaryText, priority: 9)
        }
    }

    /// After each junk burst: its latest ops of the honest team (up to 50, the very ops it
    /// broadcast: a second op for one sequence number would be equivocation, another attack),
    /// pushed to each neighbour as an unasked sync batch too.
    func junkBatch(_ k: Int) {
        guard let team = teamID, !adversaries[k].recentOps.isEmpty else { return }
        let ops = adversaries[k].recentOps
        forge(.syncOps(team: team.bytes, ops: OpBatchCoding.encode(ops), compressed: false, more: false, count: UInt32(ops.count)),
              adversary: k)
    }
}
