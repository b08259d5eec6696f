import Foundation
import MeshCore
import Replicas
import Sodium
import Testing
import Wire
@testable import Simulation

/// One short run per adversary kind: the adversary must have sent its traffic, and the honest
/// nodes must have refused it (counted by their own cores) with every invariant holding.
@Suite struct AdversaryRunTests {
    static let expectations = #""expect": ["noDuplicateDelivery", "boundedMemory", "replicasConverged", "noAcknowledgedOpLost", "singleOwner", "noForgedEffect", "honestWritesAccepted", "replicasBounded"]"#

    static func run(_ body: String, seed: UInt64 = 1) throws -> RunReport {
        let s = try scenario(#"{"name": "adv", "nodes": 6, "topology": {"kind": "ring"}, "liveness": {"deadTimeoutMs": 5000}, "# + body
                             + ", " + expectations + "}")
        return Simulator(scenario: s, seed: seed).run()
    }

    @Test func extremeIntegersAreRefusedWithoutATrap() throws {
        let report = try Self.run("""
        "durationMs": 20000, "workload": {"broadcasts": 5, "startMs": 500, "endMs": 8000},
        "team": {"admins": 1, "items": 4, "writes": 20, "startMs": 500, "endMs": 12000},
        "adversaries": [{"node": 3, "kind": "extremeIntegers", "startMs": 1000, "endMs": 6000, "everyMs": 1000, "burst": 22}]
        """)
        #expect(report.failures == [])
        let a = try #require(report.adversary)
        let me = a.adversaries[0]
        #expect(me.messagesSent > 100 && me.opsSigned > 10 && me.teamsCreated == 1)
        #expect(me.refusedByWire > 0, "the 30,000-author vector does not fit a frame")
        #expect(a.refusals("incarnation-out-of-range") > 0)
        #expect(a.refusals("op-too-far-ahead") > 0)
        #expect(a.refusals("payload-too-large") > 0 && a.refusals("ttl-out-of-range") > 0)
        #expect(a.refusals("malformed-batch") > 0)
        #expect(a.refusals("unasked-chunk") > 0)
        #expect(a.nonMemberOpsSetAside > 0, "its ops in the honest team change nothing")
        #expect(a.honestAcksDuringAttack > 0)
    }

    @Test func aJunkFloodStaysWithinTheLimits() throws {
        let report = try Self.run("""
        "durationMs": 20000,
        "team": {"admins": 1, "items": 4, "writes": 20, "startMs": 500, "endMs": 12000},
        "replication": {"maxTeams": 4, "maxOrphanOps": 20, "maxHeldOps": 20, "maxHeldAhead": 10},
        "adversaries": [{"node": 3, "kind": "junkFlood", "startMs": 1000, "endMs": 8000, "everyMs": 200, "burst": 6}]
        """)
        #expect(report.failures == [])
        let a = try #require(report.adversary)
        let me = a.adversaries[0]
        #expect(me.teamsCreated > 4 && me.strangers > 0 && me.opsSigned > 100)
        #expect(a.refusals("replication.teamsRefused") > 0, "junk teams beyond the 4 slots are refused")
        #expect(a.refusals("replication.orphansEvicted") > 0, "orphans beyond 20 make room")
        #expect(a.refusals("replica.heldDropped") + a.nonMemberOpsSetAside > 0, "ops a billion ahead are not held")
        #expect(a.nonMemberOpsSetAside > 0)
        #expect(a.peakTeams == 4 && a.peakOrphans == 20 && a.peakHeld > 0 && a.peakHeld <= 20)
    }

    @Test func replaysAfterTheSeenCacheAreNotDeliveredAgain() throws {
        let report = try Self.run("""
        "durationMs": 200000, "workload": {"broadcasts": 10, "startMs": 500, "endMs": 10000},
        "team": {"admins": 1, "items": 4, "writes": 30, "startMs": 500, "endMs": 150000},
        "adversaries": [{"node": 3, "kind": "replay", "recordUntilMs": 12000, "startMs": 20000, "endMs": 190000,
                         "everyMs": 2000, "burst": 4}]
        """)
        #expect(report.failures == [])
        let a = try #require(report.adversary)
        let me = a.adversaries[0]
        #expect(me.recorded > 10 && me.replayed > 100)
        #expect(me.replayedAfterSeenCache > 0 && me.oldestReplayMs > 120_000)
        #expect(a.refusals("router.forgottenRefused") > 0, "copies older than the seen-cache are refused by their origin's floor")
        #expect(a.refusals("router.duplicatesDropped") > 0)
    }

