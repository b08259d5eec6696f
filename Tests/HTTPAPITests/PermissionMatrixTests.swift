import Foundation
import Hummingbird
import HummingbirdTesting
import Services
import Testing
@testable import HTTPAPI

/// Each role against each operation, through the router with real accounts and tokens.
@Suite struct PermissionMatrixTests {
    struct Login: Decodable { let token: String; let account: Account }
    struct Account: Decodable { let id: Int64 }
    struct IDOnly: Decodable { let id: String }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String }; let error: Inner }

    enum Op: String, CaseIterable {
        case viewItems, defineWorkflow, createItem, claimItem, manageAccess, readAudit, createTeam
    }

    /// A node with a founder, a team, a workflow, and one account per role.
    final class World: @unchecked Sendable {
        let t: TestNode
        var founder = ""
        var team = ""
        var workflow = ""
        var tokens: [String: String] = [:]
        var ids: [String: Int64] = [:]
        init(_ t: TestNode) { self.t = t }
    }

    static func json(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    static func setUp(_ client: some TestClientProtocol, _ w: World, people: [(String, String?)]) async throws {
        func login(_ name: String) async throws -> Login {
            try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                     body: json(#"{"username": "\#(name)", "password": "passphrase of \#(name)"}"#)) {
                try JSONDecoder().decode(Login.self, from: Data(buffer: $0.body))
            }
        }
        _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: w.t.operatorHeaders,
                                     body: json(#"{"username": "ada", "password": "passphrase of ada"}"#)) { $0.status }
        w.founder = try await login("ada").token
        let founder = w.t.bearer(w.founder)
        w.team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: founder, body: json(#"{"name": "crew"}"#)) {
            try JSONDecoder().decode(IDOnly.self, from: Data(buffer: $0.body)).id
        }
        w.workflow = try await client.execute(uri: "/api/v1/teams/\(w.team)/workflows", method: .post, headers: founder,
                                              body: json(#"{"name": "w", "stages": [{"name": "s", "roles": ["super-admin"]}]}"#)) {
            try JSONDecoder().decode(IDOnly.self, from: Data(buffer: $0.body)).id
        }
        for (name, role) in people {
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: founder,
                                         body: json(#"{"username": "\#(name)", "password": "passphrase of \#(name)"}"#)) { $0.status }
            let l = try await login(name)
            w.tokens[name] = l.token
            w.ids[name] = l.account.id
            if let role {
                try await client.execute(uri: "/api/v1/teams/\(w.team)/access/\(l.account.id)", method: .put, headers: founder,
                                         body: json(#"{"role": "\#(role)"}"#)) { #expect($0.status == .ok) }
            }
        }
    }

    /// A fresh queued item, made by the founder (so it is nobody else's own).
    static func item(_ client: some TestClientProtocol, _ w: World, token: String? = nil) async throws -> String {
        try await client.execute(uri: "/api/v1/teams/\(w.team)/items", method: .post, headers: w.t.bearer(token ?? w.founder),
                                 body: json(#"{"workflow": "\#(w.workflow)", "title": "t"}"#)) {
            try JSONDecoder().decode(IDOnly.self, from: Data(buffer: $0.body)).id
        }
    }

    /// Whether `op` is allowed for `token`: a 2xx, or a 403 `permission_denied`/`forbidden` (anything else fails the test).
    static func attempt(_ op: Op, _ client: some TestClientProtocol, _ w: World, token: String) async throws -> Bool {
        let h = w.t.bearer(token)
        let base = "/api/v1/teams/\(w.team)"
        let (uri, method, body): (String, HTTPRequest.Method, String?) = switch op {
        case .viewItems: (base + "/items", .get, nil)
        case .defineWorkflow: (base + "/workflows", .post, #"{"name": "w2", "stages": [{"name": "s", "roles": ["member"]}]}"#)
        case .createItem: (base + "/items", .post, #"{"workflow": "\#(w.workflow)", "title": "t"}"#)
        case .claimItem: (base + "/items/\(try await item(client, w))/claim", .post, nil)
        case .manageAccess: (base + "/access", .get, nil)
        case .readAudit: ("/api/v1/audit?limit=1", .get, nil)
        case .createTeam: ("/api/v1/teams", .post, #"{"name": "another"}"#)
        }
        return try await client.execute(uri: uri, method: method, headers: h, body: body.map(json) ?? ByteBuffer()) { r in
            if (200..<300).contains(r.status.code) { return true }
            let code = (try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error.code) ?? "?"
            #expect(r.status == .forbidden && ["permission_denied", "forbidden", "refused_forbidden"].contains(code), "\(op): \(r.status) \(String(buffer: r.body))")
            return false
        }
    }

    @Test func eachRoleAgainstEachOperation() async throws {
        var limits = RateLimiter.Limits()
        limits.enabled = false
        let w = World(try await TestNode(limits: limits))
        let expected: [String: Set<Op>] = [
            "gus": [.viewItems],                                               // guest
            "meg": [.viewItems, .createItem, .claimItem],                      // member
            "adam": [.viewItems, .defineWorkflow, .createItem, .claimItem, .manageAccess, .readAudit],  // admin
            "sue": [.viewItems, .defineWorkflow, .createItem, .claimItem, .manageAccess, .readAudit],   // super-admin
            "nobody": [],                                                      // no role in the team
            // The founder, a person who is an Admin of the team she created (PROTOCOL.md section
            // 12): she signs her claims herself, and the stage is for the Super Admin (the node),
            // so the team's rules refuse her. The others are not members of the team: their
            // writes are the node's, checked by their access role on this node.
            "ada": Set(Op.allCases).subtracting([.claimItem]),
        ]
        try await w.t.test { client in
            try await Self.setUp(client, w, people: [("gus", "guest"), ("meg", "member"), ("adam", "admin"), ("sue", "super-admin"), ("nobody", nil)])
            w.tokens["ada"] = w.founder
            for (name, allowed) in expected.sorted(by: { $0.key < $1.key }) {
                for op in Op.allCases {
                    let got = try await Self.attempt(op, client, w, token: w.tokens[name]!)
                    #expect(got == allowed.contains(op), "\(name) \(op): \(got ? "allowed" : "denied")")
                }
            }
        }
    }

    @Test func profilesAddSetsOverrideAndScopesLimitToOwnItems() async throws {
        var limits = RateLimiter.Limits()
        limits.enabled = false
        let w = World(try await TestNode(limits: limits))
        try await w.t.test { client in
            try await Self.setUp(client, w, people: [("meg", "member"), ("sue", "super-admin")])
            let founder = w.t.bearer(w.founder)
            #expect(try await !Self.attempt(.manageAccess, client, w, token: w.tokens["meg"]!))
            // A profile adds team.manage to a member; the change applies at once (cache voided).
            try await client.execute(uri: "/api/v1/permission-profiles/lead", method: .put, headers: founder,
                                     body: Self.json(#"{"grants": {"team.manage": true}}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/teams/\(w.team)/access/\(w.ids["meg"]!)", method: .put, headers: founder,
                                     body: Self.json(#"{"role": "member", "profiles": ["lead"], "overrides": {"items.work": "own"}}"#)) {
                #expect($0.status == .ok)
            }
            #expect(try await Self.attempt(.manageAccess, client, w, token: w.tokens["meg"]!))
            // items.work "own": another's item is refused, her own is not.
            #expect(try await !Self.attempt(.claimItem, client, w, token: w.tokens["meg"]!))
            let mine = try await Self.item(client, w, token: w.tokens["meg"]!)
            try await client.execute(uri: "/api/v1/teams/\(w.team)/items/\(mine)/claim", method: .post, headers: w.t.bearer(w.tokens["meg"]!)) {
                #expect($0.status == .ok)
            }
            // A set restricts a Super Admin.
            #expect(try await Self.attempt(.defineWorkflow, client, w, token: w.tokens["sue"]!))
            try await client.execute(uri: "/api/v1/teams/\(w.team)/access/\(w.ids["sue"]!)", method: .put, headers: founder,
                                     body: Self.json(#"{"role": "super-admin", "overrides": {"workflows.create": false}}"#)) { #expect($0.status == .ok) }
            #expect(try await !Self.attempt(.defineWorkflow, client, w, token: w.tokens["sue"]!))
            try await client.execute(uri: "/api/v1/teams/\(w.team)/access/me", method: .get, headers: w.t.bearer(w.tokens["sue"]!)) { r in
                #expect(String(buffer: r.body).contains(#""workflows.create":false"#) && String(buffer: r.body).contains(#""basis":"super-admin""#))
            }
            // Only the founder makes Super Admins; bad values say what is allowed.
            try await client.execute(uri: "/api/v1/teams/\(w.team)/access/\(w.ids["meg"]!)", method: .put, headers: w.t.bearer(w.tokens["meg"]!),
                                     body: Self.json(#"{"role": "super-admin"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/teams/\(w.team)/access/\(w.ids["meg"]!)", method: .put, headers: founder,
                                     body: Self.json(#"{"overrides": {"vault.access": "everything"}}"#)) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("none, read, write or admin"))
            }
        }
    }

    @Test func answersAreCachedUntilSomethingTheyDependOnChanges() async throws {
        let t = try await TestNode()
        let engine = t.services.permissions
        let team = String(repeating: "ab", count: 32)
        let account = try t.services.accounts.register(username: "ada", password: "passphrase of ada", by: .nodeOperator, at: t.clock.now)
        let bob = try t.services.accounts.register(username: "bob", password: "passphrase of bob", by: .account(account), at: t.clock.now)
        try engine.assign(account: bob.id, team: team, AccessAssignment(role: .member))
        let before = engine.resolutions
        for _ in 0..<5 { #expect(try engine.effective(for: .account(bob), team: team).allows(.itemsCreate)) }
        #expect(engine.resolutions == before + 1, "one resolution, four cache hits")
        try engine.assign(account: bob.id, team: team, AccessAssignment(role: .guest))
        #expect(try !engine.effective(for: .account(bob), team: team).allows(.itemsCreate), "a change voids the cache")
        t.clock.advance(ms: PermissionEngine.cacheMs)
        _ = try engine.effective(for: .account(bob), team: team)
        #expect(engine.resolutions == before + 3, "and an answer lives five minutes")
    }
}
