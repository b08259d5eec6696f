import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import MeshNode
import Services
import Synchronization
import Testing
@testable import HTTPAPI

/// `/api/v1/events` over a real socket: authenticated clients receive replica changes they may
/// see, as JSON text frames.
@Suite struct EventsTests {
    struct Login: Decodable { let token: String }

    final class Frames: Sendable {
        private let m = Mutex<[String]>([])
        func append(_ s: String) { m.withLock { $0.append(s) } }
        var all: [String] { m.withLock { $0 } }
    }

    /// Connects, collects text frames until `until` holds for the list (or 10 s pass), then closes.
    static func collect(port: Int, headers: HTTPFields, query: String = "", until: @escaping @Sendable ([String]) -> Bool,
                        whileConnected: @escaping @Sendable () async throws -> Void) async throws -> [String] {
        let frames = Frames()
        let logger = Logger(label: "ws-test")
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/api/v1/events\(query)",
                                          configuration: .init(additionalHeaders: headers), logger: logger) { inbound, outbound, _ in
            let started = ContinuousClock.now
            async let trigger: Void = {
                // Wait for the hello so the subscription is in place before anything happens.
                while frames.all.isEmpty && ContinuousClock.now - started < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
                try await whileConnected()
            }()
            for try await message in inbound.messages(maxSize: 1 << 16) {
                if case let .text(text) = message { frames.append(text) }
                if until(frames.all) || ContinuousClock.now - started > .seconds(10) { break }
            }
            try await trigger
            try await outbound.close(.normalClosure, reason: nil)
        }
        return frames.all
    }

    @Test func replicaChangesReachTheClientsAllowedToSeeThem() async throws {
        let t = try await TestNode()
        let app = buildApplication(node: t.node, services: t.services, address: HostPort(host: "127.0.0.1", port: 0), logger: Logger(label: "test"))
        try await app.test(.live) { raw in
            let client = JSONClient(inner: raw)
            let port = client.port!
            let founder = t.operatorHeaders
            // An account with no role in any team.
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: founder,
                                         body: ByteBuffer(string: #"{"username": "ada", "password": "ada's passphrase"}"#)) { $0.status }
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: founder,
                                         body: ByteBuffer(string: #"{"username": "nobody", "password": "nobody's passphrase"}"#)) { $0.status }
            let nobody = try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                                  body: ByteBuffer(string: #"{"username": "nobody", "password": "nobody's passphrase"}"#)) {
                try JSONDecoder().decode(Login.self, from: Data(buffer: $0.body)).token
            }

            let seen = try await Self.collect(port: port, headers: founder, until: { $0.contains { $0.contains("create-team") } }) {
                _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: founder, body: ByteBuffer(string: #"{"name": "crew"}"#)) { $0.status }
            }
            #expect(seen.first == #"{"type":"hello"}"#)
            let replica = try #require(seen.first { $0.contains("create-team") })
            #expect(replica.contains(#""type":"replica""#) && replica.contains(#""outcome":"applied""#))

            // A message's event says where it went, so a client showing another channel fetches nothing.
            struct Teams: Decodable { struct Team: Decodable { let id: String }; let teams: [Team] }
            let teamID = try await client.execute(uri: "/api/v1/teams", method: .get, headers: founder) {
                try #require(try JSONDecoder().decode(Teams.self, from: Data(buffer: $0.body)).teams.first).id
            }
            let posted = try await Self.collect(port: port, headers: founder, until: { $0.contains { $0.contains("post-message") } }) {
                _ = try await client.execute(uri: "/api/v1/teams/\(teamID)/messages", method: .post, headers: founder,
                                             body: ByteBuffer(string: #"{"channel": "logistics", "text": "fuel at noon"}"#)) { $0.status }
            }
            let message = try #require(posted.first { $0.contains("post-message") })
            #expect(message.contains(#""channel":"logistics""#) && !message.contains(#""item""#), "\(message)")

            // The account without a role sees the notice but not the team's second change; its token goes in the query.
            let other = try await Self.collect(port: port, headers: [:], query: "?token=\(nobody)", until: { $0.contains { $0.contains("notice") } }) {
                _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: founder, body: ByteBuffer(string: #"{"name": "crew 2"}"#)) { $0.status }
                _ = try await client.execute(uri: "/api/v1/p2p/notices", method: .post, headers: founder, body: ByteBuffer(string: #"{"text": "hi all"}"#)) { $0.status }
            }
            #expect(other.contains { $0.contains(#""text":"hi all""#) })
            #expect(!other.contains { $0.contains("replica") }, "\(other)")

            // No token: no upgrade, and a plain GET says what the endpoint is.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/api/v1/events", logger: Logger(label: "ws")) { _, _, _ in }
            }
            try await client.execute(uri: "/api/v1/events", method: .get, headers: founder) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("websocket_required"))
            }
        }
    }
}
