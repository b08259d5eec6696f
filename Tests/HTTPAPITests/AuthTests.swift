import Foundation
import Hummingbird
import HummingbirdTesting
import Services
import Testing
@testable import HTTPAPI

/// Accounts, tokens, lockout, rate limits and the audit trail, through the router.
@Suite struct AuthTests {
    struct TokenBody: Decodable { struct Account: Decodable { let id: Int64; let username: String; let founder: Bool }; let token: String; let account: Account }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
    struct Entry: Decodable { let actor: String; let action: String; let resource: String; let outcome: String; let status: Int; let userAgent: String }
    struct Entries: Decodable { let entries: [Entry] }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static func creds(_ user: String, _ password: String) -> ByteBuffer { body(#"{"username": "\#(user)", "password": "\#(password)"}"#) }
    static func code(_ r: TestResponse) throws -> String { try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error.code }

    func login(_ client: some TestClientProtocol, _ user: String, _ password: String) async throws -> TokenBody {
        try await client.execute(uri: "/api/v1/auth/login", method: .post, body: Self.creds(user, password)) { r throws in
            #expect(r.status == .ok)
            return try JSONDecoder().decode(TokenBody.self, from: Data(buffer: r.body))
        }
    }

    @Test func theFirstAccountIsTheFounderAndOnlyTheFounderAddsMore() async throws {
        let t = try await TestNode()
        try await t.test { client in
            try await client.execute(uri: "/api/v1/auth/register", method: .post, body: Self.creds("ada", "a long passphrase")) { r throws in
                #expect(try r.status == .forbidden && Self.code(r) == "setup_required", "nobody claims a fresh node without the operator token")
            }
            try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                     body: Self.creds("ada", "a long passphrase")) { r throws in
                #expect(r.status == .created)
                #expect(String(buffer: r.body).contains(#""founder":true"#))
            }
            // Anyone else is refused once there is a founder.
            try await client.execute(uri: "/api/v1/auth/register", method: .post, body: Self.creds("eve", "another passphrase")) { r throws in
                #expect(try r.status == .forbidden && Self.code(r) == "registration_closed")
            }
            let founder = try await login(client, "ada", "a long passphrase")
            #expect(founder.account.founder)
            try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.bearer(founder.token),
                                     body: Self.creds("bob", "bob's passphrase")) { r throws in
                #expect(r.status == .created && String(buffer: r.body).contains(#""founder":false"#))
            }
            try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.bearer(founder.token),
                                     body: Self.creds("BOB", "bob's passphrase")) { r throws in
                #expect(try r.status == .conflict && Self.code(r) == "username_taken", "usernames ignore case")
            }
            for (user, pass, code) in [("b", "long enough pass", "bad_request"), ("carol", "short", "bad_request")] {
                try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.bearer(founder.token),
                                         body: Self.creds(user, pass)) { r throws in #expect(try Self.code(r) == code) }
            }
            let bob = try await login(client, "bob", "bob's passphrase")
            try await client.execute(uri: "/api/v1/auth/me", method: .get, headers: t.bearer(bob.token)) { r throws in
                #expect(r.status == .ok && String(buffer: r.body).contains(#""username":"bob""#))
            }
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: t.bearer(bob.token)) { r throws in
                #expect(r.status == .forbidden, "the audit log is the founder's")
            }
        }
    }

    @Test func routesNeedAValidUnexpiredUntamperedToken() async throws {
        let t = try await TestNode()
        try await t.test { client in
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                         body: Self.creds("ada", "a long passphrase")) { $0.status }
            let token = try await login(client, "ada", "a long passphrase").token
            try await client.execute(uri: "/api/v1/teams", method: .get) { r throws in
                #expect(try r.status == .unauthorized && Self.code(r) == "unauthorized")
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok, "health stays public") }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { #expect($0.status == .ok) }

            // One character of the signature changed.
            var tampered = Array(token)
            tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(String(tampered))) { r throws in
                #expect(try r.status == .unauthorized && Self.code(r) == "token_invalid")
            }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: [.authorization: "Basic abc"]) { r throws in
                #expect(r.status == .unauthorized)
            }
            t.clock.advance(ms: TokenIssuer.lifetimeMs)
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { r throws in
                #expect(try r.status == .unauthorized && Self.code(r) == "token_expired")
            }
        }
    }

    @Test func fiveFailedLoginsLockTheAccountForFifteenMinutes() async throws {
        let t = try await TestNode()
        try await t.test { client in
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                         body: Self.creds("ada", "a long passphrase")) { $0.status }
            for _ in 1...4 {
                try await client.execute(uri: "/api/v1/auth/login", method: .post, body: Self.creds("ada", "wrong passphrase")) { r throws in
                    #expect(try r.status == .unauthorized && Self.code(r) == "invalid_credentials")
                }
            }
            try await client.execute(uri: "/api/v1/auth/login", method: .post, body: Self.creds("ada", "wrong passphrase")) { r throws in
                #expect(try r.status.code == 423 && Self.code(r) == "account_locked")
                #expect(r.headers[.retryAfter] == "900")
            }
            // Locked: even the right password is refused, until the lock lifts.
            t.clock.advance(ms: 14 * 60_000)
            try await client.execute(uri: "/api/v1/auth/login", method: .post, body: Self.creds("ada", "a long passphrase")) { r throws in
                #expect(r.status.code == 423 && r.headers[.retryAfter] == "60")
            }
            t.clock.advance(ms: 60_000)
            _ = try await login(client, "ada", "a long passphrase")
            // An unknown user reads the same as a wrong password.
            try await client.execute(uri: "/api/v1/auth/login", method: .post, body: Self.creds("nobody", "whatever it is")) { r throws in
                #expect(try r.status == .unauthorized && Self.code(r) == "invalid_credentials")
            }
        }
    }

    @Test func rateLimitsAnswer429WithRetryAfter() async throws {
        var limits = RateLimiter.Limits()
        limits.requests = 6
        limits.writes = 3
        let t = try await TestNode(limits: limits)
        try await t.test { client in
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                         body: Self.creds("ada", "a long passphrase")) { $0.status }
            // The operator (who made the founder) is not counted: writes so far, 1 from this address.
            let token = try await login(client, "ada", "a long passphrase").token
            for name in ["crew", "crew 2"] {
                try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(token), body: Self.body(#"{"name": "\#(name)"}"#)) {
                    #expect($0.status == .created)
                }
            }
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(token), body: Self.body(#"{"name": "crew 3"}"#)) { r throws in
                #expect(try r.status == .tooManyRequests && Self.code(r) == "rate_limited")
                #expect(r.headers[.retryAfter] == "60")
            }
            for _ in 1...3 { try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { #expect($0.status == .ok) } }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { #expect($0.status == .tooManyRequests) }
            // The node's operator is not limited.
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.operatorHeaders) { #expect($0.status == .ok) }
            t.clock.advance(ms: 60_001)
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { #expect($0.status == .ok) }
        }
    }

    @Test func everyMutationAndDenialIsAudited() async throws {
        let t = try await TestNode()
        try await t.test { client in
            var founding = t.operatorHeaders
            founding[.userAgent] = "test-agent/1"
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: founding,
                                         body: Self.creds("ada", "a long passphrase")) { $0.status }
            let token = try await login(client, "ada", "a long passphrase").token
            _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(token), body: Self.body(#"{"name": "crew"}"#)) { $0.status }
            _ = try await client.execute(uri: "/api/v1/teams", method: .get) { $0.status }                       // denied: no token
            _ = try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { $0.status } // a read: not audited
            _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(token), body: Self.body("{")) { $0.status }
            let entries = try await client.execute(uri: "/api/v1/audit", method: .get, headers: t.bearer(token)) { r throws in
                try JSONDecoder().decode(Entries.self, from: Data(buffer: r.body)).entries
            }
            let seen = entries.reversed().map { "\($0.actor) \($0.action) \($0.outcome) \($0.status)" }
            #expect(seen == [
                "node-operator POST /api/v1/auth/register ok 201",
                "anonymous POST /api/v1/auth/login ok 200",
                "user:1:ada POST /api/v1/teams ok 201",
                "anonymous GET /api/v1/teams denied 401",
                "user:1:ada POST /api/v1/teams failed 400",
            ])
            #expect(entries.last?.userAgent == "test-agent/1")
            try await client.execute(uri: "/api/v1/audit?outcome=denied", method: .get, headers: t.bearer(token)) { r throws in
                #expect(try JSONDecoder().decode(Entries.self, from: Data(buffer: r.body)).entries.map(\.status) == [401])
            }
            try await client.execute(uri: "/api/v1/audit?outcome=maybe", method: .get, headers: t.bearer(token)) { #expect($0.status == .badRequest) }
        }
    }
}

@Suite struct AuditRetentionTests {
    /// A node that runs for months keeps only 90 days of audit: pruning happens as it records.
    @Test func aRunningNodePrunesPastTheRetention() async throws {
        let t = try await TestNode()
        try await t.test { client in
            _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.operatorHeaders,
                                         body: ByteBuffer(string: #"{"name": "a"}"#)) { $0.status }
            t.clock.advance(ms: AuditLog.retentionMs + 3_600_000)
            _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.operatorHeaders,
                                         body: ByteBuffer(string: #"{"name": "b"}"#)) { $0.status }
            let left = try t.services.audit.entries(.init())
            #expect(left.count == 1 && left[0].atMs == t.clock.now, "the 90-day-old entry is gone, the new one kept")
        }
    }
}
