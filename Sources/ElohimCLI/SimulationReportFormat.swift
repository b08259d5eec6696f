import Foundation
import MeshCore
import Simulation

/// How simulation results are printed: one line per seed, and a side-by-side table.
enum SimulationReportFormat {
    static func line(_ r: RunReport, wallSeconds: Double) -> String {
        guard let t = r.team else { return gossipLine(r, wallSeconds: wallSeconds) + (r.adversary.map(adversaryLines) ?? "") }
        let converged = t.convergedAfterHealMs.map { "converged \(fixed($0 / 1000, 1))s after heal in \(t.syncRoundsAfterHeal ?? 0) vectors" }
            ?? "no heal"
        return gossipLine(r, wallSeconds: wallSeconds) + "\n    team: \(t.acknowledgedOps) ops acknowledged, \(t.opsInLog) in the log, "
            + "\(t.conflicts) conflicts, \(t.refusedWrites) refused, \(t.guestRejections) guest ops rejected, "
            + "sync \(t.syncBytesSent) B for \(t.syncOpBytesMissing) B missing (ratio \(fixed(t.syncBytesRatio, 2))), \(converged), "
            + "\(t.chunksFetched) vault chunks fetched (\(t.chunkRetries) retries)"
            + (t.healRepair.map(healLine) ?? "")
            + (r.pairing.map(pairingLine) ?? "")
            + (r.adversary.map(adversaryLines) ?? "")
    }

    /// What each adversary did, and what the honest nodes refused (the five largest counts).
    static func adversaryLines(_ a: AdversaryReport) -> String {
        var out = ""
        for f in a.adversaries {
            var did = ["\(f.messagesSent) messages sent", "\(f.refusedByWire) refused by the wire codec"]
            if f.opsSigned > 0 { did.append("\(f.opsSigned) ops signed") }
            if f.teamsCreated > 0 { did.append("\(f.teamsCreated) teams created") }
            if f.strangers > 0 { did.append("\(f.strangers) strangers") }
            if f.replayed > 0 {
                did.append("\(f.replayed) of \(f.recorded) recorded replayed (oldest \(fixed(f.oldestReplayMs / 1000, 0)) s, "
                           + "\(f.replayedAfterSeenCache) after the seen-cache forgot them)")
            }
            if f.backdatedOps > 0 { did.append("\(f.backdatedOps) back-dated ops") }
            out += "\n    adversary n\(f.node) \(f.kind.rawValue): " + did.joined(separator: ", ")
        }
        // Drops (named by reason, without a prefix), the rules' rejections and the cores' refusal
        // counters; the other counters (bytes sent, deliveries) say nothing about the attack.
        let refusalWords = ["Refused", "Dropped", "Evicted", "Expired", "strangerOps", "Rejected", "notRising"]
        let top = a.honestRefusals
            .filter { r in r.count > 0 && (!r.name.contains(".") || r.name.hasPrefix("rules.") || refusalWords.contains { r.name.contains($0) }) }
            .sorted { ($0.count, $1.name) > ($1.count, $0.name) }.prefix(6)
        out += "\n    honest nodes: \(a.honestAcksDuringAttack) writes acknowledged during the attack; "
            + "peaks \(a.peakTeams) teams, \(a.peakOrphans) orphans, \(a.peakHeld) held, \(a.peakLog) logged, "
            + "\(a.peakStrangers) strangers' ops; most refused: "
            + top.map { "\($0.name) \($0.count)" }.joined(separator: ", ")
        return out
    }

    static func healLine(_ h: HealRepairFigures) -> String {
        "\n    heal repair: \(h.totalBytes) B for \(h.missingBytes) B missing at the heal (ratio \(fixed(h.ratio, 2))): "
            + "router copies \(h.routerCopyBytes) B, router digests and requests \(h.routerControlBytes) B, sync \(h.syncBytes) B"
    }

    static func pairingLine(_ p: PairingReport) -> String {
        let time = p.pairingMs.isEmpty ? "-" : "\(fixed(p.pairingMs[p.pairingMs.count / 2], 0)) ms p50"
        return "\n    pairing: \(p.runs) runs, \(p.attempts) attempts, \(p.paired) paired, "
            + "\(p.failedAttempts) failed on both sides, right code to verdict \(time)"
    }

    static func gossipLine(_ r: RunReport, wallSeconds: Double) -> String {
        let detect: String
        if let p50 = r.percentile(0.5, of: r.detectionMs), let max = r.detectionMs.last {
            detect = "detect p50 \(fixed(p50 / 1000, 1))s max \(fixed(max / 1000, 1))s"
        } else {
            detect = "detect -"
        }
        return "seed \(r.seed)  \(r.passed ? "pass" : "FAIL")  digest \(r.digest.prefix(16))  "
            + "delivered \(fixed(r.deliveryRatio * 100, 2))%  copies/bcast \(fixed(r.copiesPerBroadcast, 1))  "
            + "control/bcast \(fixed(r.controlPerBroadcast, 1))  hops \(r.maxHops) (diameter \(r.diameter))  "
            + "ldh p50 \(r.lastDeliveryHops.isEmpty ? "-" : String(r.lastDeliveryHops[r.lastDeliveryHops.count / 2]))  "
            + "\(detect)  false-dead \(r.falseDeaths)  events \(r.events)  "
            + "wall \(fixed(wallSeconds, 2))s (\(fixed(r.simulatedSeconds / max(wallSeconds, 1e-9), 1)) sim-s/s)"
    }

    static func comparison(scenario: Scenario, nodes: Int, modes: [(name: String, reports: [RunReport])]) -> String {
        func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        func column(_ rs: [RunReport]) -> [String] {
            [
                fixed(mean(rs.map(\.copiesPerBroadcast)), 1),
                fixed(mean(rs.map(\.controlPerBroadcast)), 1),
                fixed(mean(rs.map(\.deliveryRatio)) * 100, 3) + "%",
                "\(rs.map(\.maxHops).max() ?? 0) (diameter \(rs.map(\.diameter).max() ?? 0))",
                ldh(rs.flatMap(\.lastDeliveryHops).sorted()),
                "\(rs.filter(\.passed).count)/\(rs.count)",
            ]
        }
        let labels = ["copies per broadcast", "control msgs per broadcast", "delivery ratio", "max hops of any delivery",
                      "last delivery hop p50/p99/max", "seeds passed"]
        let columns = modes.map { column($0.reports) }
        var out = "\(scenario.name): \(nodes) nodes, \(modes.first?.reports.count ?? 0) seed(s) per mode; "
            + "N−1 = \(nodes - 1), 2×(N−1) = \(2 * (nodes - 1))\n"
        out += pad("", 32) + modes.map { pad($0.name, 22) }.joined() + "\n"
        for i in labels.indices { out += pad(labels[i], 32) + columns.map { pad($0[i], 22) }.joined() + "\n" }
        return out
    }

    /// Percentiles of per-broadcast last delivery hops.
    static func ldh(_ sorted: [Int]) -> String {
        guard !sorted.isEmpty else { return "-" }
        func p(_ q: Double) -> Int { sorted[min(sorted.count - 1, Int(q * Double(sorted.count - 1)))] }
        return "\(p(0.5))/\(p(0.99))/\(sorted.last!)"
    }

    static func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(1, width - s.count)) }
}
