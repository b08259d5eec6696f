import Foundation
import MeshCore
import Replicas
import Testing
@testable import Simulation

/// Pairing by code inside the simulator: the same `PairingDesk` the node runs, over simulated
/// links, with partitions, crashes and wrong codes.
@Suite struct PairingSimulationTests {
    /// Six nodes, full mesh, one team founded by n0; n5 joins by code.
    static func scenario(wrongTries: Int, events: String = "", durationMs: Int = 60_000) throws -> Scenario {
        try Scenario(json: Data("""
        {"name": "pair", "nodes": 6, "topology": {"kind": "full"}, "durationMs": \(durationMs),
         "network": {"latencyMs": [2, 10]}, "events": [\(events)],
         "team": {"admins": 1, "items": 3, "writes": 10, "startMs": 1000, "endMs": 20000},
         "pairings": [{"atMs": 2000, "inviter": 0, "joiner": 5, "role": "member", "wrongTries": \(wrongTries)}],
         "expect": ["replicasConverged", "pairingsAsExpected"]}
        """.utf8))
    }

    @Test func theShippedScenarioPairsFiveOfSixAndIsDeterministic() throws {
        let s = try shipped("team-pairing")
        let a = Simulator(scenario: s, seed: 4).run()
        let b = Simulator(scenario: s, seed: 4).run()
        #expect(a.failures == [])
        #expect(a.digest == b.digest)
        let p = try #require(a.pairing)
        #expect(p.runs == 6 && p.paired == 5, "five runs use the right code within five tries; one burns its code")
        #expect(p.attempts == 6 + 2 + 4 + 5 + 0 + 1)
        #expect(p.failedAttempts == p.attempts - p.paired)
    }

    @Test func wrongTriesFailOnBothSidesThenTheRightCodeMakesAMember() throws {
        let sim = Simulator(scenario: try Self.scenario(wrongTries: 3), seed: 1)
        let report = sim.run()
        #expect(report.failures == [])
        #expect(report.pairing?.paired == 1 && report.pairing?.failedAttempts == 3)
        let invite = try #require(sim.nodes[0].desk.book.invites.first)
        #expect(invite.attempts == 4 && invite.usedBy == sim.nodes[5].id)
        #expect(sim.nodes[0].disk.invites == sim.nodes[0].desk.book.invites, "every change was stored")
        let team = try #require(sim.teamID)
        for n in sim.nodes { #expect(n.core.replication.replica(team)?.state.role(of: sim.nodes[5].id) == .member) }
    }

    @Test func fiveWrongTriesBurnTheCodeAndTheJoinerStaysOut() throws {
        let sim = Simulator(scenario: try Self.scenario(wrongTries: 6), seed: 2)
        let report = sim.run()
        #expect(report.failures == [])
        #expect(report.pairing?.paired == 0 && report.pairing?.attempts == 7)
        let invite = try #require(sim.nodes[0].desk.book.invites.first)
        #expect(invite.status(at: sim.wallClock(0)) == .burned && invite.attempts == 5)
        let right = try #require(sim.pairingRuns[0].attempts.last)
        #expect(right.joiner == .failed(.refused(.burned, message: PairingRefusal.burned.message)))
        let team = try #require(sim.teamID)
        #expect(sim.nodes[0].core.replication.replica(team)?.state.role(of: sim.nodes[5].id) == nil)
    }

    /// The check bites: a partition between inviter and joiner leaves the run unfinished.
    @Test func aRunCutByAPartitionIsReported() throws {
        let s = try Self.scenario(wrongTries: 0, events: #"{"atMs": 2500, "partition": [[0, 1, 2, 3, 4], [5]]}"#)
        let report = Simulator(scenario: s, seed: 3).run()
        let failure = try #require(report.failures.first { $0.hasPrefix("pairingsAsExpected") })
        #expect(failure.contains("timed out"))
        #expect(report.pairing?.paired == 0)
    }

    /// The inviter crashes after counting two wrong tries; restarted, it still holds the code
    /// and those two attempts (stored before it answered), and the right code then works.
    @Test func attemptsCountedBeforeACrashStayCounted() throws {
        let s = try Self.scenario(wrongTries: 2, events: #"{"atMs": 4500, "crash": 0}, {"atMs": 4600, "restart": 0}"#)
        let sim = Simulator(scenario: s, seed: 5)
        let report = sim.run()
        #expect(report.failures == [])
        let invite = try #require(sim.nodes[0].desk.book.invites.first)
        #expect(sim.nodes[0].life == 1)
        #expect(invite.attempts == 3 && invite.failures == 2 && invite.usedBy == sim.nodes[5].id)
    }
}
