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
