import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The HTTP API over real sockets against running nodes (the Services issue): a newcomer's
/// path with a login token, and a work item and a vault file put through one node's API and
/// used through another's.
@Suite(.serialized) struct APIProcessTests {
    typealias Node = MeshProcessTests.MeshNode
    struct Team: Decodable { let id: String; let members: [Member] }
    struct Member: Decodable { let nodeId: String; let role: String }
    struct Login: Decodable { let token: String; let account: Account }
    struct Account: Decodable { let person: String?; let name: String }
    struct Workflow: Decodable { let id: String }
    struct Item: Decodable { let id: String; let status: String; let assignee: String?; let assigneeName: String? }
    struct Items: Decodable { let items: [Item] }

    /// One JSON call; `token` nil means the node's operator token.
    static func call<T: Decodable>(_ n: Node, _ method: String, _ path: String, _ body: String? = nil, token: String?? = .some(nil),
                                   expect status: Int, as: T.Type = T.self) async throws -> T {
        var request = try n.request(path)
        if case let .some(.some(t)) = token { request.setValue("Bearer \(t)", forHTTPHeaderField: "Authorization") }
        if token == .none { request.setValue(nil, forHTTPHeaderField: "Authorization") }
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let code = (response as! HTTPURLResponse).statusCode
        #expect(code == status, "\(method) \(path): \(String(decoding: data, as: UTF8.self))")
        return try JSONDecoder().decode(T.self, from: data)
    }

    struct Anything: Decodable {}

