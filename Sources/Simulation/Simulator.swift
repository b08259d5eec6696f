import MeshCore
import Replicas
import Sodium
import Wire

/// One deterministic run of a scenario: many `NodeCore`s in one thread, a virtual clock, one
/// seed for every random choice (topology, network fate, workload, each node's generator).
///
/// Same scenario, same seed: the same trace, byte for byte, in any process. Nothing here reads
/// a clock or iterates a hash-ordered collection into the trace.
public final class Simulator {
    public let scenario: Scenario
    public let seed: UInt64
    public let topology: Topology
    let trace: TraceRecorder
    var observations: Observations

    struct SimNode {
        var id: NodeID
        var keys: Ed25519KeyPair
        /// The node's core while it runs; a crashed node keeps its last core until restarted.
        var core: NodeCore
        var up = false
        var life = 0
        var rng: SeededGenerator
        var disk = Disk()
        var timerGeneration: UInt64 = 0
        var scheduledTimer: Int64?
        var wallClockOffsetMs: Int64 = 0
        /// The node's pairing desk (its codes are restored from `disk` on restart).
        var desk: PairingDesk
    }

    /// What a node's storage keeps across a crash.
    struct Disk {
        var incarnation: UInt64?
        var nextBroadcastSeq: UInt64 = 0
        /// Gossip messages with the node's wall clock when stored: a restart takes back those
        /// younger than the seen-cache, as a node's database does (NodeCore+Restore.swift).
        var messages: [(frame: GossipFrame, wallMs: UInt64)] = []
        /// Forgotten floors, one per origin, with the node's wall clock when they last rose.
        var floors: [NodeID: (seq: UInt64, wallMs: UInt64)] = [:]
        /// Each team's persisted ops, genesis first, teams in the order first persisted.
        var teamLogs: [TeamID: [SignedOp]] = [:]
        var teamOrder: [TeamID] = []
        var persistedIDs: Set<OpID> = []
        /// The node's pairing codes, as last stored.
        var invites: [PairingInvite] = []
        /// Sealed vault chunks, written by the workload's uploads and by chunk sync.
        var chunks: [ChunkSync.Key: [UInt8]] = [:]
    }

    enum Event {
        case arrive(from: Int, to: Int, life: Int, message: MeshMessage)
        case timer(node: Int, generation: UInt64)
        case scenario(Int)
        case broadcast(Int)
        case deadCheck(crash: Int)
        case teamSetup
        case team(Int)
        case convergenceProbe
        case pairingOpen(run: Int)
        case pairingAttempt(run: Int)
        case pairingArrive(run: Int, attempt: Int, toJoiner: Bool, life: Int, message: PairingMessage)
        case pairingTimeout(run: Int, attempt: Int)
        case pairingClosed(run: Int, attempt: Int, life: Int)
        case adversaryBurst(Int)
        case adversaryHonestWrite(Int)
        case adversaryRemoval(Int)
    }

    var nodes: [SimNode] = []
    var indexOf: [NodeID: Int] = [:]
    var queue = EventQueue<Event>()
    var now: Int64 = 0
    var networkRNG: SeededGenerator
    var workloadRNG: SeededGenerator
    /// Partition group of each node while a partition holds.
    var group: [Int]?
    /// Arrival time of the last in-order message on each directed link (FIFO links).
    var lastArrival: [Int: Int64] = [:]
    /// One-way latency of each link (both directions), drawn once per run, in nanoseconds.
    var linkLatency: [Int: Int64] = [:]
    var eventsHandled = 0

    // The team workload (Simulator+Team.swift).
    var teamRNG: SeededGenerator
    var teamPlan: [TeamAction] = []
    var teamID: TeamID?
    var nextRequest: UInt64 = 0
    var teamObservations = TeamObservations()
    var convergence: (heal: Int64, at: Int64, rounds: Int)?
    var convergenceStartVectors: Int?
    var healRepair: HealRepair?

