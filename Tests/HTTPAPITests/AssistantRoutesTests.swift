import Assistant
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HTTPAPI

/// The assistant's library over HTTP with the real model: add, list, search, remove; each account
/// sees only its own documents; every refusal is a 4xx that says why.
@Suite struct AssistantRoutesTests {
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
    struct Added: Decodable { let document: StoredDocument; let alreadyHeld: Bool }
    struct List: Decodable { let documents: [StoredDocument] }
    struct Results: Decodable { let results: [SearchHit] }
    struct Token: Decodable { let token: String }

    static let modelInstalled = (try? MiniLMModelFiles.locate()) != nil
    static func code(_ r: TestResponse) -> String { (try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error.code) ?? "?" }

    static let pumps = "# Pump care\nThe spare impeller is kept in bin C-14. Replace seal MS-2214 when it drips.\n\n# Radio\nRadio checks at 0800 on channel 6.\n"

    @Test(.enabled(if: modelInstalled, "needs the all-MiniLM-L6-v2 files: run `make venv`"))
    func addSearchListAndRemove() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test { client in
            var id: Int64 = 0
            try await client.execute(uri: "/api/v1/assistant/documents?name=pumps.md", method: .post, headers: auth, body: ByteBuffer(string: Self.pumps)) { r throws in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let added = try JSONDecoder().decode(Added.self, from: Data(buffer: r.body))
                #expect(!added.alreadyHeld && added.document.kind == .markdown && added.document.chunks >= 1)
                id = added.document.id
            }
            try await client.execute(uri: "/api/v1/assistant/documents?name=again.md", method: .post, headers: auth, body: ByteBuffer(string: Self.pumps)) { r throws in
                #expect(r.status == .ok)
                #expect(try JSONDecoder().decode(Added.self, from: Data(buffer: r.body)).alreadyHeld)
            }
            try await client.execute(uri: "/api/v1/assistant/search", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"query": "where do we keep the replacement impeller?", "top": 3}"#)) { r throws in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                let hits = try JSONDecoder().decode(Results.self, from: Data(buffer: r.body)).results
                #expect(hits.first?.documentName == "pumps.md" && hits.first?.text.contains("bin C-14") == true)
                #expect(hits.first?.place.hasPrefix("Pump care") == true)
            }
            try await client.execute(uri: "/api/v1/assistant/documents", method: .get, headers: auth) { r throws in
                #expect(try JSONDecoder().decode(List.self, from: Data(buffer: r.body)).documents.map(\.name) == ["pumps.md"])
            }
            try await client.execute(uri: "/api/v1/assistant/documents/\(id)", method: .delete, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/assistant/documents/\(id)", method: .delete, headers: auth) { r in
                #expect(r.status == .notFound && Self.code(r) == "no_such_document")
            }
            try await client.execute(uri: "/api/v1/assistant/search", method: .post, headers: auth, body: ByteBuffer(string: #"{"query": "impeller"}"#)) { r throws in
                #expect(try JSONDecoder().decode(Results.self, from: Data(buffer: r.body)).results.isEmpty)
            }
        }
    }

    @Test(.enabled(if: modelInstalled, "needs the all-MiniLM-L6-v2 files: run `make venv`"))
    func eachAccountSearchesOnlyItsOwnAndRefusalsSayWhy() async throws {
        let t = try await TestNode()
        try await t.test { client in
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                         body: ByteBuffer(string: #"{"username": "bob", "password": "bob's passphrase"}"#)) { $0.status }
            let bob = t.bearer(try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                                        body: ByteBuffer(string: #"{"username": "bob", "password": "bob's passphrase"}"#)) {
                try JSONDecoder().decode(Token.self, from: Data(buffer: $0.body)).token
            })
            _ = try await client.execute(uri: "/api/v1/assistant/documents?name=secret.txt", method: .post, headers: t.operatorHeaders,
                                         body: ByteBuffer(string: "The safe's code is 4711 and it is behind the generator.")) { #expect($0.status == .created) }
            try await client.execute(uri: "/api/v1/assistant/search", method: .post, headers: bob, body: ByteBuffer(string: #"{"query": "safe code 4711"}"#)) { r throws in
                #expect(r.status == .ok && !String(buffer: r.body).contains("4711"))
            }
            try await client.execute(uri: "/api/v1/assistant/documents", method: .get, headers: bob) { r throws in
                #expect(try JSONDecoder().decode(List.self, from: Data(buffer: r.body)).documents.isEmpty)
            }
            try await client.execute(uri: "/api/v1/assistant/documents/1", method: .delete, headers: bob) { #expect($0.status == .notFound) }

            let refusals: [(String, String?, HTTPResponse.Status, String)] = [
                ("/api/v1/assistant/documents", "text", .badRequest, "bad_request"),                    // no name
                ("/api/v1/assistant/documents?name=tool.exe", "MZ", .badRequest, "unreadable_document"),
                ("/api/v1/assistant/documents?name=x.txt", nil, .badRequest, "bad_request"),            // empty
                ("/api/v1/assistant/documents?name=a%2Fb.txt", "text", .badRequest, "bad_request"),
                ("/api/v1/assistant/documents?name=x.docx", "not a zip", .badRequest, "unreadable_document"),
            ]
            for (uri, body, status, code) in refusals {
                try await client.execute(uri: uri, method: .post, headers: bob, body: body.map { ByteBuffer(string: $0) }) { r in
                    #expect(r.status == status && Self.code(r) == code, "\(uri): \(r.status) \(String(buffer: r.body))")
                }
            }
            for (body, code) in [(#"{"query": "?!"}"#, "bad_request"), (#"{"query": "pump", "top": 0}"#, "bad_request"), (#"{"query": "pump", "top": 99}"#, "bad_request")] {
                try await client.execute(uri: "/api/v1/assistant/search", method: .post, headers: bob, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .badRequest && Self.code(r) == code, "\(body): \(String(buffer: r.body))")
                }
            }
            // 20 MiB and one byte more.
            try await client.execute(uri: "/api/v1/assistant/documents?name=big.txt", method: .post, headers: bob,
                                     body: ByteBuffer(repeating: 0x61, count: (20 << 20) + 1)) { r in
                #expect(r.status == .contentTooLarge && Self.code(r) == "too_large")
            }
            try await client.execute(uri: "/api/v1/assistant/documents", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}
