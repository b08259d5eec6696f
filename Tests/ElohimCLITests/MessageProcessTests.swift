import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Messages between two running nodes through the CLI (issue 18, item 1): sent on one node, read
/// on the other; sent while the other is stopped, read once it is back (store-and-forward over a
/// restart); searched; and the command line's refusals.
@Suite(.serialized) struct MessageProcessTests {
    typealias Node = MeshProcessTests.MeshNode

    @Test func messagesCrossNodesAndARestartAndTheCommandLineRefusesWhatTheNodeWould() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-msg-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root), b = Node("b", root: root)
        for n in [a, b] { try await n.start(peers: [], extra: ["--no-discovery"]) }
        let checker = MeshProcessTests()
        func cli(_ n: Node, _ words: [String], input: Data? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
            let r = try await runElohim(words + ["--api", "http://127.0.0.1:\(n.http)", "--data-dir", n.data], input: input)
            return (r.status, r.stdout, r.stderr)
        }

        #expect(try await cli(a, ["team", "create", "Water crew"]).status == 0)
        let invite = try await cli(a, ["invite", "--no-wait", "--team", "Water crew", "--role", "member"])
        let code = try #require(invite.stdout.split(separator: "\n").first.map(String.init))
        let joined = try await cli(b, ["join", code, "--via", "127.0.0.1:\(a.mesh)"])
        #expect(joined.status == 0, "\(joined.stderr)")
        _ = try await checker.eventually("B holds the team", seconds: 20) {
            try await cli(b, ["message", "channels", "--team", "Water crew"]).status == 0
        }

        // A mentions B (by an ID prefix); B reads it.
        let sent = try await cli(a, ["message", "send", "Pump 3 is down again", "--team", "Water crew", "--mention", String(b.id.prefix(6))])
        #expect(sent.status == 0 && sent.stdout.contains("Sent to #general in Water crew"), "\(sent.stdout)\(sent.stderr)")
        _ = try await checker.eventually("B reads A's message", seconds: 20) {
            try await cli(b, ["message", "ls", "--team", "Water crew"]).stdout.contains("Pump 3 is down again")
        }
        let json = try await cli(b, ["message", "ls", "--team", "Water crew", "--json"])
        #expect(json.stdout.contains("\"author\" : \"\(a.id)\"") && json.stdout.contains("\"id\" : \"\(b.id)\""), "the mention travels: \(json.stdout)")
        let reply = try await cli(b, ["message", "send", "-", "--team", "Water crew", "--channel", "logistics"],
                                  input: Data("On my way with the 12 mm wrench\n".utf8))
        #expect(reply.status == 0 && reply.stdout.contains("#logistics"), "\(reply.stderr)")

        // B stops; A keeps talking; B comes back and has every message, once, in order.
        b.process?.signal(SIGTERM)
        #expect(try await b.process!.waitForExit() == 0)
        for k in 1...3 { #expect(try await cli(a, ["message", "send", "update \(k) while B is away", "--team", "Water crew"]).status == 0) }
        try await b.start(peers: [a], extra: ["--no-discovery"])
        let general = try await checker.eventually("B, restarted, has the three messages", seconds: 30) {
            try await cli(b, ["message", "ls", "--team", "Water crew"]).stdout.contains("update 3 while B is away")
        }
        _ = general
        let lines = try await cli(b, ["message", "ls", "--team", "Water crew"]).stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && lines[0].hasSuffix("Pump 3 is down again") && lines[3].hasSuffix("update 3 while B is away"), "\(lines)")
        _ = try await checker.eventually("A has B's reply", seconds: 20) {
            try await cli(a, ["message", "ls", "--team", "Water crew", "--channel", "logistics"]).stdout.contains("12 mm wrench")
        }
        let channels = try await cli(a, ["message", "channels", "--team", "Water crew"])
        #expect(channels.stdout.contains("#general") && channels.stdout.contains("#logistics"), "\(channels.stdout)")
        let found = try await cli(a, ["message", "ls", "--team", "Water crew", "--search", "WRENCH"])
        #expect(found.stdout.contains("#logistics") && found.stdout.contains("12 mm wrench") && !found.stdout.contains("Pump"), "\(found.stdout)")

        // Refused before a request, with the fix.
        let badChannel = try await cli(a, ["message", "send", "x", "--team", "Water crew", "--channel", "Main Room"])
        #expect(badChannel.status != 0 && badChannel.stderr.contains("a-z, 0-9"), "\(badChannel.stderr)")
        let both = try await cli(a, ["message", "ls", "--team", "Water crew", "--channel", "general", "--item", "abcd"])
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
        let nobody = try await cli(a, ["message", "send", "hi", "--team", "Water crew", "--mention", "Nobody Here"])
        #expect(nobody.status != 0 && nobody.stderr.contains("no member of Water crew"), "\(nobody.stderr)")
        let tooLong = try await cli(a, ["message", "send", "-", "--team", "Water crew"], input: Data(repeating: 0x61, count: 8193))
        #expect(tooLong.status != 0 && tooLong.stderr.contains("8193 bytes"), "\(tooLong.stderr)")
        let searchWithChannel = try await cli(a, ["message", "ls", "--team", "Water crew", "--search", "x", "--channel", "general"])
        #expect(searchWithChannel.status != 0 && searchWithChannel.stderr.contains("whole team"))

        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { #expect(try await n.process!.waitForExit() == 0) }
    }
}
