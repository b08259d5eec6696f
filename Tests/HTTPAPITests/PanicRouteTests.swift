import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HTTPAPI

/// `POST /api/v1/panic` refuses, and touches nothing, unless the founder (or the operator) sends
/// the exact word. The wipe itself ends the process, so it is tested with real processes
/// (ElohimCLITests, PanicProcessTests).
@Suite struct PanicRouteTests {
    struct Login: Decodable { let token: String }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }

    static func json(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    @Test func onlyTheFounderWithTheExactWordAndNothingIsDeletedOtherwise() async throws {
        let t = try await TestNode()
        let before = try FileManager.default.contentsOfDirectory(atPath: t.folder.path).sorted()
        #expect(before.contains("identity.key") && before.contains("api-token") && before.contains("elohim.sqlite"))
        let keys = ["identity.key", "api-token", "jwt-signing.key"]
        let keyBytes = keys.map { FileManager.default.contents(atPath: t.folder.appendingPathComponent($0).path) }
        try await t.test { client in
            func login(_ name: String) async throws -> String {
                try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                         body: Self.json(#"{"username": "\#(name)", "password": "passphrase of \#(name)"}"#)) {
                    try JSONDecoder().decode(Login.self, from: Data(buffer: $0.body)).token
                }
            }
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                         body: Self.json(#"{"username": "ada", "password": "passphrase of ada"}"#)) { $0.status }
            let founder = t.bearer(try await login("ada"))
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: founder,
                                         body: Self.json(#"{"username": "bob", "password": "passphrase of bob"}"#)) { $0.status }
            let bob = t.bearer(try await login("bob"))

            // Not founder-level: 403, even with the word.
            try await client.execute(uri: "/api/v1/panic", method: .post, headers: bob, body: Self.json(#"{"confirm": "WIPE"}"#)) {
                #expect($0.status == .forbidden)
            }
            // No caller at all: 401.
            try await client.execute(uri: "/api/v1/panic", method: .post, body: Self.json(#"{"confirm": "WIPE"}"#)) {
                #expect($0.status == .unauthorized)
            }
            // Founder-level, but not the exact word: 400 naming what to send.
            for body in [#"{}"#, #"{"confirm": "wipe"}"#, #"{"confirm": "WIPE "}"#, #"{"confirm": true}"#, #"not json"#] {
                for headers in [founder, t.operatorHeaders] {
                    try await client.execute(uri: "/api/v1/panic", method: .post, headers: headers, body: Self.json(body)) {
                        #expect($0.status == .badRequest, "body \(body)")
                        let e = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: $0.body))
                        #expect(e.error.message.contains(#"{"confirm": "WIPE"}"#))
                    }
                }
            }
        }
        // Nothing deleted (building the router adds the assistant's folder), the keys unchanged.
        let after = try FileManager.default.contentsOfDirectory(atPath: t.folder.path)
        #expect(Set(before).subtracting(after).sorted() == [])
        #expect(keys.map { FileManager.default.contents(atPath: t.folder.appendingPathComponent($0).path) } == keyBytes)
    }
}
