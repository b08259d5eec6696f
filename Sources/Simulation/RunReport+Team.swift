import MeshCore
import Replicas
import Wire

/// Figures of a run with a team workload.
public struct TeamReport: Sendable {
    public var acknowledgedOps: Int
    public var refusedWrites: Int
    public var skippedWrites: Int
    /// Conflicts recorded in the team state (same on every converged replica).
    public var conflicts: Int
    public var guestRejections: Int
    /// Bytes of sync batches sent divided by the bytes of the ops that were missing at their
    /// receivers (DESIGN.md section 4's bandwidth-follows-difference goal: at most 1.2).
    public var syncBytesRatio: Double
    public var syncBytesSent: Int
    public var syncOpBytesMissing: Int
    /// From the last heal until every replica held the same ops, when the scenario heals.
    public var convergedAfterHealMs: Double?
    /// Sync vectors sent from the last heal until convergence.
    public var syncRoundsAfterHeal: Int?
    /// Every byte of repair from the last heal until convergence, by layer, and the bytes of
    /// the ops the running nodes lacked at the heal (`HealRepair`).
    public var healRepair: HealRepairFigures?
    public var opsInLog: Int
    /// Vault chunks fetched from peers by chunk sync, over all nodes.
    public var chunksFetched: Int
    /// Chunk requests answered "not held" or timed out, over all nodes.
    public var chunkRetries: Int
}

extension Simulator {
    /// Checks the team expectations at the end of the run; returns failures and figures.
    func teamReport(components parts: [[Int]]) -> (failures: [String], report: TeamReport)? {
        guard scenario.team != nil else { return nil }
        let expect = Set(scenario.expect)
        var failures: [String] = []
        let team = teamID
        func replica(_ i: Int) -> TeamReplica? { team.flatMap { nodes[i].core.replication.replica($0) } }

        // Converged: in each component, every running node holds the team with one digest.
        // Adversaries are judged by what the honest nodes hold, not by what they hold themselves
        // (a non-member need not hold the team at all).
        let honestParts = parts.map { $0.filter { !isAdversary($0) } }
        var divergent: [String] = []
        for part in honestParts where !part.isEmpty {
            let holders = part.filter { replica($0) != nil }
            guard !holders.isEmpty else { continue }
            if holders.count < part.count {
                divergent.append("n\(part.first { replica($0) == nil }!) never received the team")
                continue
            }
            let digests = Dictionary(grouping: holders) { replica($0)!.state.digest }
            if digests.count > 1 {
                let sample = digests.keys.sorted().prefix(2).map { d in "n\(digests[d]!.min()!)=\(d.prefix(8))" }
                divergent.append("component of n\(part[0]) holds \(digests.count) different states (\(sample.joined(separator: ", ")))")
            }
        }
        if expect.contains(.replicasConverged) && !divergent.isEmpty {
            failures.append("replicasConverged: " + divergent.prefix(3).joined(separator: "; "))
        }

        // No acknowledged op lost: an op a running author acknowledged is at every running node
        // of its component; and nothing was acknowledged before it was persisted.
        var lost: [String] = teamObservations.ackedBeforePersist
        let componentOf = Dictionary(uniqueKeysWithValues: parts.enumerated().flatMap { k, part in part.map { ($0, k) } })
        for (op, by) in teamObservations.acked where nodes[by].up {
            for j in parts[componentOf[by]!] where !isAdversary(j) && replica(j)?.op(author: op.author, seq: op.body.seq)?.id != op.id {
                lost.append("n\(by)'s acknowledged \(op.body.operation.name) \(op.id.short) is missing at n\(j)")
                break
            }
            if lost.count >= 5 { break }
        }
        if expect.contains(.noAcknowledgedOpLost) && !lost.isEmpty {
            failures.append("noAcknowledgedOpLost: " + lost.prefix(3).joined(separator: "; "))
        }

        // Messages intact: every acknowledged message, once, at every running honest node of its
        // author's component, and each replica's messages in total order.
        var damaged: [String] = []
        for (op, by) in teamObservations.acked where nodes[by].up {
            guard case .postMessage = op.body.operation else { continue }
            for j in parts[componentOf[by]!] where !isAdversary(j) {
                let held = replica(j)?.state.messages.filter { $0.id == op.id }.count ?? 0
                if held != 1 { damaged.append("n\(j) holds n\(by)'s message \(op.id.short) \(held) times"); break }
            }
            if damaged.count >= 5 { break }
        }
        for i in nodes.indices where nodes[i].up && !isAdversary(i) {
            guard let messages = replica(i)?.state.messages else { continue }
            if zip(messages, messages.dropFirst()).contains(where: { !($0.sortKey < $1.sortKey) }) {
                damaged.append("n\(i)'s messages are not in total order")
            }
        }
        if expect.contains(.messagesIntact) && !damaged.isEmpty {
            failures.append("messagesIntact: " + damaged.prefix(3).joined(separator: "; "))
        }

        // One owner per item within each component.
        var doubleOwners: [String] = []
        for part in parts {
            var owners: [OpID: Set<NodeID>] = [:]
            for i in part { for (id, item) in replica(i)?.state.items ?? [:] { if let a = item.assignee { owners[id, default: []].insert(a) } } }
            for id in owners.keys.sorted() where owners[id]!.count > 1 {
                doubleOwners.append("item \(id.short) has \(owners[id]!.count) owners across the replicas of n\(part[0])'s component")
            }
        }
        if expect.contains(.singleOwner) && !doubleOwners.isEmpty {
            failures.append("singleOwner: " + doubleOwners.prefix(3).joined(separator: "; "))
        }

        // No Guest op applied anywhere.
        var forged: [String] = []
        for i in nodes.indices where nodes[i].up {
            guard let s = replica(i)?.state else { continue }
            if s.name.value == Self.forgedText { forged.append("n\(i) shows the team renamed by a guest") }
            if s.items.values.contains(where: { $0.title == Self.forgedText }) { forged.append("n\(i) holds an item a guest created") }
        }
        if expect.contains(.noGuestOpApplied) && !forged.isEmpty {
            failures.append("noGuestOpApplied: " + forged.prefix(3).joined(separator: "; "))
        }

        // Vault chunks spread: in each component, every running node holds every chunk its
        // vault index names that some node of the component holds.
        var unspread: [String] = []
        if let team {
            for part in parts {
                let held = Set(part.flatMap { i in nodes[i].disk.chunks.keys.filter { $0.team == team }.map(\.id) })
                for i in part {
                    let missing = missingChunks(i, team: team, blobs: nil).flatMap(\.chunks).filter(held.contains)
                    if let first = missing.first {
                        unspread.append("n\(i) lacks \(missing.count) chunk(s) a node of its component holds, e.g. \(first.short)")
                    }
                }
            }
        }
        if expect.contains(.chunksSpread) && !unspread.isEmpty {
            failures.append("chunksSpread: " + unspread.prefix(3).joined(separator: "; "))
        }

        let chunkCounters = nodes.map { $0.core.chunks.counters }
        let counters = nodes.map { $0.core.replication.counters }
        let sent = counters.reduce(0) { $0 + $1.syncBytesSent }
        let missing = counters.reduce(0) { $0 + $1.syncOpBytesLogged }
        let sample = nodes.indices.first { nodes[$0].up && replica($0) != nil }.flatMap(replica)
        let report = TeamReport(
            acknowledgedOps: teamObservations.acked.count, refusedWrites: teamObservations.refusedWrites,
            skippedWrites: teamObservations.skippedWrites, conflicts: sample?.state.conflicts.count ?? 0,
            guestRejections: sample?.state.rejectionCounts[.guestCannotWrite] ?? 0,
            syncBytesRatio: missing == 0 ? 0 : Double(sent) / Double(missing), syncBytesSent: sent, syncOpBytesMissing: missing,
            convergedAfterHealMs: convergence.map { Double($0.at - $0.heal) / 1e6 },
            syncRoundsAfterHeal: convergence.map { $0.rounds },
            healRepair: convergence == nil ? nil : healRepair.map(HealRepairFigures.init), opsInLog: sample?.opCount ?? 0,
            chunksFetched: chunkCounters.reduce(0) { $0 + $1.stored },
            chunkRetries: chunkCounters.reduce(0) { $0 + $1.notHeld + $1.timedOut })
        return (failures, report)
    }

