import MeshCore

extension Scenario {
    /// The `replication` key: the replication core's limits, each only lowered from its default
    /// (a scenario makes a flood reach them in seconds; it cannot make a node hold more).
    static func replication(_ v: JSONValue?) throws(ScenarioError) -> ReplicationConfiguration {
        var config = ReplicationConfiguration()
        guard let v else { return config }
        let d = ReplicationConfiguration()
        var o = try StrictObject(v, at: "replication")
        if let x = try o.integer("maxTeams", in: 1...Int64(d.maxTeams)) { config.maxTeams = Int(x) }
        if let x = try o.integer("maxOrphanOps", in: 0...Int64(d.maxOrphanOps)) { config.maxOrphanOps = Int(x) }
        if let x = try o.integer("orphanMaxAgeMs", in: 1_000...Int64(d.orphanMaxAgeMs)) { config.orphanMaxAgeMs = UInt64(x) }
        if let x = try o.integer("maxHeldOps", in: 0...Int64(d.replicaLimits.maxHeldOps)) { config.replicaLimits.maxHeldOps = Int(x) }
        if let x = try o.integer("maxHeldAhead", in: 1...Int64(d.replicaLimits.maxHeldAhead)) {
            config.replicaLimits.maxHeldAhead = UInt64(x)
        }
        if let x = try o.integer("maxOps", in: 1_000...Int64(d.replicaLimits.maxOps)) { config.replicaLimits.maxOps = Int(x) }
        if let x = try o.integer("maxStrangerOps", in: 0...Int64(d.replicaLimits.maxStrangerOps)) {
            config.replicaLimits.maxStrangerOps = Int(x)
        }
        try o.finish(known: ["maxTeams", "maxOrphanOps", "orphanMaxAgeMs", "maxHeldOps", "maxHeldAhead", "maxOps", "maxStrangerOps"])
        return config
    }

    /// The `adversaries` list. Each node turns hostile at most once; node 0 (the team's founder)
    /// never does; a backdater is an Admin of the team (nodes 1…admins) removed at `removedAtMs`;
    /// the others are left out of the team; no adversary pairs by code.
    static func adversaries(_ list: [JSONValue], team: TeamWorkload?, pairings: [PairingRun], nodes: Int,
                            durationMs: Int64) throws(ScenarioError) -> [AdversarySpec] {
        guard list.count < nodes else { throw ScenarioError("adversaries", "at most \(nodes - 1): one node at least stays honest") }
        var out: [AdversarySpec] = []
        let node: ClosedRange<Int64> = 0...Int64(nodes - 1)
        let time: ClosedRange<Int64> = 0...durationMs
        typealias L = AdversarySpec.Limits
        for (i, v) in list.enumerated() {
            let path = "adversaries[\(i)]"
            var o = try StrictObject(v, at: path)
            guard let n = try o.integer("node", in: node).map(Int.init) else { throw ScenarioError("\(path).node", "is required") }
            guard let kindName = try o.string("kind") else { throw ScenarioError("\(path).kind", "is required") }
            guard let kind = AdversarySpec.Kind(rawValue: kindName) else {
                throw ScenarioError("\(path).kind", "unknown value '\(kindName)'; use one of "
                                    + AdversarySpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let start = try o.integer("startMs", in: time) else { throw ScenarioError("\(path).startMs", "is required") }
            var a = AdversarySpec(node: n, kind: kind, startMs: start)
            a.endMs = try o.integer("endMs", in: time)
            if let x = try o.integer("everyMs", in: L.everyMs) { a.everyMs = x }
            if let x = try o.integer("burst", in: L.burst) { a.burst = Int(x) }
            let replayOnly = ["recordUntilMs", "keep"], backdaterOnly = ["removedAtMs", "backdateMs"]
            for key in (kind == .replay ? [] : replayOnly) + (kind == .backdater ? [] : backdaterOnly) where o.keys.contains(key) {
                throw ScenarioError("\(path).\(key)", "applies to \(replayOnly.contains(key) ? "replay" : "backdater") adversaries only")
            }
            a.recordUntilMs = try o.integer("recordUntilMs", in: time)
            if let x = try o.integer("keep", in: L.keep) { a.keep = Int(x) }
            a.removedAtMs = try o.integer("removedAtMs", in: time)
            if let x = try o.integer("backdateMs", in: L.backdateMs) { a.backdateMs = x }
            try o.finish(known: ["node", "kind", "startMs", "endMs", "everyMs", "burst"] + replayOnly + backdaterOnly)
            try check(a, at: path, team: team, pairings: pairings, durationMs: durationMs, earlier: out)
            out.append(a)
        }
        return out
    }

    private static func check(_ a: AdversarySpec, at path: String, team: TeamWorkload?, pairings: [PairingRun],
                              durationMs: Int64, earlier: [AdversarySpec]) throws(ScenarioError) {
        let last = a.lastBurstMs(durationMs: durationMs)
        guard last >= a.startMs else { throw ScenarioError("\(path).endMs", "is before startMs") }
        let messages = a.bursts(durationMs: durationMs) * a.burst
        guard messages <= AdversarySpec.Limits.messages else {
            throw ScenarioError(path, "\(messages) forged messages (bursts × burst); at most \(AdversarySpec.Limits.messages)")
        }
        guard !earlier.contains(where: { $0.node == a.node }) else {
            throw ScenarioError("\(path).node", "node \(a.node) is already an adversary")
        }
        if team != nil && a.node == 0 { throw ScenarioError("\(path).node", "node 0 founds the team; pick another node") }
        if pairings.contains(where: { $0.joiner == a.node || $0.inviter == a.node }) {
            throw ScenarioError("\(path).node", "node \(a.node) takes part in a pairing run")
        }
        if let r = a.recordUntilMs, r > a.startMs {
            throw ScenarioError("\(path).recordUntilMs", "is after startMs: it replays only what it recorded before")
        }
        guard a.kind == .backdater else { return }
        guard let team else { throw ScenarioError("\(path).kind", "a backdater needs a \"team\" section") }
        guard (1...max(1, team.admins)).contains(a.node), team.admins > 0 else {
            throw ScenarioError("\(path).node", "a backdater is an Admin: one of nodes 1...\(team.admins)")
        }
        guard let removed = a.removedAtMs else { throw ScenarioError("\(path).removedAtMs", "is required for a backdater") }
        guard removed < a.startMs else { throw ScenarioError("\(path).startMs", "must be after removedAtMs (\(removed))") }
        // Its one honest write is at removedAtMs / 2; its forged ops are dated after it.
        guard a.backdateMs < removed / 2 else {
            throw ScenarioError("\(path).backdateMs", "must be below removedAtMs / 2 (\(removed / 2)): its forged ops are dated after its own honest write")
        }
        guard messages <= Int(a.backdateMs) else {
            throw ScenarioError(path, "\(messages) forged ops would not fit in backdateMs (one a millisecond, all before the removal)")
        }
    }
}