    // Pairing runs (Simulator+Pairing.swift).
    var pairingRNG: SeededGenerator
    var pairingRuns: [PairingRunState] = []
    /// Arrival time of the last pairing message on each directed pairing link (in order, like TCP).
    var pairingLastArrival: [Int: Int64] = [:]
    /// Pairing messages that took the path of an ordinary link, beside its traffic.
    var pairingMessagesBesideLinks = 0
    /// The outcome of the last write handed to a node (its core answers within `handle`).
    var lastWriteOutcome: WriteOutcome?

    // Adversaries (Simulator+Adversary.swift).
    var adversaries: [AdversaryState] = []
    /// Node index → its entry in `adversaries`.
    var adversaryAt: [Int: Int] = [:]
    var adversaryObservations = AdversaryObservations()

    public init(scenario: Scenario, seed: UInt64, trace: TraceRecorder = TraceRecorder()) {
        self.scenario = scenario
        self.seed = seed
        self.trace = trace
        var master = SeededGenerator(seed: seed)
        var topologyRNG = master.fork(1)
        networkRNG = master.fork(2)
        workloadRNG = master.fork(3)
        var idRNG = master.fork(4)
        teamRNG = master.fork(5)
        pairingRNG = master.fork(6)
        adversaryObservations.checksBounds = scenario.expect.contains(.replicasBounded)
        if !scenario.adversaries.isEmpty {
            // Forked only when there are adversaries: scenarios without keep their traces.
            var adversaryRNG = master.fork(7)
            for (k, spec) in scenario.adversaries.enumerated() {
                adversaries.append(AdversaryState(spec: spec, rng: adversaryRNG.fork(UInt64(k)),
                                                  figures: AdversaryFigures(node: spec.node, kind: spec.kind)))
                adversaryAt[spec.node] = k
            }
        }
        topology = Topology.build(scenario.topology, nodes: scenario.nodes, using: &topologyRNG)
        observations = Observations(scenario: scenario, topology: topology)
        for a in 0..<scenario.nodes {
            for b in topology.neighbours[a] where b > a {
                let l = Self.drawLatency(scenario.network.latencyMs, using: &networkRNG)
                linkLatency[a * scenario.nodes + b] = l
                linkLatency[b * scenario.nodes + a] = l
            }
        }
        for i in 0..<scenario.nodes {
            let keys = Ed25519KeyPair.generate(using: &idRNG)
            let id = NodeID(publicKey: keys.publicKey)
            indexOf[id] = i
            nodes.append(SimNode(id: id, keys: keys,
                                 core: NodeCore(identity: keys, configuration: Self.coreConfiguration(scenario)),
                                 rng: Self.nodeGenerator(seed: seed, node: i, life: 0), desk: PairingDesk(identity: keys)))
        }
    }

    /// Runs the scenario to its end and checks its expectations.
    public func run() -> RunReport {
        let ns: Int64 = 1_000_000
        for (i, e) in scenario.events.enumerated() { queue.push(.scenario(i), at: e.atMs * ns) }
        let w = scenario.workload
        let end = w.endMs ?? max(w.startMs, scenario.durationMs / 2)
        for k in 0..<w.broadcasts {
            let at = w.broadcasts == 1 ? w.startMs * ns : w.startMs * ns + (end - w.startMs) * ns * Int64(k) / Int64(w.broadcasts - 1)
            queue.push(.broadcast(k), at: at)
        }
        scheduleTeamWorkload()
        schedulePairings()
        scheduleAdversaries()
        scheduleConvergenceProbe()
        for i in nodes.indices { start(i) }
        let endTime = scenario.durationMs * ns
        while let next = queue.nextTime, next <= endTime, let (time, event) = queue.pop() {
            now = time
            eventsHandled += 1
            dispatch(event)
        }
        now = endTime
        return observations.report(simulator: self)
    }

    // MARK: Events