    @Test func aBackdaterSignsAfterItsRemoval() throws {
        let report = try Self.run("""
        "durationMs": 30000,
        "team": {"admins": 2, "items": 4, "writes": 20, "startMs": 500, "endMs": 20000},
        "adversaries": [{"node": 1, "kind": "backdater", "removedAtMs": 8000, "backdateMs": 1000, "startMs": 9000,
                         "endMs": 14000, "everyMs": 500, "burst": 3}]
        """)
        let a = try #require(report.adversary)
        #expect(a.adversaries[0].backdatedOps == 33 && a.adversaries[0].messagesSent > 0)
        #expect(report.failures == [], "the removal must hold against ops dated before it (PROTOCOL.md section 7.4)")
    }

    /// The checks can fail: an honest writer that adds an adversary as a member is a forged
    /// effect, and a flood that starts after the last honest write leaves no write accepted.
    @Test func theAdversaryChecksCatchWhatTheyLookFor() throws {
        let s = try scenario(#"{"name": "adv", "nodes": 5, "topology": {"kind": "ring"}, "durationMs": 8000, "team": {"admins": 1, "items": 2, "writes": 5, "startMs": 500, "endMs": 2000}, "adversaries": [{"node": 3, "kind": "junkFlood", "startMs": 3000, "endMs": 4000, "burst": 2}], "expect": ["noForgedEffect", "honestWritesAccepted"]}"#)
        let sim = Simulator(scenario: s, seed: 2)
        let report = sim.run()
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.hasPrefix("honestWritesAccepted: no honest write was acknowledged") == true)
        #expect(sim.forgedEffects() == [])
        sim.write(0, .addMember(publicKey: sim.nodes[3].keys.publicKey, role: .member, invite: nil), team: try #require(sim.teamID))
        #expect(sim.forgedEffects().first?.hasPrefix("n0 holds n3 as a member") == true)
    }

    @Test func replicasBoundedFlagsAReplicaAboveItsLimits() throws {
        var config = ReplicationConfiguration()
        config.maxTeams = 1
        var rng = SeededGenerator(seed: 3)
        let logs = (0..<2).map { k -> [SignedOp] in
            var author = OpAuthor(keyPair: Ed25519KeyPair.generate(using: &rng))
            return [author.createTeam(name: "t\(k)", nonce: [UInt8(k)], wallMs: 1)]
        }
        var o = AdversaryObservations()
        o.checkReplicaBounds(Replication(keyPair: Ed25519KeyPair.generate(using: &rng), configuration: config, restoredLogs: logs),
                             node: 7, at: 0)
        #expect(o.boundViolations.first?.hasPrefix("n7 holds 2 teams") == true)
    }
}

/// The shipped flood reaches every limit it is there to test (not only stays under them).
@Suite struct ShippedAdversaryScenarioTests {
    @Test func theJunkFloodFillsEveryRoom() throws {
        var s = try shipped("adversary-junk")
        s.durationMs = 40000
        let report = Simulator(scenario: s, seed: 1).run()
        #expect(report.failures == [])
        let a = try #require(report.adversary)
        #expect(a.peakTeams == s.replication.maxTeams)
        #expect(a.peakOrphans == s.replication.maxOrphanOps)
        #expect(a.peakHeld > 0 && a.peakHeld <= s.replication.replicaLimits.maxHeldOps)
        #expect(a.peakStrangers == s.replication.replicaLimits.maxStrangerOps, "the stranger room fills and stays full")
        #expect(a.refusals("replication.teamsRefused") > 0 && a.refusals("replication.orphansEvicted") > 0)
    }
}
