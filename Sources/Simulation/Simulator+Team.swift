import MeshCore
import Replicas
import Sodium
import Wire

/// The team workload: node 0 creates a team, adds every node, defines a workflow; then members
/// create items and write (claims, starts, completions, priorities, vault puts, renames), some
/// claim one item at the same moment, and Guests forge writes every replica must refuse.
/// Every write is decided from the writing node's own replica, as a user at that node would.
extension Simulator {
    enum TeamAction: Equatable {
        case item, write, claimRace, guestWrite, message
    }

    /// The channels the message workload posts to.
    static let simulatedChannels = ["general", "logistics", "medical"]

    /// The title and name forged writes use: no replica may ever show them.
    static let forgedText = "forged-by-guest"

    func role(ofNode i: Int) -> Role {
        guard let t = scenario.team else { return .member }
        if let run = scenario.pairings.first(where: { $0.joiner == i }) { return run.role }
        if i == 0 { return .superAdmin }
        if i <= t.admins { return .admin }
        if i >= scenario.nodes - t.guests { return .guest }
        return .member
    }

    /// Schedules the setup at time 0 and every write of the workload.
    func scheduleTeamWorkload() {
        guard let t = scenario.team else { return }
        queue.push(.teamSetup, at: 0)
        let end = (t.endMs ?? max(t.startMs, scenario.durationMs / 2)) * 1_000_000
        let start = t.startMs * 1_000_000
        var plan: [TeamAction] = []
        plan += Array(repeating: .item, count: t.items)
        plan += Array(repeating: .write, count: t.writes)
        plan += Array(repeating: .claimRace, count: t.claimRaces)
        plan += Array(repeating: .guestWrite, count: t.guestWrites)
        plan += Array(repeating: .message, count: t.messages)
        for action in plan {
            let at = start == end ? start : Int64.random(in: start...end, using: &teamRNG)
            teamPlan.append(action)
            queue.push(.team(teamPlan.count - 1), at: at)
        }
    }

    func teamSetup() {
        let founder = 0
        write(founder, createTeam: "sim team")
        guard let team = teamID else { return }
        // Nodes that join by code later are left out: the pairing run adds them.
        // Adversaries other than a backdater are peers, never members.
        for i in 1..<nodes.count where !scenario.pairings.contains(where: { $0.joiner == i }) && !leftOutOfTeam(i) {
            write(founder, .addMember(publicKey: nodes[i].keys.publicKey, role: role(ofNode: i), invite: nil), team: team)
        }
        write(founder, .defineWorkflow(name: "repairs", stages: [
            StageDefinition(name: "work", roles: [.member, .admin], slaSeconds: 600),
            StageDefinition(name: "review", roles: [.admin], slaSeconds: 300),
        ]), team: team)
    }

