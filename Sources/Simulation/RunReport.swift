import MeshCore

/// The outcome of one seed: expectations that failed (empty when it passed), the trace digest,
/// and the figures the README and Simulations/README.md report.
public struct RunReport: Sendable {
    public var scenario: String
    public var seed: UInt64
    public var mode: GossipConfiguration.Mode
    public var failures: [String]
    public var digest: String
    public var traceRecords: Int

    public var broadcastsMade: Int
    /// Deliveries divided by deliveries due (every node connected to a holder, at the end).
    public var deliveryRatio: Double
    /// Payload copies put on links per broadcast, repairs included.
    public var copiesPerBroadcast: Double
    /// Router control messages (IHAVE, GRAFT, PRUNE, WANT, DIGEST, tree adverts) per broadcast.
    public var controlPerBroadcast: Double
    public var maxHops: Int
    /// Per broadcast, the hops of its last delivery in time (Plumtree's "last delivery hop"), sorted.
    public var lastDeliveryHops: [Int]
    public var diameter: Int
    /// Crash to "dead", per neighbour that saw it, in milliseconds, sorted.
    public var detectionMs: [Double]
    public var falseDeaths: Int
    public var livenessMessages: Int
    public var events: Int
    public var simulatedSeconds: Double
    public var peakQueue: Int
    /// Present when the scenario has a team workload.
    public var team: TeamReport?
    /// Present when the scenario has pairing runs.
    public var pairing: PairingReport?
    /// Present when the scenario has adversaries (or checks `replicasBounded`).
    public var adversary: AdversaryReport? = nil

    public var passed: Bool { failures.isEmpty }

    public func percentile(_ p: Double, of values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values[min(values.count - 1, Int((p * Double(values.count - 1)).rounded()))]
    }
}

extension Observations {
    /// Evaluates the expectations at the end of the run and gathers the figures.
    func report(simulator sim: Simulator) -> RunReport {
        var failures: [String] = []
        let expect = Set(scenario.expect)

        // Delivery: each component of running nodes (links across a standing partition do not
        // count) that holds a broadcast must hold it everywhere.
        let up = (0..<nodeCount).filter { sim.nodes[$0].up }
        let parts = topology.components(among: up) { a, b in !sim.partitioned(a, b) }
        var due = 0, got = 0
        var missing: [String] = []
        for k in origin.indices where origin[k] != nil {
            for part in parts {
                let holders = part.filter { deliveries[$0][k] > 0 || origin[k] == $0 }
                guard !holders.isEmpty || part.contains(origin[k]!) else { continue }
                due += part.count
                got += holders.count
                if holders.count < part.count && missing.count < 5 {
                    let lacking = part.filter { deliveries[$0][k] == 0 && origin[k] != $0 }
                    missing.append("b\(k) from n\(origin[k]!) missing at \(lacking.prefix(8).map { "n\($0)" }.joined(separator: ","))"
                                   + (lacking.count > 8 ? " and \(lacking.count - 8) more" : ""))
                }
            }
        }
        if expect.contains(.allDelivered) && got < due {
            failures.append("allDelivered: \(due - got) deliveries missing; " + missing.joined(separator: "; "))
        }
        if expect.contains(.noDuplicateDelivery) && !duplicateDeliveries.isEmpty {
            let d = duplicateDeliveries[0]
            failures.append("noDuplicateDelivery: \(duplicateDeliveries.count) duplicate deliveries; first n\(d.node) got b\(d.broadcast) again")
        }
        if expect.contains(.ttlRespected) && !ttlViolations.isEmpty {
            failures.append("ttlRespected: " + ttlViolations.prefix(3).joined(separator: "; "))
        }
        if expect.contains(.deadDetected) && !missedDetections.isEmpty {
            failures.append("deadDetected: within \(detectionBound): " + missedDetections.prefix(3).joined(separator: "; "))
        }
        if expect.contains(.noFalseDead) && !falseDeaths.isEmpty {
            failures.append("noFalseDead: " + falseDeaths.prefix(3).joined(separator: "; "))
        }
        if expect.contains(.boundedMemory) && !memoryViolations.isEmpty {
            failures.append("boundedMemory: " + memoryViolations.prefix(3).joined(separator: "; "))
        }
        let teamCheck = sim.teamReport(components: parts)
        failures += teamCheck?.failures ?? []
        let pairingCheck = sim.pairingReport()
        failures += pairingCheck?.failures ?? []
        let adversaryCheck = sim.adversaryReport(components: parts)
        failures += adversaryCheck?.failures ?? []
        // Always checked: a core must only send over links it has.
        if !sendsWithoutLink.isEmpty { failures.append("link rule: " + sendsWithoutLink.prefix(3).joined(separator: "; ")) }

        let made = origin.compactMap { $0 }.count
        let copies = sentByKind[KindCode.gossip.rawValue]
        let control = [KindCode.iHave, .graft, .prune, .want, .digest, .treeAdvert].reduce(0) { $0 + sentByKind[$1.rawValue] }
        let liveness = [KindCode.ping, .ack, .pingReq, .indirectAck, .suspect, .alive].reduce(0) { $0 + sentByKind[$1.rawValue] }
        return RunReport(
            scenario: scenario.name, seed: sim.seed, mode: scenario.gossip.mode, failures: failures,
            digest: sim.trace.finish(), traceRecords: sim.trace.records,
            broadcastsMade: made,
            deliveryRatio: due == 0 ? 1 : Double(got) / Double(due),
            copiesPerBroadcast: made == 0 ? 0 : Double(copies) / Double(made),
            controlPerBroadcast: made == 0 ? 0 : Double(control) / Double(made),
            maxHops: Int(maxHops.max() ?? 0),
            lastDeliveryHops: lastDelivery.compactMap { $0.map { Int($0.hops) } }.sorted(),
            diameter: topology.diameter,
            detectionMs: detectionTimes.map { Double($0) / 1e6 }.sorted(),
            falseDeaths: falseDeathCount,
            livenessMessages: liveness,
            events: sim.eventsHandled,
            simulatedSeconds: Double(scenario.durationMs) / 1000,
            peakQueue: sim.queue.peak,
            team: teamCheck?.report, pairing: pairingCheck?.report, adversary: adversaryCheck?.report
        )
    }
}