    private func dispatch(_ event: Event) {
        switch event {
        case let .arrive(from, to, life, message):
            guard nodes[to].up, nodes[to].life == life else {
                trace.record(TraceTag.arrivalLost, at: now, [Int64(from), Int64(to), Int64(KindCode(message).rawValue)],
                             line: "n\(from) → n\(to) \(message.kindName) lost: n\(to) went down")
                return
            }
            guard !partitioned(from, to) else {
                trace.record(TraceTag.arrivalLost, at: now, [Int64(from), Int64(to), Int64(KindCode(message).rawValue)],
                             line: "n\(from) → n\(to) \(message.kindName) lost: partitioned while in flight")
                return
            }
            if !adversaries.isEmpty { recordForReplay(message, at: to) }
            handle(to, .received(message, from: nodes[from].id))
        case let .timer(node, generation):
            guard nodes[node].up, nodes[node].timerGeneration == generation else { return }
            nodes[node].scheduledTimer = nil
            handle(node, .timer)
        case let .scenario(index):
            apply(scenario.events[index])
        case let .broadcast(k):
            broadcast(k)
        case let .deadCheck(crash):
            observations.checkDeadDetected(crash: crash, simulator: self)
        case .teamSetup:
            teamSetup()
        case let .team(k):
            teamEvent(k)
        case .convergenceProbe:
            probeConvergence()
        case let .pairingOpen(run):
            openPairingCode(run)
        case let .pairingAttempt(run):
            startPairingAttempt(run)
        case let .pairingArrive(run, attempt, toJoiner, life, message):
            pairingArrived(run: run, attempt: attempt, toJoiner: toJoiner, life: life, message)
        case let .pairingTimeout(run, attempt):
            pairingTimedOut(run: run, attempt: attempt)
        case let .pairingClosed(run, attempt, life):
            pairingLinkClosed(run: run, attempt: attempt, life: life)
        case let .adversaryBurst(k):
            adversaryBurst(k)
        case let .adversaryHonestWrite(k):
            adversaryHonestWrite(k)
        case let .adversaryRemoval(k):
            adversaryRemoval(k)
        }
    }

    private func apply(_ event: ScenarioEvent) {
        switch event.action {
        case let .partition(groups):
            var g = [Int](repeating: groups.count, count: nodes.count)
            for (index, members) in groups.enumerated() { for m in members { g[m] = index } }
            group = g
            observations.partitionChanged(g, at: now)
            trace.record(TraceTag.scenarioEvent, at: now, [1] + g.map(Int64.init), line: "event: partition \(groups)")
        case .heal:
            group = nil
            observations.partitionChanged(nil, at: now)
            trace.record(TraceTag.scenarioEvent, at: now, [2], line: "event: heal")
        case let .crash(i):
            nodes[i].up = false
            nodes[i].timerGeneration += 1
            nodes[i].scheduledTimer = nil
            let crash = observations.crashed(i, at: now)
            let bound = observations.detectionBound
            queue.push(.deadCheck(crash: crash), at: now + bound.nanoseconds)
            trace.record(TraceTag.scenarioEvent, at: now, [3, Int64(i)], line: "event: crash n\(i)")
        case let .restart(i):
            nodes[i].life += 1
            nodes[i].rng = Self.nodeGenerator(seed: seed, node: i, life: nodes[i].life)
            observations.restarted(i, at: now)
            trace.record(TraceTag.scenarioEvent, at: now, [4, Int64(i)], line: "event: restart n\(i)")
            start(i)
        case let .clockSkew(i, by):
            nodes[i].wallClockOffsetMs += by
            trace.record(TraceTag.scenarioEvent, at: now, [5, Int64(i), by],
                         line: "event: n\(i) wall clock \(by >= 0 ? "+" : "")\(by)ms (now \(nodes[i].wallClockOffsetMs)ms off)")
        }
    }

