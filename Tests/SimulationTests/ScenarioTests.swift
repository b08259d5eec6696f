import Foundation
import Testing
@testable import Simulation

/// The repository's Simulations/ folder, found from this file's path.
let simulationsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Simulations")

func scenario(_ json: String) throws(ScenarioError) -> Scenario {
    try Scenario(json: Data(json.utf8))
}

let minimal = #"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000}"#

@Suite struct ScenarioParsingTests {
    @Test func everyShippedScenarioParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: simulationsFolder.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 6)
        for file in files.sorted() {
            let data = try Data(contentsOf: simulationsFolder.appendingPathComponent(file))
            let s = try Scenario(json: data)
            #expect(!s.expect.isEmpty, "\(file) checks nothing")
        }
    }

    @Test func defaultsApply() throws {
        let s = try scenario(minimal)
        #expect(s.gossip.mode == .flood && s.gossip.ttl == 8)
        #expect(s.liveness.suspicionMinimum == .milliseconds(750) && s.liveness.suspicionMaximum == .milliseconds(1250))
        #expect(s.workload.broadcasts == 0)
    }

    @Test(arguments: [
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "colour": 1}"#, "colour: unknown key"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line", "degre": 2}, "durationMs": 1000}"#, "topology.degre: unknown key"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "star"}, "durationMs": 1000}"#, "topology.kind: unknown value 'star'"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "random"}, "durationMs": 1000}"#, "topology.degree: is required"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line", "degree": 2}, "durationMs": 1000}"#, "topology.degree: applies to random"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}}"#, "durationMs: is required"),
        (#"{"name": "t", "nodes": "3", "topology": {"kind": "line"}, "durationMs": 1000}"#, "nodes: expected a whole number"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "gossip": {"mode": "gossip"}}"#, "gossip.mode: unknown value"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "gossip": {"ttl": 17}}"#, "gossip.ttl: 17 is outside"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "network": {"loss": 1}}"#, "network.loss: 1 loses every message"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "network": {"latencyMs": [5, 1]}}"#, "network.latencyMs: min 5.0 is above max 1.0"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "events": [{"atMs": 1, "crash": 3}]}"#, "events[0].crash: 3 is outside 0...2"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "events": [{"atMs": 1, "crash": 1, "heal": true}]}"#, "events[0]: has heal and crash"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "events": [{"atMs": 1, "partition": [[0, 1], [1]]}]}"#, "events[0].partition[1][0]: node 1 is in two groups"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "events": [{"atMs": 1, "restart": 1}]}"#, "events[0].restart: node 1 is running"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "events": [{"atMs": 2, "crash": 1}, {"atMs": 1, "crash": 1}]}"#, "events[0].crash: node 1 is already down"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "expect": ["allDeliverd"]}"#, "expect[0]: unknown expectation 'allDeliverd'"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000, "workload": {"from": "everyone"}}"#, "workload.from: expected"),
        (#"{"name": "t", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 1000,"#, "not valid JSON"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "pairings": [{"atMs": 1, "inviter": 0, "joiner": 3}]}"#, "pairings: needs a \"team\" section"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "team": {"admins": 1}, "pairings": [{"atMs": 1, "inviter": 2, "joiner": 3}]}"#, "pairings[0].inviter: node 2 is not an Admin"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "team": {"admins": 1}, "pairings": [{"atMs": 1, "inviter": 0, "joiner": 1}]}"#, "pairings[0].joiner: node 1 is an Admin"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "team": {}, "pairings": [{"atMs": 1, "inviter": 0, "joiner": 3, "role": "superadmin"}]}"#, "pairings[0].role: unknown role 'superadmin'"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "team": {}, "pairings": [{"atMs": 1, "inviter": 0, "joiner": 3, "wrongTries": 11}]}"#, "pairings[0].wrongTries: 11 is outside"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "team": {}, "pairings": [{"atMs": 1, "inviter": 0, "joiner": 3}, {"atMs": 2, "inviter": 0, "joiner": 3}]}"#, "pairings[1].joiner: node 3 already joins"),
        (#"{"name": "t", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 1000, "team": {}, "expect": ["pairingsAsExpected"]}"#, "'pairingsAsExpected' needs a \"pairings\" list"),
    ])
    func badInputIsNamed(json: String, expected: String) {
        do {
            _ = try scenario(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description.contains(expected), "got: \(error.description)")
        }
    }
}

@Suite struct TopologyTests {
    @Test func shapes() {
        var rng = MeshCoreRNG.make(1)
        let line = Topology.build(TopologySpec(kind: .line), nodes: 5, using: &rng)
        #expect(line.edgeCount == 4 && line.diameter == 4)
        let ring = Topology.build(TopologySpec(kind: .ring), nodes: 6, using: &rng)
        #expect(ring.edgeCount == 6 && ring.diameter == 3)
        let full = Topology.build(TopologySpec(kind: .full), nodes: 5, using: &rng)
        #expect(full.edgeCount == 10 && full.diameter == 1)
    }

    @Test func randomGraphsAreConnectedWithTheAskedDegree() {
        for seed in 1...20 as ClosedRange<UInt64> {
            var rng = MeshCoreRNG.make(seed)
            let t = Topology.build(TopologySpec(kind: .random, degree: 4), nodes: 60, using: &rng)
            #expect(t.components(among: Array(0..<60)) { _, _ in true }.count == 1)
            let degrees = t.neighbours.map(\.count)
            #expect(degrees.filter { $0 == 4 }.count >= 50, "most nodes reach the degree")
            #expect(degrees.max()! <= 5, "only component joins add a link")
        }
    }

    @Test func componentsRespectAllowedLinks() {
        let line = Topology(neighbours: [[1], [0, 2], [1, 3], [2]])
        let parts = line.components(among: [0, 1, 2, 3]) { a, b in !(min(a, b) == 1 && max(a, b) == 2) }
        #expect(parts == [[0, 1], [2, 3]])
    }
}

@Suite struct EventQueueTests {
    @Test func ordersByTimeThenInsertion() {
        var q = EventQueue<String>()
        q.push("c", at: 5)
        q.push("a", at: 1)
        q.push("d", at: 5)
        q.push("b", at: 1)
        var out: [String] = []
        while let (_, e) = q.pop() { out.append(e) }
        #expect(out == ["a", "b", "c", "d"])
        #expect(q.peak == 4)
    }
}