    func teamEvent(_ k: Int) {
        guard let team = teamID else { return }
        // Adversaries write nothing through the workload: every op in their name is forged.
        let writers = nodes.indices.filter {
            nodes[$0].up && role(ofNode: $0) >= .member && state(of: $0, team) != nil && !isAdversary($0)
        }
        switch teamPlan[k] {
        case .item:
            guard let i = writers.randomElement(using: &teamRNG), let s = state(of: i, team),
                  let workflow = s.workflows.keys.sorted().first else { return skippedWrite() }
            write(i, .createItem(workflow: workflow, title: "item \(k)", priority: Int32.random(in: 0...9, using: &teamRNG)),
                  team: team)
        case .write:
            guard let i = writers.randomElement(using: &teamRNG), let s = state(of: i, team) else { return skippedWrite() }
            write(i, chooseWrite(for: i, in: s, k: k), team: team)
        case .claimRace:
            guard let first = writers.randomElement(using: &teamRNG), let s = state(of: first, team) else { return skippedWrite() }
            let claimable = s.items.values.filter { $0.status == .queued && $0.stage == 0 }.map(\.id).sorted()
            guard let item = claimable.randomElement(using: &teamRNG) else { return skippedWrite() }
            let racers = [first] + writers.filter { $0 != first }.shuffled(using: &teamRNG).prefix(Int.random(in: 1...2, using: &teamRNG))
            for i in racers {
                guard let mine = state(of: i, team)?.items[item] else { continue }
                write(i, .claimItem(item, base: mine.revision), team: team)
            }
        case .message:
            guard let i = writers.randomElement(using: &teamRNG), let s = state(of: i, team) else { return skippedWrite() }
            // A third of messages go to an item's thread when the writer sees items; some mention a member.
            let items = s.items.keys.sorted()
            let members = s.memberIDs
            let mentions = Bool.random(using: &teamRNG) ? [members.randomElement(using: &teamRNG)!] : []
            let content = !items.isEmpty && Int.random(in: 0..<3, using: &teamRNG) == 0
                ? MessageContent(item: items.randomElement(using: &teamRNG)!, text: "note \(k)", mentions: mentions)
                : MessageContent(channel: Self.simulatedChannels.randomElement(using: &teamRNG)!, text: "message \(k)", mentions: mentions)
            write(i, .postMessage(content), team: team)
        case .guestWrite:
            let guests = nodes.indices.filter {
                nodes[$0].up && role(ofNode: $0) == .guest && state(of: $0, team) != nil && !isAdversary($0)
            }
            guard let g = guests.randomElement(using: &teamRNG), let s = state(of: g, team) else { return skippedWrite() }
            let forged: TeamOperation = Bool.random(using: &teamRNG) || s.workflows.isEmpty
                ? .renameTeam(name: Self.forgedText)
                : .createItem(workflow: s.workflows.keys.sorted()[0], title: Self.forgedText, priority: 99)
            write(g, forged, team: team, unchecked: true)
        }
    }

    /// A write a member at node `i` would make, seen from its own replica.
    private func chooseWrite(for i: Int, in s: TeamState, k: Int) -> TeamOperation {
        let me = nodes[i].id
        let items = s.items.values.sorted { $0.id < $1.id }
        let mine = items.filter { $0.assignee == me }
        let role = role(ofNode: i)
        switch Int.random(in: 0...5, using: &teamRNG) {
        case 0, 1:
            let claimable = items.filter { item in
                item.status == .queued && (s.workflows[item.workflow]?.stages[item.stage].roles.contains(role) ?? false)
            }
            if let item = claimable.randomElement(using: &teamRNG) { return .claimItem(item.id, base: item.revision) }
        case 2:
            if let item = mine.first(where: { $0.status == .claimed }) { return .startItem(item.id, base: item.revision) }
            if let item = mine.first(where: { $0.status == .inProgress }) { return .completeItem(item.id, base: item.revision) }
        case 3:
            if let item = items.randomElement(using: &teamRNG) { return .setPriority(item.id, Int32.random(in: 0...9, using: &teamRNG)) }
        case 4:
            if role >= .admin { return .renameTeam(name: "team \(k)") }
        default:
            break
        }
        // A file of one to three sealed chunks (random bytes, addressed by their SHA-256),
        // stored on the writer first as the API requires; chunk sync spreads them.
        var chunks: [OpID] = []
        var size = 0
        for _ in 0..<Int.random(in: 1...3, using: &teamRNG) {
            let bytes = (0..<Int.random(in: 32...256, using: &teamRNG)).map { _ in UInt8.random(in: 0...255, using: &teamRNG) }
            let id = OpID(bytes: SHA256.hash(bytes))!
            nodes[i].disk.chunks[ChunkSync.Key(team: s.id, id: id)] = bytes
            chunks.append(id)
            size += bytes.count
        }
        var blob = [UInt8](repeating: 0, count: 32)
        for j in blob.indices { blob[j] = UInt8.random(in: 0...255, using: &teamRNG) }
        return .putBlob(BlobMetadata(blob: OpID(bytes: blob)!, name: "file \(k)", size: UInt64(size), chunks: chunks, chunkSize: 256))
    }

