import Foundation
import Hummingbird
import HummingbirdTesting
import MeshNode
import Replicas
import Sodium
import Testing
import Wire
@testable import HTTPAPI

/// `PUT` and `DELETE /api/v1/teams/{team}/members/{member}`: an Admin changes a member's role or
/// removes them; the team's rules refuse touching the Super Admin and never give that role.
@Suite struct MemberRoutesTests {
    struct Member: Decodable { let nodeId: String; let role: String }
    struct Team: Decodable { let id: String; let members: [Member] }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String }; let error: Inner }

    @Test func anAdminChangesARoleAndRemovesAMember() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        let node = t.node
        try await t.test { client in
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "crew"}"#)) {
                try JSONDecoder().decode(Team.self, from: Data(buffer: $0.body))
            }
            // A second member, added as the creator would by invite.
            let other = Ed25519KeyPair(seed: Array(repeating: 3, count: 32))!.publicKey
            let otherID = NodeID(publicKey: other).description
            let teamID = try #require(OpID(hex: team.id))
            guard case .applied = await node.write(.addMember(publicKey: other, role: .member, invite: nil), team: teamID) else {
                Issue.record("the member was not added"); return
            }
            let base = "/api/v1/teams/\(team.id)/members/"
            try await client.execute(uri: base + otherID, method: .put, headers: auth, body: ByteBuffer(string: #"{"role": "admin"}"#)) { response in
                #expect(response.status == .ok)
                let after = try JSONDecoder().decode(Team.self, from: Data(buffer: response.body))
                #expect(after.members.first { $0.nodeId == otherID }?.role == "admin")
            }
            try await client.execute(uri: base + otherID, method: .delete, headers: auth) { response in
                #expect(response.status == .ok)
                let after = try JSONDecoder().decode(Team.self, from: Data(buffer: response.body))
                #expect(!after.members.contains { $0.nodeId == otherID })
            }
            try await client.execute(uri: base + otherID, method: .delete, headers: auth) { #expect($0.status == .notFound, "no longer a member") }
        }
    }

    @Test func theSuperAdminAndBadRequestsAreRefusedWithReasons() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        let me = t.node.nodeID.description
        try await t.test { client in
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "crew"}"#)) {
                try JSONDecoder().decode(Team.self, from: Data(buffer: $0.body))
            }
            let base = "/api/v1/teams/\(team.id)/members/"
            var rng = SystemRandomNumberGenerator()
            let stranger = NodeID.random(using: &rng).description
            let cases: [(String, HTTPRequest.Method, String?, HTTPResponse.Status)] = [
                (base + me, .put, #"{"role": "admin"}"#, .forbidden),            // the Super Admin is not demoted
                (base + me, .delete, nil, .forbidden),                           // nor removed
                (base + me, .put, #"{"role": "super-admin"}"#, .badRequest),     // the role is held, never given
                (base + me, .put, #"{"role": "owner"}"#, .badRequest),
                (base + stranger, .put, #"{"role": "member"}"#, .notFound),
                (base + "not-a-node-id", .delete, nil, .badRequest),
                ("/api/v1/teams/\(String(repeating: "ab", count: 32))/members/\(me)", .delete, nil, .notFound),
            ]
            for (uri, method, body, status) in cases {
                try await client.execute(uri: uri, method: method, headers: auth, body: body.map { ByteBuffer(string: $0) }) { response in
                    #expect(response.status == status, "\(method) \(uri) \(body ?? "")")
                    #expect((try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))) != nil, "an error in the API's format")
                }
            }
            try await client.execute(uri: base + me, method: .delete) { #expect($0.status == .unauthorized) }
        }
    }
}
