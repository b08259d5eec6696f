import Foundation
import Testing

@Suite struct SimCommandTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    var lineScenario: String { repository.appendingPathComponent("Simulations/line-3.json").path }

    /// Hash seeds differ per process, so two processes agreeing is the real determinism check.
    @Test func twoProcessesGiveTheSameTraceAndDigest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try await runElohim(["sim", "run", lineScenario, "--seed", "5", "--trace", dir.appendingPathComponent("a").path])
        let b = try await runElohim(["sim", "run", lineScenario, "--seed", "5", "--trace", dir.appendingPathComponent("b").path])
        #expect(a.status == 0 && b.status == 0)
        func digest(_ out: String) -> String? {
            out.split(separator: " ").drop { $0 != "digest" }.dropFirst().first.map(String.init)
        }
        #expect(digest(a.stdout) != nil)
        #expect(digest(a.stdout) == digest(b.stdout))
        let ta = try Data(contentsOf: dir.appendingPathComponent("a")), tb = try Data(contentsOf: dir.appendingPathComponent("b"))
        #expect(ta.count > 10_000)
        #expect(ta == tb)
        #expect(a.stdout.hasSuffix("1 passed, 0 failed\n"))
    }

    @Test func failingSeedsExitOneAndPrintTheReplayCommand() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("short-ttl-\(UUID().uuidString).json")
        try """
        {"name": "short-ttl", "nodes": 5, "topology": {"kind": "line"}, "durationMs": 3000,
         "gossip": {"ttl": 2}, "workload": {"broadcasts": 1, "from": 0, "startMs": 100}, "expect": ["allDelivered"]}
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await runElohim(["sim", "run", file.path, "--seeds", "1..3"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("0 passed, 3 failed"))
        #expect(run.stdout.contains("replay: elohim sim run \(file.path) --seed 2"))
        #expect(run.stdout.contains("allDelivered: 2 deliveries missing"))
    }

    /// Exploration shares the time between a passing and a failing scenario, prints each failing
    /// seed with the expectation it broke and its replay command, and exits 1.
    @Test func exploreRunsFreshSeedsOfEveryScenarioAndNamesEachFailure() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("short-ttl-\(UUID().uuidString).json")
        try """
        {"name": "short-ttl", "nodes": 5, "topology": {"kind": "line"}, "durationMs": 3000,
         "gossip": {"ttl": 2}, "workload": {"broadcasts": 1, "from": 0, "startMs": 100}, "expect": ["allDelivered"]}
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await runElohim(["sim", "explore", lineScenario, file.path, "--for", "3s", "--start", "500"])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("exploring 2 scenarios for 3s from seed 500"))
        #expect(run.stdout.contains("FAIL \(file.path) seed 500\n    allDelivered: 2 deliveries missing"))
        #expect(run.stdout.contains("replay: elohim sim run \(file.path) --seed 501"))
        #expect(run.stdout.contains("line-3: seeds 500.."))
        #expect(!run.stdout.contains("replay: elohim sim run \(lineScenario)"))
        // Both scenarios ran seeds: the cheap failing one did not take all the time.
        let lines = run.stdout.split(separator: "\n")
        let lineTally = lines.first { $0.hasPrefix("line-3: seeds") }
        #expect(lineTally != nil && !(lineTally!.contains(" 0 run")))
        let bad = try await runElohim(["sim", "explore", lineScenario, "--for", "10"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--for expects a number and a unit"))
    }

    /// A run with an adversary says what it did and what the honest nodes refused.
    @Test func adversaryRunsPrintWhatTheAdversaryDidAndWhatWasRefused() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UUID().uuidString).json")
        try """
        {"name": "junk", "nodes": 6, "topology": {"kind": "ring"}, "durationMs": 12000,
         "liveness": {"deadTimeoutMs": 5000},
         "team": {"admins": 1, "items": 4, "writes": 10, "startMs": 500, "endMs": 8000},
         "replication": {"maxTeams": 4},
         "adversaries": [{"node": 3, "kind": "junkFlood", "startMs": 1000, "endMs": 5000, "everyMs": 250, "burst": 6}],
         "expect": ["noForgedEffect", "replicasBounded"]}
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await runElohim(["sim", "run", file.path, "--seed", "3"])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains("adversary n3 junkFlood: "))
        #expect(run.stdout.contains("teams created"))
        #expect(run.stdout.contains("honest nodes: "))
        #expect(run.stdout.contains("replication.teamsRefused"), "the junk teams past 4 slots are refused: \(run.stdout)")
    }

    @Test func badScenarioIsAClearError() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).json")
        try #"{"name": "x", "nodes": 3, "topology": {"kind": "line"}, "durationMs": 100, "netwrk": {}}"#
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await runElohim(["sim", "run", file.path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("netwrk: unknown key"))
        let seeds = try await runElohim(["sim", "run", lineScenario, "--seeds", "9..3"])
        #expect(seeds.status != 0)
        #expect(seeds.stderr.contains("--seeds expects A..B"))
    }
}