    private func start(_ i: Int) {
        // As a node's database: messages older than the seen-cache and floors past their
        // lifetime, by the node's wall clock, are gone; floors come back with their age.
        // Messages that turned older than the seen-cache while it was down raise their floors.
        let wallMs = wallClock(i), gossip = scenario.gossip
        let agedOut = nodes[i].disk.messages.compactMap {
            StoredFloor(agedOut: $0.frame, storedAtMs: $0.wallMs, nowMs: wallMs, seenMaxAge: gossip.seenMaxAge)
        }
        nodes[i].disk.messages.removeAll { $0.wallMs + UInt64(gossip.seenMaxAge.nanoseconds / 1_000_000) < wallMs }
        let floors = (nodes[i].disk.floors.map { StoredFloor(origin: $0.key, seq: $0.value.seq, raisedAtMs: $0.value.wallMs, nowMs: wallMs) }
            + agedOut).filter { $0.age < gossip.forgottenFloorLifetime }.sorted { ($0.origin, $0.seq) < ($1.origin, $1.seq) }
        let kept = Set(floors.map(\.origin))
        nodes[i].disk.floors = nodes[i].disk.floors.filter { kept.contains($0.key) }
        let disk = nodes[i].disk
        nodes[i].up = true
        // Pairing runs in flight die with the process; stored codes (and attempts counted) stay.
        nodes[i].desk = PairingDesk(identity: nodes[i].keys, book: InviteBook(invites: disk.invites))
        nodes[i].core = NodeCore(identity: nodes[i].keys, configuration: Self.coreConfiguration(scenario),
                                 restored: .init(incarnation: disk.incarnation, nextBroadcastSeq: disk.nextBroadcastSeq,
                                                 messages: disk.messages.map(\.frame),
                                                 teamLogs: disk.teamOrder.map { disk.teamLogs[$0]! }, forgottenFloors: floors),
                                 at: Instant(nanoseconds: now))
        for j in topology.neighbours[i] { handle(i, .linkUp(nodes[j].id)) }
        // As a node does at start: fetch what the stored vault index names and the disk lacks.
        if let team = teamID { fetchMissingChunks(i, team: team, blobs: nil) }
    }

    private func broadcast(_ k: Int) {
        let origin: Int
        switch scenario.workload.from {
        case let .node(i):
            guard nodes[i].up else {
                observations.broadcastSkipped(k)
                trace.record(TraceTag.broadcast, at: now, [Int64(k), -1], line: "b\(k) skipped: n\(i) is down")
                return
            }
            origin = i
        case .random:
            let up = nodes.indices.filter { nodes[$0].up }
            guard let pick = up.randomElement(using: &workloadRNG) else {
                observations.broadcastSkipped(k)
                trace.record(TraceTag.broadcast, at: now, [Int64(k), -1], line: "b\(k) skipped: every node is down")
                return
            }
            origin = pick
        }
        observations.broadcastMade(k, by: origin, at: now)
        trace.record(TraceTag.broadcast, at: now, [Int64(k), Int64(origin)], line: "n\(origin) broadcasts b\(k)")
        handle(origin, .broadcast(Observations.payload(for: k, bytes: scenario.workload.payloadBytes, using: &workloadRNG)))
    }

    // MARK: Nodes

    func handle(_ i: Int, _ input: MeshInput) {
        guard nodes[i].up else { return }
        // Mutated in place: copying the core out and back would copy its caches on every input.
        var rng = nodes[i].rng
        let effects = nodes[i].core.handle(input, at: Instant(nanoseconds: now), wallMs: wallClock(i), using: &rng)
        nodes[i].rng = rng
        observations.checkMemory(nodes[i].core.footprint, node: i, at: now)
        if adversaryObservations.checksBounds && Self.mayGrowReplicas(input) {
            adversaryObservations.checkReplicaBounds(nodes[i].core.replication, node: i, at: now)
        }
        for effect in effects { carryOut(effect, by: i) }
        // As a node does: chunks that new index entries name and the disk lacks are fetched.
        for (team, blobs) in NodeCore.blobsToFetch(after: effects) { fetchMissingChunks(i, team: team, blobs: blobs) }
        reschedule(i)
    }

