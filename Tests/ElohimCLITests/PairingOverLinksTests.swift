import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A code works whatever links already exist between the two nodes (issue 17, item 2): nodes
/// linked by `--peer`, or paired once before, join a team by code while gossip flows beside
/// the run. Before the pairing link said what it was for, the inviter took it for a second
/// ordinary link and the join answered `unexpected digest during pairing`.
@Suite(.serialized) struct PairingOverLinksTests {
    typealias Node = MeshProcessTests.MeshNode
    typealias Team = PairingProcessTests.Team
    struct Workflow: Decodable { let id: String }
    struct Item: Decodable { let id: String; let title: String }
    struct Items: Decodable { let items: [Item] }
    struct Notice: Decodable { let text: String }
    struct Notices: Decodable { let notices: [Notice] }

    let pairing = PairingProcessTests()
    let checker = MeshProcessTests()

    func call<T: Decodable>(_ n: Node, _ method: String, _ path: String, _ body: String? = nil, expect: Int,
                            as: T.Type = T.self) async throws -> T {
        try await APIProcessTests.call(n, method, path, body, expect: expect, as: T.self)
    }

    /// A team made on `a`, with a workflow members may work in.
    func team(on a: Node, _ name: String) async throws -> (team: Team, workflow: Workflow) {
        let team = try await call(a, "POST", "/api/v1/teams", #"{"name": "\#(name)"}"#, expect: 201, as: Team.self)
        let workflow = try await call(a, "POST", "/api/v1/teams/\(team.id)/workflows",
                                      #"{"name": "repairs", "stages": [{"name": "fix", "roles": ["super-admin", "admin", "member"], "slaSeconds": 3600}]}"#,
                                      expect: 201, as: Workflow.self)
        return (team, workflow)
    }

    /// `b` joins `team` on `a` with a code, then works in it: its item reaches `a`.
    func joinAndWork(_ b: Node, _ a: Node, team: Team, workflow: Workflow, title: String) async throws {
        let code = try await pairing.invite(a, ["--team", team.id, "--role", "member"])
        let joined = try await pairing.join(b, code, via: a.mesh)
        #expect(joined.status == 0, "join over an existing link failed: \(joined.stderr)")
        #expect(joined.stdout.contains("Member of team \(team.id) as member"), "\(joined.stdout)")
        try await checker.eventually("B holds team \(team.name) with itself as member", seconds: 20) {
            let atB = try await b.get("/api/v1/teams/\(team.id)", as: Team.self)
            return atB.members.contains { $0.nodeId == b.id && $0.role == "member" }
        }
        // B's own op in the team is accepted at A: B is a member there too, not only at home.
        _ = try await call(b, "POST", "/api/v1/teams/\(team.id)/items", #"{"workflow": "\#(workflow.id)", "title": "\#(title)"}"#,
                           expect: 201, as: Item.self)
        try await checker.eventually("B's item \(title) at A", seconds: 20) {
            try await a.get("/api/v1/teams/\(team.id)/items", as: Items.self).items.contains { $0.title == title }
        }
    }

    /// Posts a notice from each node every 50 ms until cancelled: gossip on the existing link
    /// all through the pairing run. Returns how many rounds it posted.
    func chatter(_ nodes: [Node]) throws -> Task<Int, Never> {
        let requests = try nodes.map { n in
            var request = try n.request("/api/v1/p2p/notices")
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            return (n.name, request)
        }
        return Task {
            var k = 0
            while !Task.isCancelled {
                for (name, base) in requests {
                    var request = base
                    request.httpBody = Data(#"{"text": "chatter \#(name) \#(k)"}"#.utf8)
                    _ = try? await URLSession.shared.data(for: request)
                }
                k += 1
                try? await Task.sleep(for: .milliseconds(50))
            }
            return k
        }
    }

    @Test func nodesLinkedByPeerJoinATeamByCodeWhileGossipFlows() async throws {
        let root = PairingProcessTests.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root), b = Node("b", root: root)
        try await a.start(peers: [b], extra: ["--no-discovery"])
        try await b.start(peers: [a], extra: ["--no-discovery"])
        try await checker.eventually("A and B linked by --peer", seconds: 30) {
            let ab = try await a.state(of: b), ba = try await b.state(of: a)
            return ab == "alive" && ba == "alive"
        }
        let (team, workflow) = try await team(on: a, "Field crew")
        let noise = try chatter([a, b])
        try await joinAndWork(b, a, team: team, workflow: workflow, title: "pump 3 leaks")
        noise.cancel()
        #expect(await noise.value > 0, "notices flowed during the run")
        #expect(try await pairing.trust(of: b, at: a) == "paired")
        #expect(try await pairing.trust(of: a, at: b) == "paired")

        // The link between them still carries gossip.
        #expect(try await a.notice("after the join") == 202)
        try await checker.eventually("A's notice at B after the join", seconds: 10) {
            try await b.get("/api/v1/p2p/notices", as: Notices.self).notices.contains { $0.text == "after the join" }
        }
        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { #expect(try await n.process!.waitForExit() == 0) }
    }

    @Test func nodesPairedBeforeJoinASecondTeamByCode() async throws {
        let root = PairingProcessTests.root()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = Node("a", root: root), b = Node("b", root: root)
        for n in [a, b] { try await n.start(peers: [], extra: ["--no-discovery"]) }
        let first = try await team(on: a, "Field crew")
        try await joinAndWork(b, a, team: first.team, workflow: first.workflow, title: "first team's item")
        try await checker.eventually("A and B linked after pairing", seconds: 20) {
            let ab = try await a.state(of: b), ba = try await b.state(of: a)
            return ab == "alive" && ba == "alive"
        }

        // Paired and linked: a second code, for a second team, works as the first did.
        let second = try await team(on: a, "Night shift")
        let noise = try chatter([a, b])
        try await joinAndWork(b, a, team: second.team, workflow: second.workflow, title: "second team's item")
        noise.cancel()
        _ = await noise.value
        try await checker.eventually("A and B still linked", seconds: 20) {
            let ab = try await a.state(of: b), ba = try await b.state(of: a)
            return ab == "alive" && ba == "alive"
        }
        for n in [a, b] { n.process?.signal(SIGTERM) }
        for n in [a, b] { #expect(try await n.process!.waitForExit() == 0) }
    }
}
