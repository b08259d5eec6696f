import Foundation
import Hummingbird
import HummingbirdTesting
import Replicas
import Services
import Testing
@testable import HTTPAPI

/// The vault API takes ciphertext only: chunks addressed by their hash, sealed names.
@Suite struct VaultRoutesTests {
    struct Team: Decodable { let id: String }
    struct Files: Decodable { struct File: Decodable { let blob: String; let name: String; let chunks: [String] }; let files: [File] }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }

    @Test func sealedChunksAndEntriesAreStoredAndReturnedAsIs() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test { client in
            let team = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "v"}"#)) {
                try JSONDecoder().decode(Team.self, from: Data(buffer: $0.body)).id
            }
            let keys = try VaultFormat.keys(passphrase: "correct horse battery", team: OpID(hex: team)!, rounds: 1_000)
            let sealed = try VaultFormat.sealChunk(Array("hello vault".utf8), file: Array(repeating: 1, count: 16), index: 0, last: true, keys: keys)
            let id = VaultFormat.address(sealed).description
            let base = "/api/v1/teams/\(team)/vault"

            // Misaddressed and plaintext uploads are refused.
            try await client.execute(uri: base + "/chunks/" + String(repeating: "0", count: 64), method: .put, headers: auth,
                                     body: ByteBuffer(bytes: sealed)) { r throws in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("hash of the sealed bytes"))
            }
            try await client.execute(uri: base + "/chunks/" + id, method: .put, headers: auth, body: ByteBuffer(bytes: sealed)) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: base + "/chunks/" + id, method: .get, headers: auth) { r throws in
                #expect(r.status == .ok && Array(buffer: r.body) == sealed)
            }
            try await client.execute(uri: base + "/files", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"name": "secret-plan.txt", "size": 524288, "chunks": ["\#(id)"], "chunkSize": 524288}"#)) { r throws in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("ciphertext only"))
            }
            let name = try VaultFormat.sealEntry(.init(name: "hello.txt", size: 11, file: String(repeating: "01", count: 16), chunks: 1), keys: keys)
            try await client.execute(uri: base + "/files", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"name": "\#(name)", "size": 524288, "chunks": ["\#(String(repeating: "a", count: 64))"], "chunkSize": 524288}"#)) { r throws in
                #expect(r.status == .conflict && String(buffer: r.body).contains("chunks_missing"))
            }
            try await client.execute(uri: base + "/files", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"name": "\#(name)", "size": 524288, "chunks": ["\#(id)"], "chunkSize": 524288}"#)) {
                #expect($0.status == .created)
            }
            let files = try await client.execute(uri: base + "/files", method: .get, headers: auth) {
                try JSONDecoder().decode(Files.self, from: Data(buffer: $0.body)).files
            }
            #expect(files.count == 1 && files[0].chunks == [id])
            #expect(VaultFormat.openEntry(files[0].name, keys: keys)?.name == "hello.txt")
            try await client.execute(uri: base + "/files/\(files[0].blob)", method: .delete, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: base + "/files", method: .get, headers: auth) { r throws in
                #expect(try JSONDecoder().decode(Files.self, from: Data(buffer: r.body)).files.isEmpty)
            }
        }
    }
}