    private func carryOut(_ effect: MeshEffect, by i: Int) {
        switch effect {
        case let .send(message, peer):
            transmit(message, from: i, to: indexOf[peer] ?? -1)
        case let .deliver(d):
            let k = observations.delivered(d, at: i, time: now)
            trace.record(TraceTag.deliver, at: now, [Int64(i), Int64(k), Int64(d.hops)], line: "n\(i) delivers b\(k) (hops \(d.hops))")
        case let .peerStatus(peer, status):
            let j = indexOf[peer]!
            observations.statusChanged(observer: i, peer: j, to: status, at: now)
            trace.record(TraceTag.status, at: now, [Int64(i), Int64(j), Int64(status.code)], line: "n\(i) sees n\(j) \(status)")
        case let .persist(record):
            switch record {
            case let .incarnation(n): nodes[i].disk.incarnation = n
            case let .nextBroadcastSeq(n): nodes[i].disk.nextBroadcastSeq = n
            case let .message(frame): nodes[i].disk.messages.append((frame, wallClock(i)))
            case let .forgottenFloor(origin, seq): nodes[i].disk.floors[origin] = (seq, wallClock(i))
            }
        case let .dropped(reason, from):
            observations.dropped(reason)
            if !adversaries.isEmpty && !isAdversary(i) { adversaryObservations.honestDrops[reason.rawValue, default: 0] += 1 }
            trace.record(TraceTag.dropped, at: now, [Int64(i), Int64(from.flatMap { indexOf[$0] } ?? -1)],
                         line: "n\(i) dropped input from \(from.flatMap { indexOf[$0] }.map { "n\($0)" } ?? "itself"): \(reason)")
        case let .persistOps(team, ops):
            persisted(ops, team: team, by: i)
            trace.record(TraceTag.opsLogged, at: now, [Int64(i), Int64(ops.count)], line: "n\(i) persists \(ops.count) op(s)")
        case .replicaChanged:
            break
        case let .serveChunks(team, ids, peer):
            for id in ids {
                transmit(.chunkData(team: team.bytes, id: id.bytes, data: nodes[i].disk.chunks[ChunkSync.Key(team: team, id: id)]),
                         from: i, to: indexOf[peer] ?? -1)
            }
        case let .storeChunk(team, id, data):
            nodes[i].disk.chunks[ChunkSync.Key(team: team, id: id)] = data
            trace.record(TraceTag.chunkStored, at: now, [Int64(i)] + id.bytes.prefix(4).map(Int64.init), line: "n\(i) stores chunk \(id.short)")
        case let .writeCompleted(_, outcome):
            writeCompleted(outcome, by: i)
        case let .limitReached(limit):
            observations.limitReached(limit)
            trace.record(TraceTag.limit, at: now, [Int64(i), Int64(MeshLimit.allCases.firstIndex(of: limit)!)],
                         line: "n\(i) reached limit \(limit)")
        }
    }

    private func reschedule(_ i: Int) {
        guard nodes[i].up, let deadline = nodes[i].core.nextDeadline else { return }
        let at = max(deadline.nanoseconds, now)
        if let scheduled = nodes[i].scheduledTimer, scheduled <= at { return }
        nodes[i].timerGeneration += 1
        nodes[i].scheduledTimer = at
        queue.push(.timer(node: i, generation: nodes[i].timerGeneration), at: at)
    }

    // MARK: Network

    /// Puts `message` on the link from `a` to `b`, where the network decides its fate.
    func transmit(_ message: MeshMessage, from a: Int, to b: Int) {
        let kind = KindCode(message)
        observations.sent(message, kind: kind, from: a, to: b)
        healRepair?.sent(message)
        guard b >= 0, topology.neighbours[a].contains(b) else {
            observations.sendWithoutLink(from: a, to: b)
            return
        }
        let net = scenario.network
        if partitioned(a, b) {
            trace.record(TraceTag.send, at: now, [Int64(a), Int64(b), Int64(kind.rawValue), -1],
                         line: "n\(a) → n\(b) \(describe(message)) lost: partition")
            return
        }
        if net.loss > 0 && Double.random(in: 0..<1, using: &networkRNG) < net.loss {
            trace.record(TraceTag.send, at: now, [Int64(a), Int64(b), Int64(kind.rawValue), -2],
                         line: "n\(a) → n\(b) \(describe(message)) lost")
            return
        }
        let copies = net.duplicate > 0 && Double.random(in: 0..<1, using: &networkRNG) < net.duplicate ? 2 : 1
        for copy in 0..<copies {
            let link = a * nodes.count + b
            var arrival = now + linkLatency[link]!
            if net.reorder > 0 && Double.random(in: 0..<1, using: &networkRNG) < net.reorder {
                arrival += Self.drawLatency(net.latencyMs, using: &networkRNG)
            } else {
                arrival = max(arrival, lastArrival[link] ?? 0)
                lastArrival[link] = arrival
            }
            queue.push(.arrive(from: a, to: b, life: nodes[b].life, message: message), at: arrival)
            trace.record(TraceTag.send, at: now, [Int64(a), Int64(b), Int64(kind.rawValue), arrival],
                         line: "n\(a) → n\(b) \(describe(message))\(copy > 0 ? " (duplicate)" : "") arrives \(Instant(nanoseconds: arrival))")
        }
    }

