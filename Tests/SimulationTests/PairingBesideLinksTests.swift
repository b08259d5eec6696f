import Foundation
import MeshCore
import Testing
@testable import Simulation

/// A code used between nodes that are linked already (issue 17, item 2): the attempt takes the
/// path of their ordinary link while gossip, liveness and sync go on over it.
@Suite struct PairingBesideLinksTests {
    /// Six nodes, full mesh (so inviter and joiner are neighbours), broadcasts all through the run.
    static let scenario = """
    {"name": "pair-beside", "nodes": 6, "topology": {"kind": "full"}, "durationMs": 40000,
     "gossip": {"mode": "flood", "ttl": 4}, "network": {"latencyMs": [2, 10]},
     "workload": {"broadcasts": 2000, "startMs": 500, "endMs": 30000},
     "team": {"admins": 1, "items": 3, "writes": 30, "startMs": 1000, "endMs": 20000},
     "pairings": [{"atMs": 2000, "inviter": 0, "joiner": 5, "role": "member", "wrongTries": 1}],
     "expect": ["replicasConverged", "pairingsAsExpected", "noDuplicateDelivery"]}
    """

    @Test func theRunSharesTheLinkWithGossipAndSucceeds() throws {
        var lines: [String] = []
        let sim = Simulator(scenario: try Scenario(json: Data(Self.scenario.utf8)), seed: 11,
                            trace: TraceRecorder(lines: { lines.append($0) }))
        let report = sim.run()
        #expect(report.failures == [])
        #expect(report.pairing?.paired == 1 && report.pairing?.failedAttempts == 1)
        // A wrong try (request, response) and the right one (four): every one took the link's path.
        #expect(sim.pairingMessagesBesideLinks == 4 + 2)
        let team = try #require(sim.teamID)
        for n in sim.nodes { #expect(n.core.replication.replica(team)?.state.role(of: sim.nodes[5].id) == .member) }

        // While the right code's attempt ran, the same link carried ordinary traffic too.
        let start = try #require(lines.firstIndex { $0.contains("n5 tries the code with n0") })
        let end = try #require(lines.firstIndex { $0.contains("n5 attempt 2: paired") })
        let window = lines[start...end]
        let onLink = window.filter { $0.contains("n0 → n5 ") || $0.contains("n5 → n0 ") }
        let pairing = onLink.filter { $0.contains(" pair-") }
        #expect(pairing.count == 4, "request, response, confirm and result: \(pairing)")
        #expect(onLink.count > pairing.count, "gossip, liveness or sync beside the run: \(onLink)")
    }
}
