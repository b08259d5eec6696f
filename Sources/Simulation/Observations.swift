import MeshCore
import Wire

/// What the simulator saw, kept to check the scenario's expectations and to report figures.
/// Everything is indexed by node and broadcast number; nothing hash-ordered reaches a report.
struct Observations {
    let scenario: Scenario
    let topology: Topology
    let nodeCount: Int

    // Broadcasts.
    var origin: [Int?]
    var madeAt: [Int64?]
    var skipped = 0
    /// Deliveries per node and broadcast (counts, to catch duplicates).
    var deliveries: [[UInt8]]
    var maxHops: [UInt32]
    /// Hops of the latest delivery of each broadcast: its last delivery hop.
    var lastDelivery: [(at: Int64, hops: UInt32)?]
    var duplicateDeliveries: [(node: Int, broadcast: Int, at: Int64)] = []
    var ttlViolations: [String] = []

    // Traffic.
    var sentByKind = [Int](repeating: 0, count: KindCode.allCases.count)
    var sendsWithoutLink: [String] = []
    var drops: [DropReason: Int] = [:]
    var limits: [MeshLimit: Int] = [:]

    // Liveness.
    var view: [Int: PeerStatus] = [:]
    struct Crash { var node: Int; var at: Int64; var restartedAt: Int64? }
    var crashes: [Crash] = []
    var downSince: [Int64?]
    var lastRestart: [Int64?]
    var detectionTimes: [Int64] = []
    var missedDetections: [String] = []
    var falseDeaths: [String] = []
    var falseDeathCount = 0
    struct PartitionSpan { var groups: [Int]; var from: Int64; var to: Int64? }
    var partitions: [PartitionSpan] = []

    // Memory.
    var memoryViolations: [String] = []
    var peakSeen = 0, peakStored = 0, peakMissing = 0, peakPending = 0, peakIndirect = 0

    init(scenario: Scenario, topology: Topology) {
        self.scenario = scenario
        self.topology = topology
        nodeCount = scenario.nodes
        let b = scenario.workload.broadcasts
        origin = [Int?](repeating: nil, count: b)
        madeAt = [Int64?](repeating: nil, count: b)
        deliveries = [[UInt8]](repeating: [UInt8](repeating: 0, count: b), count: scenario.nodes)
        maxHops = [UInt32](repeating: 0, count: b)
        lastDelivery = [(at: Int64, hops: UInt32)?](repeating: nil, count: b)
        downSince = [Int64?](repeating: nil, count: scenario.nodes)
        lastRestart = [Int64?](repeating: nil, count: scenario.nodes)
    }

    // MARK: Payloads

    /// Broadcast k's payload: its number (4 bytes) then filler from the workload generator.
    static func payload<R: RandomNumberGenerator>(for k: Int, bytes: Int, using rng: inout R) -> [UInt8] {
        var p: [UInt8] = [UInt8(k >> 24 & 0xFF), UInt8(k >> 16 & 0xFF), UInt8(k >> 8 & 0xFF), UInt8(k & 0xFF)]
        while p.count < max(4, bytes) { p.append(UInt8.random(in: 0...255, using: &rng)) }
        return p
    }

    static func broadcastIndex(of payload: [UInt8]) -> Int {
        guard payload.count >= 4 else { return -1 }
        return Int(payload[0]) << 24 | Int(payload[1]) << 16 | Int(payload[2]) << 8 | Int(payload[3])
    }

    // MARK: Recording

    mutating func broadcastMade(_ k: Int, by node: Int, at t: Int64) {
        origin[k] = node
        madeAt[k] = t
    }

    mutating func broadcastSkipped(_ k: Int) { skipped += 1 }

    mutating func delivered(_ d: Delivery, at node: Int, time: Int64) -> Int {
        let k = Self.broadcastIndex(of: d.payload)
        guard k >= 0 && k < origin.count else { return k }
        if deliveries[node][k] > 0 { duplicateDeliveries.append((node, k, time)) }
        deliveries[node][k] &+= 1
        maxHops[k] = max(maxHops[k], d.hops)
        if deliveries[node][k] == 1 { lastDelivery[k] = (time, d.hops) }
        if d.hops > scenario.gossip.ttl && ttlViolations.count < 10 {
            ttlViolations.append("n\(node) delivered b\(k) after \(d.hops) hops, above the TTL of \(scenario.gossip.ttl)")
        }
        return k
    }

    mutating func sent(_ message: MeshMessage, kind: KindCode, from a: Int, to b: Int) {
        sentByKind[kind.rawValue] += 1
        // Widened: a forged frame may carry any TTL and hop count, and the simulator never traps.
        if case let .gossip(f) = message, f.ttl < 1 || UInt64(f.ttl) + UInt64(f.hops) > UInt64(scenario.gossip.ttl),
           ttlViolations.count < 10 {
            ttlViolations.append("n\(a) sent b\(Self.broadcastIndex(of: f.payload)) to n\(b) with ttl \(f.ttl) after \(f.hops) hops "
                                 + "(origin TTL \(scenario.gossip.ttl))")
        }
    }