    static func drawLatency<R: RandomNumberGenerator>(_ r: ClosedRange<Double>, using rng: inout R) -> Int64 {
        let ms = r.lowerBound == r.upperBound ? r.lowerBound : Double.random(in: r, using: &rng)
        return Int64(ms * 1_000_000)
    }

    func partitioned(_ a: Int, _ b: Int) -> Bool {
        guard let group else { return false }
        return group[a] != group[b]
    }

    private func describe(_ m: MeshMessage) -> String {
        switch m {
        case let .gossip(f): "gossip b\(Observations.broadcastIndex(of: f.payload)) ttl=\(f.ttl) hops=\(f.hops)"
        case let .iHave(e): "ihave ×\(e.count)"
        case let .graft(ids): "graft ×\(ids.count)"
        case let .want(ids): "want ×\(ids.count)"
        case let .digest(ids): "digest ×\(ids.count)"
        case let .ping(seq, inc): "ping #\(seq) inc=\(inc)"
        case let .ack(seq, inc): "ack #\(seq) inc=\(inc)"
        case let .pingReq(seq, t): "ping-req #\(seq) for n\(indexOf[t] ?? -1)"
        case let .indirectAck(seq, t, inc): "indirect-ack #\(seq) for n\(indexOf[t] ?? -1) inc=\(inc)"
        case let .suspect(t, inc): "suspect n\(indexOf[t] ?? -1) inc=\(inc)"
        case let .alive(t, inc): "alive n\(indexOf[t] ?? -1) inc=\(inc)"
        case .prune: "prune"
        case let .syncVector(_, entries, reply): "sync-vector of \(entries.count) author(s)\(reply ? ", reply wanted" : "")"
        case let .syncOps(_, ops, compressed, more, count):
            "sync-ops \(count) op(s) in \(ops.count) bytes\(compressed ? " zstd" : "")\(more ? ", more to come" : "")"
        case let .pair(p): p.name
        case let .chunkWant(_, ids): "chunk-want ×\(ids.count)"
        case let .chunkData(_, id, data):
            "chunk-data \(Hex.encode(Array(id.prefix(4))))\(data.map { " \($0.count) bytes" } ?? " not held")"
        case let .treeAdvert(a): "tree-advert root n\(indexOf[a.root] ?? -1) distance \(a.distance) parent \(a.parent.map { "n\(indexOf[$0] ?? -1)" } ?? "none")"
        }
    }

    static func coreConfiguration(_ scenario: Scenario) -> NodeCore.Configuration {
        var config = NodeCore.Configuration()
        config.gossip = scenario.gossip
        config.liveness = scenario.liveness
        config.replication = scenario.replication
        return config
    }

    /// Each node's generator follows from the run's seed, the node and its life, so one node's
    /// draws never shift another's, and a restart starts a fresh, reproducible sequence.
    static func nodeGenerator(seed: UInt64, node: Int, life: Int) -> SeededGenerator {
        var g = SeededGenerator(seed: seed ^ 0x5EED_0000_0000_0000)
        return g.fork(UInt64(node) << 20 | UInt64(life))
    }
}

extension PeerStatus {
    var code: Int {
        switch self {
        case .alive: 0
        case .suspect: 1
        case .dead: 2
        }
    }
}
