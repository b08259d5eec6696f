import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import MeshNode
import Replicas
import Services
import Testing
@testable import HTTPAPI

/// The edges issue through the router: limits in bytes, what a browser page can and cannot
/// make the node do, first run, sessions that end, the founder's rank, and an audit trail
/// that fails closed. Each test is the attack, then the use.
@Suite struct EdgesTests {
    struct ErrorBody: Decodable {
        struct Inner: Decodable { let code: String; let message: String; let field: String?; let limit: String? }
        let error: Inner
    }
    struct IDOnly: Decodable { let id: String }
    struct Login: Decodable { let token: String }

    static func json(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
    static func error(_ r: TestResponse) throws -> ErrorBody.Inner { try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error }
    static let oneCharacter3001Bytes = "e" + String(repeating: "\u{0301}", count: 1500)

    func founder(_ t: TestNode, _ client: some TestClientProtocol, name: String = "ada") async throws -> String {
        _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                     body: Self.json(#"{"username": "\#(name)", "password": "passphrase of \#(name)"}"#)) { $0.status }
        return try await login(client, name)
    }

    func login(_ client: some TestClientProtocol, _ name: String, password: String? = nil) async throws -> String {
        try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                 body: Self.json(#"{"username": "\#(name)", "password": "\#(password ?? "passphrase of \(name)")"}"#)) { r throws in
            try JSONDecoder().decode(Login.self, from: Data(buffer: r.body)).token
        }
    }

    // MARK: Limits in bytes

    @Test func textOverItsByteLimitIsRefusedNamingTheFieldAndTheLimit() async throws {
        let t = try await TestNode()
        try await t.test { client in
            let op = t.operatorHeaders
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: op,
                                     body: Self.json(#"{"name": "\#(Self.oneCharacter3001Bytes)"}"#)) { r throws in
                let e = try Self.error(r)
                #expect(r.status == .badRequest && e.code == "limit_exceeded" && e.field == "name" && e.limit == "1 to 200 bytes (UTF-8)")
            }
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: op, body: Self.json(#"{"name": "crew"}"#)) {
                try JSONDecoder().decode(IDOnly.self, from: Data(buffer: $0.body)).id
            }
            try await client.execute(uri: "/api/v1/teams/\(team)/workflows", method: .post, headers: op,
                                     body: Self.json(#"{"name": "w", "stages": [{"name": "ok", "roles": []}, {"name": "\#(Self.oneCharacter3001Bytes)", "roles": []}]}"#)) { r throws in
                #expect(try r.status == .badRequest && Self.error(r).field == "stages[1].name")
            }
            try await client.execute(uri: "/api/v1/teams/\(team)/workflows", method: .post, headers: op,
                                     body: Self.json(#"{"name": "w", "stages": [{"name": "s", "roles": [], "slaSeconds": 2300000000000000}]}"#)) { r throws in
                #expect(try r.status == .badRequest && Self.error(r).field == "stages[0].slaSeconds")
            }
            let workflow = try await client.execute(uri: "/api/v1/teams/\(team)/workflows", method: .post, headers: op,
                                                    body: Self.json(#"{"name": "w", "stages": [{"name": "s", "roles": []}]}"#)) {
                try JSONDecoder().decode(IDOnly.self, from: Data(buffer: $0.body)).id
            }
            try await client.execute(uri: "/api/v1/teams/\(team)/items", method: .post, headers: op,
                                     body: Self.json(#"{"workflow": "\#(workflow)", "title": "\#(Self.oneCharacter3001Bytes)"}"#)) { r throws in
                let e = try Self.error(r)
                #expect(r.status == .badRequest && e.field == "title" && e.limit == "1 to 1000 bytes (UTF-8)" && e.message.contains("3001 bytes"))
            }
            try await client.execute(uri: "/api/v1/teams/\(team)/vault/files", method: .post, headers: op,
                                     body: Self.json(#"{"name": "\#(String(repeating: "QUFB", count: 300))", "size": 0, "chunks": [], "chunkSize": 524288}"#)) { r throws in
                #expect(try r.status == .badRequest && Self.error(r).field == "name")
            }
            // Nothing refused was written: the log holds the genesis and the workflow only, and a
            // restart would find nothing to set aside.
            #expect(await t.node.replica(OpID(hex: team)!)?.opCount == 2)
            #expect(try t.node.database.loadLogs(nowMs: 0).quarantined.isEmpty)
        }
    }

    /// The numbers in Protocol/openapi.yaml (`x-max-bytes`) are those every replica enforces.
    @Test func theSpecStatesTheValidatorsLimits() throws {
        let spec = try String(contentsOf: OpenAPIConformanceTests.specURL, encoding: .utf8)
        func stated(_ schema: String, _ property: String) -> Int? {
            let lines = spec.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(where: { $0 == "    \(schema):" }) else { return nil }
            for line in lines[(start + 1)...] {
                if line.hasPrefix("    ") && !line.hasPrefix("     ") { return nil }
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("\(property):"), let r = line.range(of: "x-max-bytes: ") {
                    return Int(line[r.upperBound...].prefix { $0.isNumber })
                }
            }
            return nil
        }
        #expect(stated("TeamCreate", "name") == OpLimits.nameBytes)
        #expect(stated("WorkflowDefinition", "name") == OpLimits.nameBytes)
        #expect(stated("Stage", "name") == OpLimits.nameBytes)
        #expect(stated("ItemCreate", "title") == OpLimits.titleBytes)
        #expect(stated("MessageCreate", "text") == OpLimits.messageBytes)
        #expect(stated("MessageCreate", "channel") == OpLimits.channelBytes)
        #expect(stated("VaultFileCreate", "name") == OpLimits.sealedNameBytes)
        #expect(stated("NoticeCreate", "text") == GossipPayloadCoding.maxNoticeBytes)
        #expect(stated("PersonName", "x-max-bytes") == OpLimits.personNameBytes)
    }

    // MARK: Browser safety

    @Test func aPageElsewhereCannotDriveTheNode() async throws {
        let t = try await TestNode()
        try await t.testRaw { client in
            var rebound = t.operatorHeaders
            rebound[.contentType] = "application/json"
            // (DNS rebinding, a foreign Host, is a process test: the router test client always sends localhost.)
            // A page on another origin posting to the node.
            var crossSite = rebound
            crossSite[.origin] = "http://evil.example"
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: crossSite, body: Self.json(#"{"name": "x"}"#)) { r throws in
                #expect(try r.status == .forbidden && Self.error(r).code == "origin_refused")
            }
            crossSite[.origin] = "null"
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: crossSite, body: Self.json(#"{"name": "x"}"#)) { r throws in
                #expect(try Self.error(r).code == "origin_refused")
            }
            // A form post (no preflight needed across origins) is not JSON.
            var form = t.operatorHeaders
            form[.contentType] = "text/plain"
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: form, body: Self.json(#"{"name": "x"}"#)) { r throws in
                #expect(try r.status == .unsupportedMediaType && Self.error(r).code == "unsupported_media_type")
            }
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.operatorHeaders, body: Self.json(#"{"name": "x"}"#)) { r throws in
                #expect(r.status == .unsupportedMediaType, "no Content-Type is not JSON either")
            }
            #expect(await t.node.teams().isEmpty, "nothing above was written")
            // The node's own page (same origin), and programs that send no Origin, work.
            var samePage = rebound
            samePage[.origin] = "http://localhost"
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: samePage, body: Self.json(#"{"name": "crew"}"#)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: rebound, body: Self.json(#"{"name": "crew 2"}"#)) {
                #expect($0.status == .created)
            }
        }
        // An origin given with --allowed-origin may change the node. (A node serves one test run:
        // the run stops it.)
        let t2 = try await TestNode()
        try await t2.test(options: HTTPOptions(origins: OriginPolicy(allowedOrigins: ["https://console.example"]))) { client in
            var headers = t2.operatorHeaders
            headers[.origin] = "https://console.example"
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: headers, body: Self.json(#"{"name": "crew 3"}"#)) {
                #expect($0.status == .created)
            }
        }
    }

    @Test func theOriginPolicyReadsHostsAsBrowsersSendThem() {
        let p = OriginPolicy(allowedHosts: ["Field.Local"], allowedOrigins: ["https://console.example/"])
        for ok in ["127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000", "10.0.0.7", "field.local:80", nil] as [String?] {
            #expect(p.allows(host: ok), "\(ok ?? "nil")")
        }
        for bad in ["evil.example", "127.0.0.1.evil.example", "localhost.evil", "", "[::1", "300.1.1.1", "1.2.3"] {
            #expect(!p.allows(host: bad), "\(bad)")
        }
        #expect(p.allows(origin: nil, host: "127.0.0.1:8000"))
        #expect(p.allows(origin: "http://127.0.0.1:8000", host: "127.0.0.1:8000"))
        #expect(p.allows(origin: "https://console.example", host: "127.0.0.1:8000"))
        #expect(!p.allows(origin: "http://127.0.0.1:8001", host: "127.0.0.1:8000"), "another port is another origin")
        #expect(!p.allows(origin: "null", host: "127.0.0.1:8000"))
        #expect(!p.allows(origin: "ws://127.0.0.1, http://evil.example", host: "127.0.0.1:8000"), "one Origin only")
        #expect(p.allows(origin: "ws://127.0.0.1", host: "127.0.0.1:8000"), "WebSocket libraries, never a page")
        #expect(!p.allows(origin: "http://evil.example", host: "127.0.0.1:8000"))
    }

    // MARK: First run

    @Test func theFounderIsMadeOnlyWithTheSetupLinkOnce() async throws {
        let t = try await TestNode()
        let secret = try #require(t.services.setupLinkSecret)
        try await t.test { client in
            try await client.execute(uri: "/api/v1/auth/setup", method: .get) { #expect(String(buffer: $0.body) == #"{"needed":true}"#) }
            try await client.execute(uri: "/api/v1/auth/register", method: .post, body: Self.json(#"{"username": "eve", "password": "eve's passphrase"}"#)) { r throws in
                #expect(try r.status == .forbidden && Self.error(r).code == "setup_required")
            }
            try await client.execute(uri: "/api/v1/auth/setup", method: .post,
                                     body: Self.json(#"{"setupToken": "\#(String(repeating: "0", count: 48))", "username": "eve", "password": "eve's passphrase"}"#)) { r throws in
                #expect(try r.status == .forbidden && Self.error(r).code == "setup_link_invalid")
            }
            try await client.execute(uri: "/api/v1/auth/setup", method: .post,
                                     body: Self.json(#"{"setupToken": "\#(secret)", "username": "ada", "password": "passphrase of ada"}"#)) { r throws in
                #expect(r.status == .created && String(buffer: r.body).contains(#""founder":true"#) && String(buffer: r.body).contains(#""token""#))
            }
            try await client.execute(uri: "/api/v1/auth/setup", method: .post,
                                     body: Self.json(#"{"setupToken": "\#(secret)", "username": "eve", "password": "eve's passphrase"}"#)) { r throws in
                #expect(try r.status == .conflict && Self.error(r).code == "setup_done", "the link works once")
            }
            try await client.execute(uri: "/api/v1/auth/setup", method: .get) { #expect(String(buffer: $0.body) == #"{"needed":false}"#) }
        }
        #expect(t.services.setupLinkSecret == nil)
    }

    @Test func diagnosticsAndMetricsAreTheFoundersUnlessMadePublic() async throws {
        let t = try await TestNode()
        try await t.test { client in
            let token = try await founder(t, client)
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.bearer(token),
                                         body: Self.json(#"{"username": "bob", "password": "passphrase of bob"}"#)) { $0.status }
            let bob = try await login(client, "bob")
            for path in ["/diagnostics", "/metrics"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .unauthorized, "\(path)") }
                try await client.execute(uri: path, method: .get, headers: t.bearer(bob)) { #expect($0.status == .forbidden, "\(path)") }
                try await client.execute(uri: path, method: .get, headers: t.bearer(token)) { #expect($0.status == .ok, "\(path)") }
                try await client.execute(uri: path, method: .get, headers: t.operatorHeaders) { #expect($0.status == .ok, "\(path)") }
            }
        }
        try await TestNode().test(options: HTTPOptions(metricsPublic: true)) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/diagnostics", method: .get) { #expect($0.status == .unauthorized) }
        }
    }

    // MARK: Sessions

    @Test func signingOutChangingThePasswordAndEndingSessionsVoidTokens() async throws {
        let t = try await TestNode()
        try await t.test { client in
            let first = try await founder(t, client)
            let second = try await login(client, "ada")
            try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: t.bearer(first)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(first)) { r throws in
                #expect(try r.status == .unauthorized && Self.error(r).code == "token_revoked")
            }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(second)) { #expect($0.status == .ok, "only that token") }

            try await client.execute(uri: "/api/v1/auth/password", method: .post, headers: t.bearer(second),
                                     body: Self.json(#"{"currentPassword": "wrong password", "newPassword": "a new passphrase"}"#)) { r throws in
                #expect(r.status == .unauthorized)
            }
            let third = try await client.execute(uri: "/api/v1/auth/password", method: .post, headers: t.bearer(second),
                                                 body: Self.json(#"{"currentPassword": "passphrase of ada", "newPassword": "a new passphrase"}"#)) { r throws in
                #expect(r.status == .ok)
                return try JSONDecoder().decode(Login.self, from: Data(buffer: r.body)).token
            }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(second)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(third)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                     body: Self.json(#"{"username": "ada", "password": "passphrase of ada"}"#)) { #expect($0.status == .unauthorized) }
            let fourth = try await login(client, "ada", password: "a new passphrase")

            try await client.execute(uri: "/api/v1/auth/sessions/revoke", method: .post, headers: t.bearer(third)) { #expect($0.status == .noContent) }
            for token in [third, fourth] {
                try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.bearer(token)) { #expect($0.status == .unauthorized) }
            }
            try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: t.operatorHeaders) { #expect($0.status == .badRequest) }
        }
    }

    @Test func aDeletedAccountsTokensStopWorking() async throws {
        let t = try await TestNode()
        try await t.test { client in
            let ada = try await founder(t, client)
            let bob = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.bearer(ada),
                                               body: Self.json(#"{"username": "bob", "password": "passphrase of bob"}"#)) {
                try JSONDecoder().decode(AuthRoutes.AccountView.self, from: Data(buffer: $0.body)).id
            }
            let bobToken = try await login(client, "bob")
            try await client.execute(uri: "/api/v1/accounts/\(bob)", method: .delete, headers: t.bearer(bobToken)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/accounts/1", method: .delete, headers: t.bearer(ada)) { r throws in
                #expect(try Self.error(r).code == "founder_protected")
            }
            try await client.execute(uri: "/api/v1/accounts/\(bob)", method: .delete, headers: t.bearer(ada)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/api/v1/auth/me", method: .get, headers: t.bearer(bobToken)) { r throws in
                #expect(try r.status == .unauthorized && Self.error(r).code == "token_revoked")
            }
        }
    }

    /// Parallel wrong guesses all count: five at once lock the account (they were read, checked
    /// and written outside a transaction, so some were lost).
    @Test func parallelGuessesAllCountTowardTheLockout() async throws {
        let t = try await TestNode()
        _ = try t.services.accounts.register(username: "ada", password: "passphrase of ada", by: .nodeOperator, at: t.clock.now)
        let store = t.services.accounts, now = t.clock.now
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    do { _ = try store.login(username: "ada", password: "a wrong guess", at: now); return "in" } catch { return "\(error)" }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(!outcomes.contains("in"))
        #expect(throws: AccountError.self) { try store.login(username: "ada", password: "passphrase of ada", at: now) }
        do { _ = try store.login(username: "ada", password: "passphrase of ada", at: now) } catch {
            guard case .locked = error else { Issue.record("expected a lock, got \(error)"); return }
        }
    }

    // MARK: Rank

    @Test func teamManageCannotReachAboveItsOwnRole() async throws {
        let t = try await TestNode()
        try await t.test { client in
            let ada = try await founder(t, client)
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.bearer(ada), body: Self.json(#"{"name": "crew"}"#)) {
                try JSONDecoder().decode(IDOnly.self, from: Data(buffer: $0.body)).id
            }
            for name in ["sam", "alan", "moe"] {
                _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.bearer(ada),
                                             body: Self.json(#"{"username": "\#(name)", "password": "passphrase of \#(name)"}"#)) { $0.status }
            }
            // 2 = sam (Super Admin), 3 = alan (Admin), 4 = moe (Member).
            for (id, role) in [(2, "super-admin"), (3, "admin"), (4, "member")] {
                try await client.execute(uri: "/api/v1/teams/\(team)/access/\(id)", method: .put, headers: t.bearer(ada),
                                         body: Self.json(#"{"role": "\#(role)"}"#)) { #expect($0.status == .ok, "\(String(buffer: $0.body))") }
            }
            let alan = try await login(client, "alan")
            try await client.execute(uri: "/api/v1/teams/\(team)/access/2", method: .put, headers: t.bearer(alan),
                                     body: Self.json(#"{"role": "guest"}"#)) { r throws in
                #expect(try r.status == .forbidden && Self.error(r).message.contains("super-admin"), "an Admin cannot demote a Super Admin")
            }
            try await client.execute(uri: "/api/v1/teams/\(team)/access/1", method: .put, headers: t.bearer(alan),
                                     body: Self.json(#"{"role": "guest"}"#)) { #expect($0.status == .forbidden, "nor touch the founder") }
            try await client.execute(uri: "/api/v1/teams/\(team)/access/4", method: .put, headers: t.bearer(alan),
                                     body: Self.json(#"{"role": "guest"}"#)) { #expect($0.status == .ok, "a Member, yes") }
            try await client.execute(uri: "/api/v1/teams/\(team)/access/3", method: .put, headers: t.bearer(alan),
                                     body: Self.json(#"{"role": "admin"}"#)) { #expect($0.status == .ok, "its own rank, yes") }
            let sam = try await login(client, "sam")
            try await client.execute(uri: "/api/v1/teams/\(team)/access/3", method: .put, headers: t.bearer(sam),
                                     body: Self.json(#"{"role": "member"}"#)) { #expect($0.status == .ok, "a Super Admin manages Admins") }
        }
    }

    // MARK: Audit fails closed

    @Test func aChangeTheAuditTrailCannotRecordIsRefused() async throws {
        let t = try await TestNode()
        try await t.node.database.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(FAIL, 'disk full'); END")
        }
        try await t.test { client in
            try await client.execute(uri: "/api/v1/teams", method: .post, headers: t.operatorHeaders, body: Self.json(#"{"name": "crew"}"#)) { r throws in
                #expect(try r.status == .serviceUnavailable && Self.error(r).code == "audit_unavailable")
            }
            try await client.execute(uri: "/api/v1/teams", method: .get, headers: t.operatorHeaders) { #expect($0.status == .ok, "reads go on") }
        }
        #expect(await t.node.teams().isEmpty)
    }

    // MARK: The event stream ends with its session

    @Test func theEventStreamEndsWhenItsTokenIsSignedOut() async throws {
        let t = try await TestNode()
        let app = buildApplication(node: t.node, services: t.services, address: HostPort(host: "127.0.0.1", port: 0), logger: Logger(label: "test"))
        try await app.test(.live) { raw in
            let client = JSONClient(inner: raw)
            let token = try await founder(t, client)
            let started = ContinuousClock.now
            let frames = try await EventsTests.collect(port: client.port!, headers: t.bearer(token),
                                                       until: { $0.contains(#"{"type":"session-ended"}"#) }) {
                _ = try await client.execute(uri: "/api/v1/auth/logout", method: .post, headers: t.bearer(token)) { $0.status }
            }
            #expect(frames.contains(#"{"type":"session-ended"}"#))
            #expect(ContinuousClock.now - started < .seconds(8))
            // A page on another origin cannot open the stream at all; the node's own page can.
            let other = try await login(client, "ada")
            let endpoint = EventsEndpoint(services: t.services, node: t.node, hub: EventHub(node: t.node), origins: OriginPolicy())
            for (origin, upgraded) in [("http://evil.example", false), ("null", false), ("http://127.0.0.1:8000", true)] {
                let request = HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:8000", path: "/api/v1/events",
                                          headerFields: [.authorization: "Bearer \(other)", .origin: origin])
                let decision = await endpoint.shouldUpgrade(request, logger: Logger(label: "test"))
                if case .dontUpgrade = decision { #expect(!upgraded, "\(origin)") } else { #expect(upgraded, "\(origin)") }
            }
        }
    }
}
