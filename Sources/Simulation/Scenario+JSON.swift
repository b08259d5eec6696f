import Foundation
import MeshCore
import Replicas

extension Scenario {
    /// Reads a scenario strictly: a missing required key, an unknown key, a value of the wrong
    /// type or out of range each throw a `ScenarioError` naming the key.
    public init(json data: Data) throws(ScenarioError) {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ScenarioError("", "not valid JSON: \(Self.jsonErrorSummary(error))")
        }
        var o = try StrictObject(root, at: "")
        guard let name = try o.string("name") else { throw ScenarioError("name", "is required") }
        guard let nodes = try o.integer("nodes", in: Limits.nodes) else { throw ScenarioError("nodes", "is required") }
        let topology = try Self.topology(try o.required("topology"), nodes: Int(nodes))
        guard let duration = try o.integer("durationMs", in: Limits.durationMs) else {
            throw ScenarioError("durationMs", "is required")
        }
        let gossip = try Self.gossip(o.value("gossip"))
        let liveness = try Self.liveness(o.value("liveness"))
        let network = try Self.network(o.value("network"))
        let events = try Self.events(o.array("events") ?? [], nodes: Int(nodes), durationMs: duration)
        let workload = try Self.workload(o.value("workload"), nodes: Int(nodes), durationMs: duration)
        let team = try o.value("team").map { v throws(ScenarioError) in try Self.team(v, nodes: Int(nodes), durationMs: duration) }
        let expect = try Self.expectations(o.array("expect") ?? [])
        let pairings = try Self.pairings(o.array("pairings") ?? [], team: team, nodes: Int(nodes), durationMs: duration)
        let replication = try Self.replication(o.value("replication"))
        let adversaries = try Self.adversaries(o.array("adversaries") ?? [], team: team, pairings: pairings,
                                               nodes: Int(nodes), durationMs: duration)
        let detectedWithin = try o.integer("deadDetectedWithinMs", in: Limits.durationMs)
        try o.finish(known: ["name", "nodes", "topology", "durationMs", "gossip", "liveness", "network", "events",
                             "workload", "team", "pairings", "replication", "adversaries", "expect", "deadDetectedWithinMs"])
        if pairings.isEmpty && expect.contains(.pairingsAsExpected) {
            throw ScenarioError("expect", "'pairingsAsExpected' needs a \"pairings\" list")
        }
        let teamExpectations: [Expectation] = [.replicasConverged, .noAcknowledgedOpLost, .singleOwner, .noGuestOpApplied,
                                              .chunksSpread, .noForgedEffect, .honestWritesAccepted, .messagesIntact]
        if team == nil, let e = expect.first(where: teamExpectations.contains) {
            throw ScenarioError("expect", "'\(e.rawValue)' needs a \"team\" section")
        }
        if adversaries.isEmpty && expect.contains(.noForgedEffect) {
            throw ScenarioError("expect", "'noForgedEffect' needs an \"adversaries\" list")
        }
        self.init(name: name, nodes: Int(nodes), topology: topology, durationMs: duration, gossip: gossip,
                  liveness: liveness, network: network, events: events, workload: workload, team: team, expect: expect,
                  pairings: pairings, adversaries: adversaries, replication: replication)
        self.deadDetectedWithinMs = detectedWithin
    }

    private static func topology(_ v: JSONValue, nodes: Int) throws(ScenarioError) -> TopologySpec {
        var o = try StrictObject(v, at: "topology")
        guard let kindName = try o.string("kind") else { throw ScenarioError("topology.kind", "is required") }
        guard let kind = TopologySpec.Kind(rawValue: kindName) else {
            throw ScenarioError("topology.kind", "unknown value '\(kindName)'; use one of "
                                + TopologySpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let degree = try o.integer("degree", in: 1...Int64(max(1, nodes - 1)))
        if kind == .random && degree == nil { throw ScenarioError("topology.degree", "is required for a random topology") }
        if kind != .random && degree != nil {
            throw ScenarioError("topology.degree", "applies to random topologies only (this one is '\(kind.rawValue)')")
        }
        try o.finish(known: ["kind", "degree"])
        return TopologySpec(kind: kind, degree: degree.map(Int.init))
    }

    private static func gossip(_ v: JSONValue?) throws(ScenarioError) -> GossipConfiguration {
        var config = GossipConfiguration()
        guard let v else { return config }
        var o = try StrictObject(v, at: "gossip")
        if let mode = try o.string("mode") {
            guard let m = GossipConfiguration.Mode(rawValue: mode) else {
                throw ScenarioError("gossip.mode", "unknown value '\(mode)'; use flood, tree or source")
            }
            config.mode = m
        }
        if let ttl = try o.integer("ttl", in: 1...Int64(GossipConfiguration.maximumTTL)) { config.ttl = UInt32(ttl) }
        try o.finish(known: ["mode", "ttl"])
        return config
    }

    private static func liveness(_ v: JSONValue?) throws(ScenarioError) -> LivenessConfiguration {
        var config = LivenessConfiguration()
        guard let v else { return config }
        var o = try StrictObject(v, at: "liveness")
        let ms: ClosedRange<Int64> = 1...3_600_000
        if let x = try o.integer("probeIntervalMs", in: ms) { config.probeInterval = .milliseconds(x) }
        if let x = try o.integer("probeTimeoutMs", in: ms) { config.probeTimeout = .milliseconds(x) }
        if let x = try o.integer("suspectProbeIntervalMs", in: ms) { config.suspectProbeInterval = .milliseconds(x) }
        // deadTimeoutMs is the fixed timeout (min = max); the Lifeguard bounds may refine it.
        if let x = try o.integer("deadTimeoutMs", in: ms) { config.deadTimeout = .milliseconds(x) }
        if let x = try o.integer("suspicionMinMs", in: ms) { config.suspicionMinimum = .milliseconds(x) }
        if let x = try o.integer("suspicionMaxMs", in: ms) { config.suspicionMaximum = .milliseconds(x) }
        if let x = try o.integer("suspicionConfirmations", in: 0...16) { config.suspicionConfirmations = Int(x) }
        if let x = try o.integer("maxHealth", in: 0...16) { config.maxHealth = Int(x) }
        guard config.suspicionMinimum <= config.suspicionMaximum else {
            throw ScenarioError("liveness.suspicionMinMs", "must not exceed suspicionMaxMs")
        }
        if let x = try o.integer("deadProbeIntervalMs", in: ms) { config.deadProbeInterval = .milliseconds(x) }
        if let x = try o.integer("indirectProbes", in: 0...16) { config.indirectProbes = Int(x) }
        try o.finish(known: ["probeIntervalMs", "probeTimeoutMs", "suspectProbeIntervalMs", "deadTimeoutMs",
                             "suspicionMinMs", "suspicionMaxMs", "suspicionConfirmations", "maxHealth",
                             "deadProbeIntervalMs", "indirectProbes"])
        return config
    }

    private static func network(_ v: JSONValue?) throws(ScenarioError) -> NetworkSpec {
        var spec = NetworkSpec()
        guard let v else { return spec }
        var o = try StrictObject(v, at: "network")
        if let range = try o.array("latencyMs") {
            guard range.count == 2 else { throw ScenarioError("network.latencyMs", "expected [min, max]") }
            let lo = try StrictObject.number(range[0], at: "network.latencyMs[0]", in: Limits.latencyMs)
            let hi = try StrictObject.number(range[1], at: "network.latencyMs[1]", in: Limits.latencyMs)
            guard lo <= hi else { throw ScenarioError("network.latencyMs", "min \(lo) is above max \(hi)") }
            spec.latencyMs = lo...hi
        }
        if let p = try o.number("loss", in: 0...1) {
            guard p < 1 else { throw ScenarioError("network.loss", "1 loses every message; use a partition instead") }
            spec.loss = p
        }
        if let p = try o.number("duplicate", in: 0...1) { spec.duplicate = p }
        if let p = try o.number("reorder", in: 0...1) { spec.reorder = p }
        try o.finish(known: ["latencyMs", "loss", "duplicate", "reorder"])
        return spec
    }

    private static func events(_ list: [JSONValue], nodes: Int, durationMs: Int64) throws(ScenarioError) -> [ScenarioEvent] {
        guard list.count <= Limits.events else { throw ScenarioError("events", "more than \(Limits.events) events") }
        var out: [ScenarioEvent] = []
        for (i, v) in list.enumerated() {
            let path = "events[\(i)]"
            var o = try StrictObject(v, at: path)
            guard let at = try o.integer("atMs", in: 0...durationMs) else { throw ScenarioError("\(path).atMs", "is required") }
            let actions = ["partition", "heal", "crash", "restart", "clockSkewMs"]
            let present = actions.filter { o.keys.contains($0) }
            guard present.count == 1 else {
                throw ScenarioError(path, present.isEmpty ? "needs one of \(actions.joined(separator: ", "))"
                                                          : "has \(present.joined(separator: " and ")); one action per event")
            }
            let node: ClosedRange<Int64> = 0...Int64(nodes - 1)
            let action: ScenarioEvent.Action
            switch present[0] {
            case "partition":
                guard let groups = try o.array("partition") else { throw ScenarioError("\(path).partition", "is required") }
                var seen = Set<Int>()
                var parsed: [[Int]] = []
                for (g, group) in groups.enumerated() {
                    guard case let .array(members) = group else {
                        throw ScenarioError("\(path).partition[\(g)]", "expected an array of node indices")
                    }
                    var ids: [Int] = []
                    for (m, member) in members.enumerated() {
                        let n = Int(try StrictObject.integer(member, at: "\(path).partition[\(g)][\(m)]", in: node))
                        guard seen.insert(n).inserted else {
                            throw ScenarioError("\(path).partition[\(g)][\(m)]", "node \(n) is in two groups")
                        }
                        ids.append(n)
                    }
                    parsed.append(ids)
                }
                action = .partition(parsed)
            case "heal":
                guard case .bool(true)? = o.value("heal") else { throw ScenarioError("\(path).heal", "must be true") }
                action = .heal
            case "crash":
                action = .crash(Int(try o.integer("crash", in: node)!))
            case "restart":
                action = .restart(Int(try o.integer("restart", in: node)!))
            default:
                var skew = try StrictObject(o.value("clockSkewMs")!, at: "\(path).clockSkewMs")
                guard let n = try skew.integer("node", in: node) else { throw ScenarioError("\(path).clockSkewMs.node", "is required") }
                guard let by = try skew.integer("by", in: -86_400_000...86_400_000) else {
                    throw ScenarioError("\(path).clockSkewMs.by", "is required")
                }
                try skew.finish(known: ["node", "by"])
                action = .clockSkew(node: Int(n), byMs: by)
            }
            try o.finish(known: ["atMs"] + actions)
            out.append(ScenarioEvent(atMs: at, action: action))
        }
        try checkCrashesAndRestarts(out, nodes: nodes)
        return out
    }

    /// In time order, a node may only crash while running and restart while down.
    private static func checkCrashesAndRestarts(_ events: [ScenarioEvent], nodes: Int) throws(ScenarioError) {
        var down = [Bool](repeating: false, count: nodes)
        let order = events.indices.sorted { (events[$0].atMs, $0) < (events[$1].atMs, $1) }
        for i in order {
            switch events[i].action {
            case let .crash(n):
                guard !down[n] else { throw ScenarioError("events[\(i)].crash", "node \(n) is already down at \(events[i].atMs) ms") }
                down[n] = true
            case let .restart(n):
                guard down[n] else { throw ScenarioError("events[\(i)].restart", "node \(n) is running at \(events[i].atMs) ms; crash it first") }
                down[n] = false
            default:
                break
            }
        }
    }

    private static func workload(_ v: JSONValue?, nodes: Int, durationMs: Int64) throws(ScenarioError) -> Workload {
        var w = Workload()
        guard let v else { return w }
        var o = try StrictObject(v, at: "workload")
        if let n = try o.integer("broadcasts", in: Limits.broadcasts) { w.broadcasts = Int(n) }
        if let from = o.value("from") {
            switch from {
            case .string("random"): w.from = .random
            case .number:
                w.from = .node(Int(try StrictObject.integer(from, at: "workload.from", in: 0...Int64(nodes - 1))))
            default:
                throw ScenarioError("workload.from", "expected \"random\" or a node index")
            }
        }
        if let s = try o.integer("startMs", in: 0...durationMs) { w.startMs = s }
        if let e = try o.integer("endMs", in: 0...durationMs) { w.endMs = e }
        if let p = try o.integer("payloadBytes", in: Limits.payloadBytes) { w.payloadBytes = Int(p) }
        if w.startMs > w.endMs ?? max(w.startMs, durationMs / 2) {
            throw ScenarioError("workload.endMs", "is before startMs")
        }
        try o.finish(known: ["broadcasts", "from", "startMs", "endMs", "payloadBytes"])
        return w
    }

    private static func team(_ v: JSONValue, nodes: Int, durationMs: Int64) throws(ScenarioError) -> TeamWorkload {
        var t = TeamWorkload()
        var o = try StrictObject(v, at: "team")
        let count: ClosedRange<Int64> = 0...100_000
        if let x = try o.integer("admins", in: 0...Int64(nodes - 1)) { t.admins = Int(x) }
        if let x = try o.integer("guests", in: 0...Int64(nodes - 1)) { t.guests = Int(x) }
        guard t.admins + t.guests <= nodes - 1 else {
            throw ScenarioError("team.guests", "admins and guests together exceed the \(nodes - 1) nodes besides node 0")
        }
        if let x = try o.integer("items", in: count) { t.items = Int(x) }
        if let x = try o.integer("writes", in: count) { t.writes = Int(x) }
        if let x = try o.integer("claimRaces", in: count) { t.claimRaces = Int(x) }
        if let x = try o.integer("guestWrites", in: count) { t.guestWrites = Int(x) }
        if t.guestWrites > 0 && t.guests == 0 { throw ScenarioError("team.guestWrites", "needs at least one guest") }
        if let x = try o.integer("messages", in: count) { t.messages = Int(x) }
        if let x = try o.integer("startMs", in: 0...durationMs) { t.startMs = x }
        if let x = try o.integer("endMs", in: 0...durationMs) { t.endMs = x }
        try o.finish(known: ["admins", "guests", "items", "writes", "claimRaces", "guestWrites", "messages", "startMs", "endMs"])
        return t
    }

    /// The pairing runs: each inviter must be node 0 or an Admin, each joiner a node that is in
    /// no other run and not an inviter, so the team setup leaves it out.
    private static func pairings(_ list: [JSONValue], team: TeamWorkload?, nodes: Int,
                                 durationMs: Int64) throws(ScenarioError) -> [PairingRun] {
        guard !list.isEmpty else { return [] }
        guard let team else { throw ScenarioError("pairings", "needs a \"team\" section: a code grants a team role") }
        guard list.count <= nodes else { throw ScenarioError("pairings", "more runs than nodes") }
        var out: [PairingRun] = []
        let node: ClosedRange<Int64> = 0...Int64(nodes - 1)
        for (i, v) in list.enumerated() {
            let path = "pairings[\(i)]"
            var o = try StrictObject(v, at: path)
            guard let at = try o.integer("atMs", in: 0...durationMs) else { throw ScenarioError("\(path).atMs", "is required") }
            guard let inviter = try o.integer("inviter", in: node).map(Int.init) else { throw ScenarioError("\(path).inviter", "is required") }
            guard let joiner = try o.integer("joiner", in: node).map(Int.init) else { throw ScenarioError("\(path).joiner", "is required") }
            var run = PairingRun(atMs: at, inviter: inviter, joiner: joiner)
            if let name = try o.string("role") {
                guard let role = Role(name: name), role != .superAdmin else {
                    throw ScenarioError("\(path).role", "unknown role '\(name)'; use admin, member or guest")
                }
                run.role = role
            }
            if let n = try o.integer("wrongTries", in: 0...10) { run.wrongTries = Int(n) }
            try o.finish(known: ["atMs", "inviter", "joiner", "role", "wrongTries"])
            guard inviter <= team.admins else {
                throw ScenarioError("\(path).inviter", "node \(inviter) is not an Admin (node 0 and nodes 1...\(team.admins) are)")
            }
            guard joiner != inviter else { throw ScenarioError("\(path).joiner", "a node cannot pair with itself") }
            guard joiner > team.admins else {
                throw ScenarioError("\(path).joiner", "node \(joiner) is an Admin, a member from the start; pick a node above \(team.admins)")
            }
            guard !out.contains(where: { $0.joiner == joiner }) else {
                throw ScenarioError("\(path).joiner", "node \(joiner) already joins in an earlier run")
            }
            out.append(run)
        }
        return out
    }

    private static func expectations(_ list: [JSONValue]) throws(ScenarioError) -> [Expectation] {
        var out: [Expectation] = []
        for (i, v) in list.enumerated() {
            guard case let .string(s) = v, let e = Expectation(rawValue: s) else {
                let shown = if case let .string(s) = v { "'\(s)'" } else { v.kindName }
                throw ScenarioError("expect[\(i)]", "unknown expectation \(shown); use one of "
                                    + Expectation.allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !out.contains(e) { out.append(e) }
        }
        return out
    }

    private static func jsonErrorSummary(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
                ?? context.debugDescription
        }
        return "\(error)"
    }
}
