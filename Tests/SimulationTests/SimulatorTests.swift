import Foundation
import MeshCore
import Testing
import Wire
@testable import Simulation

func shipped(_ name: String) throws -> Scenario {
    try Scenario(json: Data(contentsOf: simulationsFolder.appendingPathComponent(name + ".json")))
}

enum MeshCoreRNG {
    static func make(_ seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed) }
}

@Suite struct DeterminismTests {
    @Test func sameSeedSameTraceDifferentSeedDifferentTrace() throws {
        var s = try shipped("random-50-loss")
        s.durationMs = 8000
        s.workload.endMs = 4000
        s.workload.broadcasts = 20
        var linesA: [String] = [], linesB: [String] = []
        let a = Simulator(scenario: s, seed: 7, trace: TraceRecorder { linesA.append($0) }).run()
        let b = Simulator(scenario: s, seed: 7, trace: TraceRecorder { linesB.append($0) }).run()
        let quiet = Simulator(scenario: s, seed: 7).run()
        let c = Simulator(scenario: s, seed: 8).run()
        #expect(a.digest == b.digest)
        #expect(linesA == linesB)
        #expect(linesA.count == a.traceRecords && linesA.count > 1000)
        #expect(quiet.digest == a.digest, "writing lines does not change the digest")
        #expect(c.digest != a.digest)
    }
}

@Suite struct InvariantTests {
    @Test func shippedLineScenarioPasses() throws {
        let report = Simulator(scenario: try shipped("line-3"), seed: 1).run()
        #expect(report.failures == [])
        #expect(report.broadcastsMade == 40)
        #expect(report.deliveryRatio == 1)
        #expect(!report.detectionMs.isEmpty, "the crash of n2 is detected by n1")
    }

    @Test func aTTLBelowTheDistanceIsCaughtAsMissingDeliveries() throws {
        let s = try scenario("""
        {"name": "short-ttl", "nodes": 5, "topology": {"kind": "line"}, "durationMs": 5000,
         "gossip": {"ttl": 2}, "workload": {"broadcasts": 1, "from": 0, "startMs": 100},
         "expect": ["allDelivered", "ttlRespected"]}
        """)
        let report = Simulator(scenario: s, seed: 1).run()
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.contains("allDelivered: 2 deliveries missing; b0 from n0 missing at n3,n4") == true)
        #expect(report.maxHops == 2)
    }

    @Test func aStandingPartitionOnlyOwesItsOwnSide() throws {
        let s = try scenario("""
        {"name": "split", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 8000,
         "events": [{"atMs": 10, "partition": [[0, 1], [2, 3]]}],
         "workload": {"broadcasts": 2, "from": 0, "startMs": 1000, "endMs": 2000},
         "expect": ["allDelivered", "noFalseDead"]}
        """)
        let report = Simulator(scenario: s, seed: 3).run()
        #expect(report.failures == [])
        #expect(report.deliveryRatio == 1)
    }

    @Test func aHealedPartitionIsRepairedByAntiEntropy() throws {
        let s = try scenario("""
        {"name": "heal", "nodes": 4, "topology": {"kind": "line"}, "durationMs": 20000,
         "liveness": {"deadTimeoutMs": 2000},
         "events": [{"atMs": 10, "partition": [[0, 1], [2, 3]]}, {"atMs": 8000, "heal": true}],
         "workload": {"broadcasts": 3, "from": 0, "startMs": 1000, "endMs": 3000},
         "expect": ["allDelivered", "noDuplicateDelivery", "noFalseDead"]}
        """)
        let report = Simulator(scenario: s, seed: 3).run()
        #expect(report.failures == [])
    }

    /// DESIGN.md section 4: after a partition, bandwidth follows the difference. Counted from
    /// outside the nodes, every repair byte of every layer from the heal to convergence.
    @Test(arguments: [1, 2] as [UInt64]) func aHealCostsAboutWhatWasMissingNotAFlood(seed: UInt64) throws {
        let report = Simulator(scenario: try shipped("team-partition"), seed: seed).run()
        #expect(report.failures == [])
        guard let heal = report.team?.healRepair else {
            Issue.record("the team-partition scenario heals: its repair must be measured")
            return
        }
        #expect(heal.missingBytes > 50_000, "the partition kept real ops apart")
        #expect(heal.ratio <= 1.2, "\(heal)")
        #expect(heal.routerCopyBytes < heal.missingBytes / 20, "old ops are anti-entropy's to repair, not flooded: \(heal)")
    }

    @Test func observationsFlagDuplicatesAndMemory() throws {
        var s = try scenario(minimal)
        s.workload.broadcasts = 1
        var o = Observations(scenario: s, topology: Topology(neighbours: [[1], [0, 2], [1]]))
        o.broadcastMade(0, by: 0, at: 0)
        var rng = SeededGenerator(seed: 1)
        let payload = Observations.payload(for: 0, bytes: 8, using: &rng)
        #expect(Observations.broadcastIndex(of: payload) == 0)
        let d = Delivery(id: MessageID(high: 1, low: 1), origin: NodeID(bytes: [UInt8](repeating: 1, count: 20))!,
                         payload: payload, hops: 1)
        _ = o.delivered(d, at: 1, time: 10)
        #expect(o.duplicateDeliveries.isEmpty)
        _ = o.delivered(d, at: 1, time: 20)
        #expect(o.duplicateDeliveries.count == 1)
        o.checkMemory(NodeCore.Footprint(seen: s.gossip.seenCapacity + 1, stored: 0, missing: 0, pendingAnnouncements: 0,
                                         pendingIndirectProbes: 0, neighbours: 1), node: 2, at: 5)
        #expect(o.memoryViolations.first?.contains("n2 holds 100001 seen-cache entries") == true)
    }
}
