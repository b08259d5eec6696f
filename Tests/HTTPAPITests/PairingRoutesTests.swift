import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MeshNode
import Testing
@testable import HTTPAPI

/// `/api/v1/p2p/invites` and `/api/v1/p2p/join` against a real node (no transport), through the router.
@Suite struct PairingRoutesTests {
    struct Invite: Decodable { let id: String; let code: String?; let tag: String; let status: String; let team: String?; let role: String? }
    struct Invites: Decodable { let invites: [Invite] }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
    struct Team: Decodable { let id: String }

    func withApp(_ body: @Sendable (any TestClientProtocol, HTTPFields) async throws -> Void) async throws {
        let t = try await TestNode()
        let headers = t.operatorHeaders
        try await t.test { client in try await body(client, headers) }
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func aCodeIsShownOnceThenListedByTagAndRevoked() async throws {
        try await withApp { client, auth in
            let created = try await client.execute(uri: "/api/v1/p2p/invites", method: .post, headers: auth, body: Self.json(#"{"expires": "2h"}"#)) {
                #expect($0.status == .created)
                return try JSONDecoder().decode(Invite.self, from: Data(buffer: $0.body))
            }
            let code = try #require(created.code)
            #expect(code.hasPrefix("OMNI-") && code.dropFirst(5).prefix(4) == created.tag && created.status == "open")

            try await client.execute(uri: "/api/v1/p2p/invites", method: .get, headers: auth) { response throws in
                let list = try JSONDecoder().decode(Invites.self, from: Data(buffer: response.body)).invites
                #expect(list.map(\.id) == [created.id])
                #expect(list[0].code == nil, "a listing never shows the code")
                #expect(!String(buffer: response.body).contains(code))
            }
            try await client.execute(uri: "/api/v1/p2p/invites/\(created.id)", method: .delete, headers: auth) { response throws in
                #expect(response.status == .ok)
                #expect(try JSONDecoder().decode(Invite.self, from: Data(buffer: response.body)).status == "revoked")
            }
            try await client.execute(uri: "/api/v1/p2p/invites/\(created.id)", method: .delete, headers: auth) { response throws in
                #expect(response.status == .conflict)
                #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error.code == "invite_closed")
            }
            try await client.execute(uri: "/api/v1/p2p/invites/NOPE", method: .delete, headers: auth) { #expect($0.status == .notFound) }
        }
    }

    @Test(arguments: [
        (#"{"expires": "90d"}"#, "bad_request"),
        (#"{"expires": "soon"}"#, "bad_request"),
        (#"{"role": "admin"}"#, "bad_request"),
        (#"{"team": "abc"}"#, "bad_request"),
        (#"{"team": "\#(String(repeating: "ab", count: 32))"}"#, "not_found"),
    ])
    func badInviteRequestsSayWhy(body: String, code: String) async throws {
        try await withApp { client, auth in
            try await client.execute(uri: "/api/v1/p2p/invites", method: .post, headers: auth, body: Self.json(body)) { response throws in
                let error = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error
                #expect(error.code == code, "\(body): \(error.message)")
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func aTeamCodeCarriesItsGrantAndJoinRefusesBadInput() async throws {
        try await withApp { client, auth in
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: Self.json(#"{"name": "crew"}"#)) {
                try JSONDecoder().decode(Team.self, from: Data(buffer: $0.body))
            }
            try await client.execute(uri: "/api/v1/p2p/invites", method: .post, headers: auth,
                                     body: Self.json(#"{"team": "\#(team.id)", "role": "guest"}"#)) { response throws in
                #expect(response.status == .created)
                let invite = try JSONDecoder().decode(Invite.self, from: Data(buffer: response.body))
                #expect(invite.team == team.id && invite.role == "guest")
            }
            try await client.execute(uri: "/api/v1/p2p/join", method: .post, headers: auth, body: Self.json(#"{"code": "OMNI-UUUU-0000"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("cannot appear in a pairing code"))
            }
            try await client.execute(uri: "/api/v1/p2p/join", method: .post, headers: auth,
                                     body: Self.json(#"{"code": "OMNI-AAAA-0000", "via": "nowhere"}"#)) { #expect($0.status == .badRequest) }
        }
    }
}