    mutating func sendWithoutLink(from a: Int, to b: Int) {
        if sendsWithoutLink.count < 10 { sendsWithoutLink.append("n\(a) sent to n\(b), with which it has no link") }
    }

    mutating func dropped(_ reason: DropReason) { drops[reason, default: 0] += 1 }
    mutating func limitReached(_ limit: MeshLimit) { limits[limit, default: 0] += 1 }

    mutating func partitionChanged(_ groups: [Int]?, at t: Int64) {
        if let last = partitions.indices.last, partitions[last].to == nil { partitions[last].to = t }
        if let groups { partitions.append(PartitionSpan(groups: groups, from: t, to: nil)) }
    }

    mutating func crashed(_ node: Int, at t: Int64) -> Int {
        downSince[node] = t
        crashes.append(Crash(node: node, at: t, restartedAt: nil))
        return crashes.count - 1
    }

    mutating func restarted(_ node: Int, at t: Int64) {
        downSince[node] = nil
        lastRestart[node] = t
        if let c = crashes.lastIndex(where: { $0.node == node && $0.restartedAt == nil }) { crashes[c].restartedAt = t }
    }

    mutating func statusChanged(observer i: Int, peer j: Int, to status: PeerStatus, at t: Int64) {
        view[i * nodeCount + j] = status
        guard status == .dead else { return }
        if let since = downSince[j] {
            // Only observers that knew the peer alive when it crashed time the detection.
            if (lastRestart[i] ?? 0) <= since { detectionTimes.append(t - since) }
        } else if isFalseDeath(observer: i, peer: j, at: t) {
            falseDeathCount += 1
            if falseDeaths.count < 10 {
                falseDeaths.append("n\(i) declared n\(j) dead at \(Instant(nanoseconds: t)) though n\(j) was running and reachable")
            }
        }
    }

    /// The window in which silence can lead to a death verdict.
    var silenceWindow: Duration {
        let l = scenario.liveness
        return l.probeInterval + l.probeTimeout * 2 + l.deadTimeout
    }

    /// From a crash to "dead" at every neighbour, at most: a probe interval, a failed probe,
    /// the dead timeout, and one second for timers and latency.
    /// A scenario may ask for a tighter bound (`deadDetectedWithinMs`).
    var detectionBound: Duration {
        scenario.deadDetectedWithinMs.map { .milliseconds($0) } ?? silenceWindow + .seconds(1)
    }

    /// A death is false when the peer ran, and no partition separated the two, for the whole
    /// window in which the verdict could have formed.
    private func isFalseDeath(observer i: Int, peer j: Int, at t: Int64) -> Bool {
        let windowStart = t - silenceWindow.nanoseconds
        if let restart = lastRestart[j], restart > windowStart { return false }
        if crashes.contains(where: { $0.node == j && $0.at > windowStart }) { return false }
        for span in partitions where span.groups[i] != span.groups[j] && (span.to ?? t) > windowStart {
            return false
        }
        return true
    }

    mutating func checkDeadDetected(crash index: Int, simulator sim: Simulator) {
        let crash = crashes[index]
        guard crash.restartedAt == nil else { return }
        for j in topology.neighbours[crash.node] where sim.nodes[j].up {
            // A neighbour that itself restarted after the crash never knew the node alive.
            if let r = lastRestart[j], r > crash.at { continue }
            let seen = view[j * nodeCount + crash.node] ?? .alive
            if seen != .dead && missedDetections.count < 10 {
                missedDetections.append("n\(j) still sees n\(crash.node) as \(seen) "
                                        + "\(Instant(nanoseconds: sim.now - crash.at)) after its crash")
            }
        }
    }

    mutating func checkMemory(_ f: NodeCore.Footprint, node i: Int, at t: Int64) {
        let g = scenario.gossip, l = scenario.liveness
        peakSeen = max(peakSeen, f.seen)
        peakStored = max(peakStored, f.stored)
        peakMissing = max(peakMissing, f.missing)
        peakPending = max(peakPending, f.pendingAnnouncements)
        peakIndirect = max(peakIndirect, f.pendingIndirectProbes)
        guard memoryViolations.count < 10 else { return }
        let checks: [(String, Int, Int)] = [
            ("seen-cache entries", f.seen, g.seenCapacity),
            ("stored messages", f.stored, g.storeCapacity),
            ("missing messages", f.missing, g.missingCapacity),
            ("pending announcements", f.pendingAnnouncements, g.pendingAnnouncementsPerPeer * max(1, f.neighbours)),
            ("indirect probes", f.pendingIndirectProbes, l.maxPendingIndirect),
        ]
        for (name, value, limit) in checks where value > limit {
            memoryViolations.append("n\(i) holds \(value) \(name) at \(Instant(nanoseconds: t)), above its limit of \(limit)")
        }
    }
}
