import Foundation
import Testing
@testable import Simulation

/// The `adversaries` and `replication` keys are read as strictly as the rest of a scenario.
@Suite struct AdversaryScenarioParsingTests {
    static let team = #""team": {"admins": 2, "items": 2, "writes": 5}"#

    static func withAdversaries(_ list: String, extra: String = "") -> String {
        #"{"name": "t", "nodes": 6, "topology": {"kind": "ring"}, "durationMs": 60000, "# + team + ", " + extra
            + #""adversaries": "# + list + "}"
    }

    @Test func defaultsAndKindKeysApply() throws {
        let s = try scenario(Self.withAdversaries("""
        [{"node": 3, "kind": "replay", "startMs": 5000, "keep": 50},
         {"node": 1, "kind": "backdater", "removedAtMs": 20000, "startMs": 21000, "backdateMs": 500},
         {"node": 4, "kind": "junkFlood", "startMs": 100, "everyMs": 50, "burst": 3}]
        """, extra: #""replication": {"maxTeams": 4, "maxHeldAhead": 10}, "#))
        #expect(s.adversaries.count == 3)
        #expect(s.adversaries[0].kind == .replay && s.adversaries[0].keep == 50 && s.adversaries[0].everyMs == 1000)
        #expect(s.adversaries[0].burst == 10 && s.adversaries[0].lastBurstMs(durationMs: s.durationMs) == 30000)
        #expect(s.adversaries[1].removedAtMs == 20000 && s.adversaries[1].backdateMs == 500)
        #expect(s.adversaries[2].bursts(durationMs: s.durationMs) == 599)
        #expect(s.replication.maxTeams == 4 && s.replication.replicaLimits.maxHeldAhead == 10)
        #expect(s.replication.maxOrphanOps == 10_000, "limits not named keep their defaults")
    }

    @Test(arguments: [
        (#"[{"node": 3, "kind": "thief", "startMs": 0}]"#, "adversaries[0].kind: unknown value 'thief'"),
        (#"[{"node": 6, "kind": "replay", "startMs": 0}]"#, "adversaries[0].node: 6 is outside 0...5"),
        (#"[{"node": 0, "kind": "replay", "startMs": 0}]"#, "adversaries[0].node: node 0 founds the team"),
        (#"[{"kind": "replay", "startMs": 0}]"#, "adversaries[0].node: is required"),
        (#"[{"node": 3, "kind": "replay"}]"#, "adversaries[0].startMs: is required"),
        (#"[{"node": 3, "kind": "replay", "startMs": 0}, {"node": 3, "kind": "junkFlood", "startMs": 0}]"#,
         "adversaries[1].node: node 3 is already an adversary"),
        (#"[{"node": 3, "kind": "junkFlood", "startMs": 0, "burst": 0}]"#, "adversaries[0].burst: 0 is outside 1...1000"),
        (#"[{"node": 3, "kind": "junkFlood", "startMs": 0, "burst": 1001}]"#, "adversaries[0].burst: 1001 is outside 1...1000"),
        (#"[{"node": 3, "kind": "junkFlood", "startMs": 0, "everyMs": 9}]"#, "adversaries[0].everyMs: 9 is outside 10...3600000"),
        (#"[{"node": 3, "kind": "junkFlood", "startMs": 0, "endMs": 60000, "everyMs": 10, "burst": 100}]"#,
         "adversaries[0]: 600100 forged messages"),
        (#"[{"node": 3, "kind": "junkFlood", "startMs": 5000, "endMs": 4000}]"#, "adversaries[0].endMs: is before startMs"),
        (#"[{"node": 3, "kind": "junkFlood", "startMs": 0, "keep": 5}]"#, "adversaries[0].keep: applies to replay adversaries only"),
        (#"[{"node": 3, "kind": "replay", "startMs": 0, "removedAtMs": 5}]"#,
         "adversaries[0].removedAtMs: applies to backdater adversaries only"),
        (#"[{"node": 3, "kind": "replay", "startMs": 1000, "recordUntilMs": 2000}]"#, "adversaries[0].recordUntilMs: is after startMs"),
        (#"[{"node": 3, "kind": "replay", "startMs": 0, "keep": 10001}]"#, "adversaries[0].keep: 10001 is outside 1...10000"),
        (#"[{"node": 3, "kind": "replay", "startMs": 0, "colour": 1}]"#, "adversaries[0].colour: unknown key"),
        (#"[{"node": 4, "kind": "backdater", "removedAtMs": 20000, "startMs": 21000}]"#,
         "adversaries[0].node: a backdater is an Admin: one of nodes 1...2"),
        (#"[{"node": 1, "kind": "backdater", "startMs": 21000}]"#, "adversaries[0].removedAtMs: is required"),
        (#"[{"node": 1, "kind": "backdater", "removedAtMs": 20000, "startMs": 19000}]"#,
         "adversaries[0].startMs: must be after removedAtMs"),
        (#"[{"node": 1, "kind": "backdater", "removedAtMs": 20000, "startMs": 21000, "backdateMs": 10000}]"#,
         "adversaries[0].backdateMs: must be below removedAtMs / 2"),
        (#"[{"node": 1, "kind": "backdater", "removedAtMs": 20000, "startMs": 21000, "everyMs": 10, "burst": 100}]"#,
         "forged ops would not fit in backdateMs"),
        (#"[{"node": 1, "kind": "replay", "startMs": 0}, {"node": 2, "kind": "replay", "startMs": 0}, {"node": 3, "kind": "replay", "startMs": 0}, {"node": 4, "kind": "replay", "startMs": 0}, {"node": 5, "kind": "replay", "startMs": 0}, {"node": 0, "kind": "replay", "startMs": 0}]"#,
         "adversaries: at most 5"),
    ])
    func refusals(json: String, message: String) {
        #expect {
            try scenario(Self.withAdversaries(json))
        } throws: { error in
            "\(error)".contains(message) || { print("got: \(error)"); return false }()
        }
    }

    @Test(arguments: [
        (#""replication": {"maxTeams": 65}, "adversaries": []}"#, "replication.maxTeams: 65 is outside 1...64"),
        (#""replication": {"maxOps": 999}, "adversaries": []}"#, "replication.maxOps: 999 is outside 1000...2000000"),
        (#""replication": {"maxHeldAhead": 0}, "adversaries": []}"#, "replication.maxHeldAhead: 0 is outside 1...1000"),
        (#""replication": {"maxHeld": 5}, "adversaries": []}"#, "replication.maxHeld: unknown key"),
        (#""adversaries": [], "expect": ["noForgedEffect"]}"#, "'noForgedEffect' needs an \"adversaries\" list"),
    ])
    func replicationAndExpectationRefusals(tail: String, message: String) {
        let json = #"{"name": "t", "nodes": 6, "topology": {"kind": "ring"}, "durationMs": 60000, "# + Self.team + ", " + tail
        #expect {
            try scenario(json)
        } throws: { error in
            "\(error)".contains(message) || { print("got: \(error)"); return false }()
        }
    }

    @Test func aBackdaterNeedsATeam() {
        #expect(throws: ScenarioError("adversaries[0].kind", "a backdater needs a \"team\" section")) {
            try scenario(#"{"name": "t", "nodes": 4, "topology": {"kind": "ring"}, "durationMs": 60000, "adversaries": [{"node": 1, "kind": "backdater", "removedAtMs": 100, "startMs": 200}]}"#)
        }
    }
}
