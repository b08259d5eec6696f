import Foundation
import Hummingbird
import HummingbirdTesting
import MeshNode
import Replicas
import Services
import Sodium
import Testing
import Wire
@testable import HTTPAPI

/// People on one node (PROTOCOL.md section 13), through the router with real accounts: each
/// person claims as themself, members show names, removal takes effect, and signing out takes
/// the person's keys away.
@Suite struct PersonRoutesTests {
    struct Me: Decodable { let id: Int64; let username: String; let name: String; let person: String? }
    struct Login: Decodable { let token: String; let account: Me }
    struct Member: Decodable { let person: String; let nodeId: String; let kind: String; let name: String; let role: String; let devices: [String] }
    struct Team: Decodable { let id: String; let members: [Member] }
    struct IDOnly: Decodable { let id: String }
    struct Item: Decodable { let id: String; let status: String; let assignee: String?; let assigneeName: String? }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }

    static func json(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    static func decode<T: Decodable>(_ r: TestResponse, as: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: r.body))
    }

    static func register(_ client: some TestClientProtocol, _ headers: HTTPFields, _ username: String, name: String) async throws {
        try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: headers,
                                 body: json(#"{"username": "\#(username)", "name": "\#(name)", "password": "passphrase of \#(username)"}"#)) {
            #expect($0.status == .created, "\(String(buffer: $0.body))")
        }
    }

    static func login(_ client: some TestClientProtocol, _ username: String) async throws -> Login {
        try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                 body: json(#"{"username": "\#(username)", "password": "passphrase of \#(username)"}"#)) {
            #expect($0.status == .ok)
            return try decode($0)
        }
    }

    /// A node without rate limits: these tests make many requests in a row.
    static func unlimitedNode() async throws -> TestNode {
        var limits = RateLimiter.Limits()
        limits.enabled = false
        return try await TestNode(limits: limits)
    }

    @Test func twoPeopleOnOneNodeEachClaimAsThemselves() async throws {
        let t = try await Self.unlimitedNode()
        try await t.test { client in
            try await Self.register(client, t.operatorHeaders, "ada", name: "Ada Lovelace")
            let ada = try await Self.login(client, "ada")
            let adaID = try #require(ada.account.person)
            #expect(ada.account.name == "Ada Lovelace" && adaID != t.node.nodeID.description)
            let me: Me = try await client.execute(uri: "/api/v1/auth/me", method: .get, headers: t.bearer(ada.token)) { try Self.decode($0) }
            #expect(me.person == adaID && me.name == "Ada Lovelace")

            // Ada's team: the node is its Super Admin, Ada an Admin person.
            let team: Team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(ada.token),
                                                      body: Self.json(#"{"name": "crew"}"#)) { try Self.decode($0) }
            let adaMember = try #require(team.members.first { $0.person == adaID })
            #expect(adaMember.kind == "person" && adaMember.name == "Ada Lovelace" && adaMember.role == "admin"
                && adaMember.devices == [t.node.nodeID.description])
            let nodeMember = try #require(team.members.first { $0.person == t.node.nodeID.description })
            #expect(nodeMember.kind == "node" && nodeMember.role == "super-admin" && nodeMember.name == "")

            // Ada adds Bo, a person of this node, directly.
            try await Self.register(client, t.bearer(ada.token), "bob", name: "Bo Chen")
            let bo = try await Self.login(client, "bob")
            let boID = try #require(bo.account.person)
            let added: Team = try await client.execute(uri: "/api/v1/teams/\(team.id)/members", method: .post, headers: t.bearer(ada.token),
                                                       body: Self.json(#"{"person": "\#(boID)", "role": "member"}"#)) {
                #expect($0.status == .created, "\(String(buffer: $0.body))")
                return try Self.decode($0)
            }
            #expect(added.members.first { $0.person == boID }.map { $0.name == "Bo Chen" && $0.role == "member" && $0.kind == "person" } == true)

            let workflow: IDOnly = try await client.execute(
                uri: "/api/v1/teams/\(team.id)/workflows", method: .post, headers: t.bearer(ada.token),
                body: Self.json(#"{"name": "checks", "stages": [{"name": "do", "roles": ["admin", "member"]}]}"#)) { try Self.decode($0) }
            func newItem() async throws -> String {
                try await client.execute(uri: "/api/v1/teams/\(team.id)/items", method: .post, headers: t.bearer(ada.token),
                                         body: Self.json(#"{"workflow": "\#(workflow.id)", "title": "gate"}"#)) {
                    #expect($0.status == .created)
                    return try Self.decode(IDOnly.self, $0).id
                }
            }
            let first = try await newItem(), second = try await newItem()
            let adaClaim: Item = try await client.execute(uri: "/api/v1/teams/\(team.id)/items/\(first)/claim", method: .post,
                                                          headers: t.bearer(ada.token)) { try Self.decode($0) }
            let boClaim: Item = try await client.execute(uri: "/api/v1/teams/\(team.id)/items/\(second)/claim", method: .post,
                                                         headers: t.bearer(bo.token)) { try Self.decode($0) }
            #expect(adaClaim.assignee == adaID && adaClaim.assigneeName == "Ada Lovelace")
            #expect(boClaim.assignee == boID && boClaim.assigneeName == "Bo Chen")
            // The ops themselves carry the persons' signatures.
            let teamID = try #require(OpID(hex: team.id))
            let log = try #require(await t.node.replica(teamID)?.log)
            #expect(log.contains { $0.author.description == boID && { if case .claimItem = $0.body.operation { true } else { false } }($0) })

            // Bo signs out: his keys are gone, and a write as him is refused until he signs in again.
            try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: t.bearer(bo.token)) { #expect($0.status == .noContent) }
            let boAgain = try await Self.login(client, "bob")
            try await client.execute(uri: "/api/v1/auth/sessions/revoke", method: .post, headers: t.bearer(boAgain.token)) { _ in }
            let third = try await newItem()
            let boLater = try await Self.login(client, "bob")
            let claimed: Item = try await client.execute(uri: "/api/v1/teams/\(team.id)/items/\(third)/claim", method: .post,
                                                         headers: t.bearer(boLater.token)) { try Self.decode($0) }
            #expect(claimed.assignee == boID, "a new login opens the keys again")

            // Ada removes Bo: his next write is refused, not made by the node in his place.
            try await client.execute(uri: "/api/v1/teams/\(team.id)/members/\(boID)", method: .delete, headers: t.bearer(ada.token)) {
                #expect($0.status == .ok)
            }
            let fourth = try await newItem()
            try await client.execute(uri: "/api/v1/teams/\(team.id)/items/\(fourth)/claim", method: .post, headers: t.bearer(boLater.token)) {
                #expect($0.status == .forbidden, "\(String(buffer: $0.body))")
            }
            let state = try #require(await t.node.team(teamID))
            let fourthID = try #require(OpID(hex: fourth))
            #expect(state.items[fourthID]?.assignee == nil)
        }
    }

    @Test func addingAPersonIsCheckedBeforeAnythingIsWritten() async throws {
        let t = try await Self.unlimitedNode()
        try await t.test { client in
            try await Self.register(client, t.operatorHeaders, "ada", name: "Ada")
            let ada = try await Self.login(client, "ada")
            let team: Team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(ada.token),
                                                      body: Self.json(#"{"name": "crew"}"#)) { try Self.decode($0) }
            let before = team.members.count
            let stranger = Ed25519KeyPair(seed: [UInt8](repeating: 9, count: 32))!
            let strangerID = NodeID(publicKey: stranger.publicKey).description
            let hex = stranger.publicKey.bytes.map { String(format: "%02x", $0) }.joined()
            let otherHex = Ed25519KeyPair(seed: [UInt8](repeating: 8, count: 32))!.publicKey.bytes.map { String(format: "%02x", $0) }.joined()
            let refusals: [(String, String)] = [
                (#"{"person": "not-an-id", "role": "member"}"#, "person must be"),
                (#"{"person": "\#(strangerID)", "role": "member"}"#, "not a person on this node"),
                (#"{"person": "\#(strangerID)", "role": "member", "publicKey": "\#(otherHex)", "name": "Cy"}"#, "is not the key of person"),
                (#"{"person": "\#(strangerID)", "role": "member", "publicKey": "\#(hex)"}"#, "needs a name"),
                (#"{"person": "\#(strangerID)", "role": "super-admin", "publicKey": "\#(hex)", "name": "Cy"}"#, "never given"),
                (#"{"person": "\#(strangerID)", "role": "member", "publicKey": "\#(hex)", "name": "Cy\u202Egnp"}"#, "name"),
                (#"{"person": "\#(strangerID)", "role": "member", "publicKey": "\#(hex)", "name": "\#(String(repeating: "x", count: 65))"}"#, "name"),
            ]
            for (body, says) in refusals {
                try await client.execute(uri: "/api/v1/teams/\(team.id)/members", method: .post, headers: t.bearer(ada.token), body: Self.json(body)) {
                    #expect($0.status == .badRequest, "\(body): \(String(buffer: $0.body))")
                    let e = try? Self.decode(ErrorBody.self, $0)
                    #expect(e?.error.message.contains(says) == true, "\(body): \(String(buffer: $0.body))")
                }
            }
            let teamID = try #require(OpID(hex: team.id))
            let now = try #require(await t.node.team(teamID))
            #expect(now.members.count == before, "nothing was written")
            // A person of another node, with their key and name.
            let added: Team = try await client.execute(uri: "/api/v1/teams/\(team.id)/members", method: .post, headers: t.bearer(ada.token),
                                                       body: Self.json(#"{"person": "\#(strangerID)", "role": "guest", "publicKey": "\#(hex)", "name": "Cy"}"#)) {
                #expect($0.status == .created)
                return try Self.decode($0)
            }
            let cy = try #require(added.members.first { $0.person == strangerID })
            #expect(cy.name == "Cy" && cy.role == "guest" && cy.kind == "person" && cy.devices == [])
        }
    }
}

extension PersonRoutesTests {
    static func decode<T: Decodable>(_ type: T.Type, _ r: TestResponse) throws -> T { try decode(r, as: type) }
}
