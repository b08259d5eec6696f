import MeshCore
import Replicas
import Wire

/// What one adversary did in a run.
public struct AdversaryFigures: Sendable, Equatable {
    public var node: Int
    public var kind: AdversarySpec.Kind
    /// Forged messages put on links (one per neighbour reached).
    public var messagesSent = 0
    /// Forged messages the wire codec refused before any link (above 1 MiB, or undecodable).
    public var refusedByWire = 0
    /// Ops it signed (valid or not).
    public var opsSigned = 0
    public var teamsCreated = 0
    /// One-op authors it made up.
    public var strangers = 0
    /// `replay`: messages recorded, and sent again.
    public var recorded = 0
    public var replayed = 0
    /// `replay`: the age of the oldest message it sent again, in milliseconds.
    public var oldestReplayMs: Double = 0
    /// `replay`: messages sent again after the seen-cache (`gossip.seenMaxAge`) forgot them.
    public var replayedAfterSeenCache = 0
    /// `backdater`: ops signed after its removal and dated before it.
    public var backdatedOps = 0

    public init(node: Int, kind: AdversarySpec.Kind) {
        self.node = node
        self.kind = kind
    }
}

/// What the honest nodes did about the adversaries, for the expectations and the figures.
struct AdversaryObservations {
    var firstAttackAt: Int64?
    /// Writes by honest nodes acknowledged at or after the first forged message.
    var honestAcksDuringAttack = 0
    /// Inputs honest nodes dropped, by `DropReason` name.
    var honestDrops: [String: Int] = [:]
    /// Whether `replicasBounded` is checked after every input.
    var checksBounds = false
    var boundViolations: [String] = []
    var peakTeams = 0, peakOrphans = 0, peakHeld = 0, peakLog = 0, peakStrangers = 0

    /// `replicasBounded`: teams held, orphan ops, each replica's held ops, stranger ops and log,
    /// against the replication core's configured limits.
    mutating func checkReplicaBounds(_ r: Replication, node i: Int, at t: Int64) {
        let c = r.configuration
        let teams = r.teamIDs
        peakTeams = max(peakTeams, teams.count)
        peakOrphans = max(peakOrphans, r.orphanOpCount)
        var held = 0, log = 0, strangers = 0
        for team in teams {
            guard let replica = r.replica(team) else { continue }
            held = max(held, replica.heldOpCount)
            log = max(log, replica.opCount)
            strangers = max(strangers, replica.strangerOpCount)
        }
        peakHeld = max(peakHeld, held)
        peakLog = max(peakLog, log)
        peakStrangers = max(peakStrangers, strangers)
        guard boundViolations.count < 10 else { return }
        let checks: [(String, Int, Int)] = [
            ("teams", teams.count, c.maxTeams),
            ("orphan ops", r.orphanOpCount, c.maxOrphanOps),
            ("held ops in one team", held, c.replicaLimits.maxHeldOps),
            ("strangers' ops set apart in one team", strangers, c.replicaLimits.maxStrangerOps),
            ("ops in one team's log", log, c.replicaLimits.maxOps),
        ]
        for (name, value, limit) in checks where value > limit {
            boundViolations.append("n\(i) holds \(value) \(name) at \(Instant(nanoseconds: t)), above its limit of \(limit)")
        }
    }
}

/// Figures of a run with adversaries.
public struct AdversaryReport: Sendable {
    public var adversaries: [AdversaryFigures]
    /// The honest nodes' counters, summed, by name (sorted): drops by reason, every counter of
    /// their routers, liveness and replication cores and replicas (refusals among them), the
    /// rules' rejections in the team (`honestRefusals()` says how each is named).
    public var honestRefusals: [(name: String, count: Int)]
    public var honestAcksDuringAttack: Int
    /// Peaks over every node and input (with `replicasBounded`).
    public var peakTeams: Int, peakOrphans: Int, peakHeld: Int, peakLog: Int, peakStrangers: Int

    /// One refusal counter by name; 0 when never counted.
    public func refusals(_ name: String) -> Int { honestRefusals.first { $0.name == name }?.count ?? 0 }

    /// Ops of non-members the honest replicas took in without applying: refused by the rules
    /// (`not-a-member`), or set apart before any log (`strangerOps`, where a replica keeps them so).
    public var nonMemberOpsSetAside: Int { refusals("rules.not-a-member") + refusals("replica.strangerOps") }
}