    /// After the last heal of a team scenario, checks every 100 ms whether all running nodes
    /// hold the same ops, to time convergence.
    func scheduleConvergenceProbe() {
        guard scenario.team != nil,
              let lastHeal = scenario.events.filter({ $0.action == .heal }).map(\.atMs).max() else { return }
        queue.push(.convergenceProbe, at: lastHeal * 1_000_000)
    }

    func probeConvergence() {
        let healAt = (scenario.events.filter { $0.action == .heal }.map(\.atMs).max() ?? 0) * 1_000_000
        let vectorsNow = nodes.reduce(0) { $0 + $1.core.replication.counters.vectorsSent }
        guard let team = teamID else { return }
        if convergenceStartVectors == nil {
            convergenceStartVectors = vectorsNow
            healRepair = HealRepair(logs: nodes.filter(\.up).map { $0.core.replication.replica(team)?.log ?? [] })
        }
        let vectors = nodes.indices.filter { nodes[$0].up }.map { nodes[$0].core.replication.replica(team)?.vector }
        if let first = vectors.first, vectors.allSatisfy({ $0 != nil && $0 == first }) {
            convergence = (healAt, now, vectorsNow - convergenceStartVectors!)
            healRepair?.close()
        } else if now + 100_000_000 <= scenario.durationMs * 1_000_000 {
            queue.push(.convergenceProbe, at: now + 100_000_000)
        }
    }
}