    @Test func aNewcomerRegistersLogsInAndWorksAnItemThroughTheAPI() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-api-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root)
        try await a.start(peers: [], extra: ["--no-discovery"])
        let creds = #"{"username": "ada", "password": "a long passphrase"}"#
        let registration = #"{"username": "ada", "password": "a long passphrase", "name": "Ada Lovelace"}"#
        // Without a token nothing but login and register answers.
        _ = try await Self.call(a, "GET", "/api/v1/teams", token: .none, expect: 401, as: Anything.self)
        _ = try await Self.call(a, "POST", "/api/v1/auth/register", creds, token: .none, expect: 403, as: Anything.self)
        _ = try await Self.call(a, "POST", "/api/v1/auth/register", registration, expect: 201, as: Anything.self)
        let login = try await Self.call(a, "POST", "/api/v1/auth/login", creds, token: .none, expect: 200, as: Login.self)
        let token = login.token
        // Ada is a person (PROTOCOL.md section 13): her work is hers, not the node's.
        let ada = try #require(login.account.person)
        #expect(ada != a.id && login.account.name == "Ada Lovelace")

        let team = try await Self.call(a, "POST", "/api/v1/teams", #"{"name": "field crew"}"#, token: token, expect: 201, as: Team.self)
        let workflow = try await Self.call(a, "POST", "/api/v1/teams/\(team.id)/workflows",
                                           #"{"name": "repairs", "stages": [{"name": "fix", "roles": ["super-admin", "admin", "member"], "slaSeconds": 3600}]}"#,
                                           token: token, expect: 201, as: Workflow.self)
        let item = try await Self.call(a, "POST", "/api/v1/teams/\(team.id)/items",
                                       #"{"workflow": "\#(workflow.id)", "title": "pump 3 leaks", "priority": 7}"#,
                                       token: token, expect: 201, as: Item.self)
        for (step, status) in [("claim", "claimed"), ("start", "in_progress"), ("complete", "completed")] {
            let after = try await Self.call(a, "POST", "/api/v1/teams/\(team.id)/items/\(item.id)/\(step)", token: token, expect: 200, as: Item.self)
            #expect(after.status == status && after.assignee == ada && after.assigneeName == "Ada Lovelace")
        }
        let done = try await Self.call(a, "GET", "/api/v1/teams/\(team.id)/items?status=completed", token: token, expect: 200, as: Items.self)
        #expect(done.items.map(\.id) == [item.id])

        // The vault, with the login token: a file of three chunks goes in sealed and comes back whole;
        // another passphrase sees nothing.
        let original = (0..<(1_300_000)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 / 7) }
        let path = root + "/report.bin"
        try Data(original).write(to: URL(fileURLWithPath: path))
        try "correct horse battery\n".write(toFile: root + "/pass", atomically: true, encoding: .utf8)
        try "a decoy passphrase\n".write(toFile: root + "/decoy", atomically: true, encoding: .utf8)
        let vault = ["--api", "http://127.0.0.1:\(a.http)", "--token", token, "--team", team.id, "--passphrase-file", root + "/pass"]
        let put = try await runElohim(["vault", "put", path] + vault)
        #expect(put.status == 0 && put.stdout.contains("3 chunks"), "\(put.stderr)")
        let listed = try await runElohim(["vault", "ls"] + vault)
        #expect(listed.stdout.split(separator: "\n").dropFirst().first?.hasPrefix("report.bin  1.2 MiB") == true, "\(listed.stdout) \(listed.stderr)")
        let got = try await runElohim(["vault", "get", "report.bin", "-o", root + "/back.bin"] + vault)
        #expect(got.status == 0, "\(got.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/back.bin")) == Data(original))
        let decoy = try await runElohim(["vault", "ls"] + vault.dropLast() + [root + "/decoy"])
        #expect(decoy.stdout.contains("No files open under this passphrase"), "\(decoy.stdout)")
        a.process?.signal(SIGTERM)
        #expect(try await a.process!.waitForExit() == 0)
    }

    @Test func anItemCreatedAndAFileStoredThroughOneNodeAreUsedThroughAnother() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-api-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root), b = Node("b", root: root)
        for n in [a, b] { try await n.start(peers: [], extra: ["--no-discovery"]) }
        let checker = MeshProcessTests()

        let team = try await Self.call(a, "POST", "/api/v1/teams", #"{"name": "crew"}"#, expect: 201, as: Team.self)
        let invite = try await runElohim(["invite", "--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data, "--no-wait",
                                          "--team", team.id, "--role", "member"])
        let code = try #require(invite.stdout.split(separator: "\n").first.map(String.init))
        let joined = try await runElohim(["join", "--api", "http://127.0.0.1:\(b.http)", "--data-dir", b.data, code, "--via", "127.0.0.1:\(a.mesh)"])
        #expect(joined.status == 0, "\(joined.stderr)")

        let workflow = try await Self.call(a, "POST", "/api/v1/teams/\(team.id)/workflows",
                                           #"{"name": "w", "stages": [{"name": "do", "roles": ["member"]}]}"#, expect: 201, as: Workflow.self)
        let item = try await Self.call(a, "POST", "/api/v1/teams/\(team.id)/items", #"{"workflow": "\#(workflow.id)", "title": "t"}"#,
                                       expect: 201, as: Item.self)
        _ = try await checker.eventually("B holds the item A created", seconds: 20) {
            try await Self.call(b, "GET", "/api/v1/teams/\(team.id)/items", expect: 200, as: Items.self).items.contains { $0.id == item.id }
        }
        let claimed = try await Self.call(b, "POST", "/api/v1/teams/\(team.id)/items/\(item.id)/claim", expect: 200, as: Item.self)
        #expect(claimed.status == "claimed" && claimed.assignee == b.id)
        _ = try await checker.eventually("A sees B's claim", seconds: 20) {
            try await Self.call(a, "GET", "/api/v1/teams/\(team.id)/items/\(item.id)", expect: 200, as: Item.self).assignee == b.id
        }

        // A file put through A (two sealed chunks) comes back whole through B: the index travels
        // as an op, the chunks by chunk sync (PROTOCOL.md section 12).
        let original = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 / 5) }
        try Data(original).write(to: URL(fileURLWithPath: root + "/map.bin"))
        try "shared team passphrase\n".write(toFile: root + "/pass", atomically: true, encoding: .utf8)
        func vault(_ n: Node) -> [String] {
            ["--api", "http://127.0.0.1:\(n.http)", "--data-dir", n.data, "--team", team.id, "--passphrase-file", root + "/pass"]
        }
        let put = try await runElohim(["vault", "put", root + "/map.bin"] + vault(a))
        #expect(put.status == 0 && put.stdout.contains("2 chunks"), "\(put.stdout) \(put.stderr)")
        _ = try await checker.eventually("B returns the file A stored", seconds: 30) {
            try await runElohim(["vault", "get", "map.bin", "-o", root + "/from-b.bin"] + vault(b)).status == 0
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/from-b.bin")) == Data(original))

        // A person of B (PROTOCOL.md section 13): made with the CLI on B, added on A by her ID and
        // key, she claims on B as herself and A shows her name.
        // B's founder first: Bea is an ordinary account, let through on B by her role in the team alone.
        let founderB = try await runElohim(["account", "create", "bos", "--founder", "--api", "http://127.0.0.1:\(b.http)", "--data-dir", b.data],
                                           environment: ["ELOHIM_PASSWORD": "the founder's passphrase"])
        #expect(founderB.status == 0, "\(founderB.stderr)")
        let made = try await runElohim(["account", "create", "bea", "--name", "Bea Ortiz", "--api", "http://127.0.0.1:\(b.http)",
                                        "--data-dir", b.data], environment: ["ELOHIM_PASSWORD": "bea's long passphrase"])
        #expect(made.status == 0 && made.stdout.contains("person "), "\(made.stdout) \(made.stderr)")
        struct Full: Decodable { let token: String; let account: Person }
        struct Person: Decodable { let person: String; let publicKey: String; let name: String }
        let bea = try await Self.call(b, "POST", "/api/v1/auth/login", #"{"username": "bea", "password": "bea's long passphrase"}"#,
                                      token: .none, expect: 200, as: Full.self)
        let added = try await runElohim(["member", "add", bea.account.person, "--public-key", bea.account.publicKey, "--name", "Bea Ortiz",
                                         "--role", "member", "--team", "crew", "--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data])
        #expect(added.status == 0 && added.stdout.contains("Bea Ortiz"), "\(added.stdout) \(added.stderr)")
        let second = try await Self.call(a, "POST", "/api/v1/teams/\(team.id)/items", #"{"workflow": "\#(workflow.id)", "title": "u"}"#,
                                         expect: 201, as: Item.self)
        _ = try await checker.eventually("B knows Bea is a member and holds the item", seconds: 20) {
            let t = try await Self.call(b, "GET", "/api/v1/teams/\(team.id)", expect: 200, as: Team.self)
            let items = try await Self.call(b, "GET", "/api/v1/teams/\(team.id)/items", expect: 200, as: Items.self)
            return t.members.contains { $0.nodeId == bea.account.person } && items.items.contains { $0.id == second.id }
        }
        let byBea = try await Self.call(b, "POST", "/api/v1/teams/\(team.id)/items/\(second.id)/claim", token: bea.token, expect: 200, as: Item.self)
        #expect(byBea.assignee == bea.account.person && byBea.assigneeName == "Bea Ortiz")
        _ = try await checker.eventually("A sees Bea's claim, by name", seconds: 20) {
            try await Self.call(a, "GET", "/api/v1/teams/\(team.id)/items/\(second.id)", expect: 200, as: Item.self).assigneeName == "Bea Ortiz"
        }
        let listed = try await runElohim(["member", "ls", "--team", "crew", "--api", "http://127.0.0.1:\(a.http)", "--data-dir", a.data])
        #expect(listed.stdout.contains("Bea Ortiz") && listed.stdout.contains("person"), "\(listed.stdout)")
        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { #expect(try await n.process!.waitForExit() == 0) }
    }
}