    /// The chunks `blobs` of `team` (with who put each; the whole vault index when nil) name
    /// that node `i`'s disk lacks, per blob.
    func missingChunks(_ i: Int, team: TeamID, blobs: [(BlobID, NodeID)]?) -> [(chunks: [OpID], holder: NodeID)] {
        nodes[i].core.vaultChunks(team: team, blobs: blobs).map { named in
            (named.chunks.filter { nodes[i].disk.chunks[ChunkSync.Key(team: team, id: $0)] == nil }, named.holder)
        }
    }

    /// As a node does: asks node `i`'s core for the chunks `blobs` name and its disk lacks.
    func fetchMissingChunks(_ i: Int, team: TeamID, blobs: [(BlobID, NodeID)]?) {
        for (missing, holder) in missingChunks(i, team: team, blobs: blobs) where !missing.isEmpty {
            handle(i, .chunksNeeded(team: team, ids: missing, holder: holder))
        }
    }

    private func state(of i: Int, _ team: TeamID) -> TeamState? {
        nodes[i].core.replication.replica(team)?.state
    }

    private func skippedWrite() { teamObservations.skippedWrites += 1 }

    private func write(_ i: Int, createTeam name: String) {
        var nonce = [UInt8](repeating: 0, count: 16)
        for j in nonce.indices { nonce[j] = UInt8.random(in: 0...255, using: &teamRNG) }
        nextRequest += 1
        handle(i, .createTeam(name: name, nonce: nonce, wallMs: wallClock(i), request: nextRequest))
    }

    func write(_ i: Int, _ op: TeamOperation, team: TeamID, unchecked: Bool = false) {
        nextRequest += 1
        trace.record(TraceTag.write, at: now, [Int64(i), Int64(nextRequest)], line: "n\(i) writes \(op.name)")
        handle(i, .write(team: team, op, wallMs: wallClock(i), request: nextRequest, unchecked: unchecked))
    }

    /// Node `i`'s wall clock in milliseconds: the simulated time (from a fixed epoch) plus its skew.
    func wallClock(_ i: Int) -> UInt64 {
        let epochMs: Int64 = 1_790_000_000_000
        return UInt64(max(0, epochMs + now / 1_000_000 + nodes[i].wallClockOffsetMs))
    }

    // MARK: Effects

    func persisted(_ ops: [SignedOp], team: TeamID, by i: Int) {
        if nodes[i].disk.teamLogs[team] == nil { nodes[i].disk.teamOrder.append(team) }
        nodes[i].disk.teamLogs[team, default: []].append(contentsOf: ops)
        for op in ops { nodes[i].disk.persistedIDs.insert(op.id) }
        if case .createTeam = ops.first?.body.operation, teamID == nil { teamID = team }
    }

    func writeCompleted(_ outcome: WriteOutcome, by i: Int) {
        lastWriteOutcome = outcome
        switch outcome {
        case let .applied(op), let .conflict(op, _):
            if !nodes[i].disk.persistedIDs.contains(op.id) {
                teamObservations.ackedBeforePersist.append("n\(i) acknowledged \(op.id.short) before persisting it")
            }
            teamObservations.acked.append((op, i))
            if let attack = adversaryObservations.firstAttackAt, now >= attack, !isAdversary(i) {
                adversaryObservations.honestAcksDuringAttack += 1
            }
            if case .conflict = outcome { teamObservations.conflictsAtWrite += 1 }
        case .refused, .invalid:
            teamObservations.refusedWrites += 1
        case .noSuchTeam:
            teamObservations.skippedWrites += 1
        }
    }
}

/// What the simulator saw of the team workload, for its invariants and figures.
struct TeamObservations {
    var acked: [(op: SignedOp, by: Int)] = []
    var ackedBeforePersist: [String] = []
    var refusedWrites = 0
    var skippedWrites = 0
    var conflictsAtWrite = 0
}