extension Simulator {
    /// Whether `input` can make a node hold more teams, orphans, held or logged ops: only ops
    /// coming in (by gossip or sync) or written. The check runs after those inputs alone, as
    /// copying every replica out after every probe would cost more than the run itself.
    static func mayGrowReplicas(_ input: MeshInput) -> Bool {
        switch input {
        case .received(.gossip, _), .received(.syncOps, _), .write, .createTeam: true
        default: false
        }
    }

    /// Checks `noForgedEffect`, `honestWritesAccepted` and `replicasBounded`; gathers the figures.
    func adversaryReport(components parts: [[Int]]) -> (failures: [String], report: AdversaryReport)? {
        let expect = Set(scenario.expect)
        var failures: [String] = []
        if expect.contains(.replicasBounded) && !adversaryObservations.boundViolations.isEmpty {
            failures.append("replicasBounded: " + adversaryObservations.boundViolations.prefix(3).joined(separator: "; "))
        }
        guard !adversaries.isEmpty else { return failures.isEmpty ? nil : (failures, emptyReport) }
        if expect.contains(.noForgedEffect) {
            let forged = forgedEffects()
            if !forged.isEmpty { failures.append("noForgedEffect: " + forged.prefix(3).joined(separator: "; ")) }
        }
        if expect.contains(.honestWritesAccepted) && adversaryObservations.honestAcksDuringAttack == 0 {
            failures.append("honestWritesAccepted: no honest write was acknowledged after the first forged message"
                            + (adversaryObservations.firstAttackAt.map { " (at \(Instant(nanoseconds: $0)))" } ?? " (none was sent)"))
        }
        var report = emptyReport
        report.adversaries = adversaries.map(\.figures)
        report.honestRefusals = honestRefusals()
        return (failures, report)
    }

    private var emptyReport: AdversaryReport {
        let o = adversaryObservations
        return AdversaryReport(adversaries: [], honestRefusals: [], honestAcksDuringAttack: o.honestAcksDuringAttack,
                               peakTeams: o.peakTeams, peakOrphans: o.peakOrphans, peakHeld: o.peakHeld, peakLog: o.peakLog,
                               peakStrangers: o.peakStrangers)
    }

    /// The counters of the honest nodes, summed over them: drops by reason (`DropReason` names),
    /// every counter of the router (`router.`), the liveness core (`liveness.`), the replication
    /// core (`replication.`) and the replicas of every team held (`replica.`), named by their
    /// fields, and the rules' rejections in the team (`rules.` and the reason).
    private func honestRefusals() -> [(name: String, count: Int)] {
        var counts = adversaryObservations.honestDrops.mapValues { $0 }
        // By reflection: a counter the cores add later is reported without a change here.
        func add(_ prefix: String, _ counters: Any) {
            for child in Mirror(reflecting: counters).children {
                guard let label = child.label, let n = child.value as? Int else { continue }
                counts[prefix + label, default: 0] += n
            }
        }
        for i in nodes.indices where !isAdversary(i) {
            let core = nodes[i].core
            add("router.", core.router.counters)
            add("liveness.", core.liveness.counters)
            add("replication.", core.replication.counters)
            for team in core.replication.teamIDs {
                guard let c = core.replication.replica(team)?.counters else { continue }
                add("replica.", c)
            }
            if let team = teamID, let state = core.replication.replica(team)?.state {
                for (reason, n) in state.rejectionCounts { counts["rules.\(reason.rawValue)", default: 0] += n }
            }
        }
        return counts.keys.sorted().map { ($0, counts[$0]!) }
    }

    /// What any running honest replica of the team shows that came from an adversary (or a key
    /// it made up), beyond the backdater's honest write: a puppet or an adversary as member
    /// (a backdater after its removal), an honest member removed or with another role than the
    /// setup gave it, the name, a workflow, an item (created, claimed, moved, reprioritized),
    /// an invite, a vault entry, a promotion. In every team held: a value beyond `OpLimits`.
    func forgedEffects() -> [String] {
        var hostile = Set<NodeID>()
        var allowed = Set<OpID>()
        for a in adversaries {
            hostile.insert(nodes[a.spec.node].id)
            hostile.formUnion(a.madeUp)
            allowed.formUnion(a.honestOps)
        }
        var found: [String] = []
        func note(_ s: String) { if found.count < 10 { found.append(s) } }
        for i in nodes.indices where nodes[i].up && !isAdversary(i) {
            let r = nodes[i].core.replication
            for team in r.teamIDs {
                guard let s = r.replica(team)?.state else { continue }
                for problem in Self.beyondLimits(s) { note("n\(i): team \(team.short) \(problem)") }
            }
            guard let team = teamID, let s = r.replica(team)?.state else { continue }
            for id in s.memberIDs where hostile.contains(id) {
                let a = indexOf[id].flatMap { adversaryAt[$0] }
                // A backdater is a member until its removal is written.
                if let a, adversaries[a].spec.kind == .backdater, adversaries[a].removal == nil { continue }
                note("n\(i) holds \(indexOf[id].map { "n\($0)" } ?? "a made-up key \(id.short)") as a member (\(s.role(of: id).map { "\($0)" } ?? "?"))")
            }
            for j in nodes.indices where j != 0 && !isAdversary(j) && !scenario.pairings.contains(where: { $0.joiner == j }) {
                let held = s.role(of: nodes[j].id), setUp = role(ofNode: j)
                if held != setUp {
                    note("n\(i) holds honest n\(j) as \(held.map { "\($0)" } ?? "no member"), set up as \(setUp)")
                }
            }
            for id in s.memberIDs where hostile.contains(s.members[id]!.role.stamp.author) {
                note("n\(i): the role of \(id.short) was set by an adversary")
            }
            if hostile.contains(s.name.stamp.author) { note("n\(i) shows the team renamed by an adversary ('\(s.name.value)')") }
            for w in s.workflows.values.sorted(by: { $0.id < $1.id }) where hostile.contains(w.definedBy) {
                note("n\(i) holds workflow \(w.id.short) an adversary defined")
            }
            for item in s.items.values.sorted(by: { $0.id < $1.id }) {
                if hostile.contains(item.createdBy) { note("n\(i) holds item \(item.id.short) an adversary created") }
                if let a = item.assignee, hostile.contains(a) { note("n\(i): item \(item.id.short) is assigned to an adversary") }
                if item.history.contains(where: { hostile.contains($0.by) && !allowed.contains($0.op) }) {
                    note("n\(i): item \(item.id.short) was changed by an adversary")
                }
                if hostile.contains(item.priority.stamp.author) { note("n\(i): item \(item.id.short)'s priority was set by an adversary") }
            }
            for invite in s.invites.values.sorted(by: { $0.id < $1.id })
            where hostile.contains(invite.createdBy) && !allowed.contains(invite.id) {
                note("n\(i) holds invite \(invite.id.short) an adversary made after its removal")
            }
            for blob in s.vault.keys.sorted() where s.vault[blob].map({ hostile.contains($0.owner) }) == true {
                note("n\(i) holds vault entry \(blob.short) an adversary put")
            }
            if s.promotionRequests.values.contains(where: { hostile.contains($0.requester) }) || s.promotion.map({
                hostile.contains($0.acting) || hostile.contains($0.approvedBy)
            }) == true {
                note("n\(i) holds a promotion an adversary asked for or approved")
            }
        }
        return found
    }

    /// Values in `s` beyond what `OpLimits` lets an op carry: none may ever be applied.
    static func beyondLimits(_ s: TeamState) -> [String] {
        var out: [String] = []
        if !(1...OpLimits.nameBytes).contains(s.name.value.utf8.count) { out.append("has a name of \(s.name.value.utf8.count) bytes") }
        for w in s.workflows.values.sorted(by: { $0.id < $1.id }) {
            for stage in w.stages {
                if let sla = stage.slaSeconds, !OpLimits.slaSeconds.contains(sla) { out.append("has a stage with an SLA of \(sla) s") }
            }
        }
        for item in s.items.values.sorted(by: { $0.id < $1.id }) {
            if !OpLimits.priority.contains(item.priority.value) { out.append("has item \(item.id.short) at priority \(item.priority.value)") }
            if item.title.utf8.count > OpLimits.titleBytes { out.append("has item \(item.id.short) titled with \(item.title.utf8.count) bytes") }
        }
        for blob in s.vault.keys.sorted() {
            guard let m = s.vault[blob]?.metadata else { continue }
            if m.size > UInt64(m.chunks.count) * UInt64(m.chunkSize) || !OpLimits.chunkSize.contains(m.chunkSize) {
                out.append("has vault entry \(blob.short) of \(m.size) bytes in \(m.chunks.count) chunks of \(m.chunkSize)")
            }
        }
        return out
    }
}
