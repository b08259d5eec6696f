import DataEngine
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import HTTPAPI

/// The data engine's routes: upload, list, schema, query with paging, export, history,
/// JSON to XLSX; each account sees only its own datasets; every refusal is a 4xx that says why.
@Suite struct DataRoutesTests {
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }
    struct Dataset: Decodable { let name: String; let table: String; let format: String; let size: Int; let columns: [Col]?; let rows: Int? }
    struct Col: Decodable, Equatable { let name: String; let type: String }
    struct List: Decodable { let datasets: [Dataset] }
    struct Schema: Decodable { let columns: [Col]; let rows: Int }
    struct History: Decodable { struct Q: Decodable { let sql: String; let rows: Int?; let error: String? }; let queries: [Q] }
    struct Token: Decodable { let token: String }

    static func code(_ r: TestResponse) -> String { (try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error.code) ?? "?" }
    static func message(_ r: TestResponse) -> String { (try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error.message) ?? String(buffer: r.body) }
    static func rows(_ r: TestResponse) throws -> (columns: [Col], rows: [[DataEngine.JSONValue]], truncated: Bool) {
        let v = try DataEngine.JSONReader(bytes: Array(buffer: r.body)).readValue()
        guard case let .object(m) = v, m.map(\.key) == ["columns", "rows", "truncated"],
              case let .array(cols) = m[0].value, case let .array(rows) = m[1].value, case let .bool(t) = m[2].value else {
            throw ProcessError.shape(String(buffer: r.body))
        }
        let columns = cols.compactMap { c -> Col? in
            guard case let .object(f) = c, f.map(\.key) == ["name", "type"],
                  case let .string(n) = f[0].value, case let .string(ty) = f[1].value else { return nil }
            return Col(name: n, type: ty)
        }
        return (columns, rows.map { if case let .array(cells) = $0 { cells } else { [] } }, t)
    }
    enum ProcessError: Error { case shape(String) }

    let csv = "village,visits,last\nAlto,12,2024-03-01\nBaixo,,2024-02-11\n\"Cruz, Sul\",7,2023-12-31\n"

    @Test func uploadListSchemaQueryExportAndHistory() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test { client in
            try await client.execute(uri: "/api/v1/data/datasets?name=visits-2024.csv", method: .post, headers: auth, body: ByteBuffer(string: csv)) { r throws in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let d = try JSONDecoder().decode(Dataset.self, from: Data(buffer: r.body))
                #expect(d.table == "visits_2024" && d.format == "csv" && d.rows == 3)
                #expect(d.columns == [Col(name: "village", type: "VARCHAR"), Col(name: "visits", type: "BIGINT"), Col(name: "last", type: "DATE")])
            }
            try await client.execute(uri: "/api/v1/data/datasets", method: .get, headers: auth) { r throws in
                #expect(try JSONDecoder().decode(List.self, from: Data(buffer: r.body)).datasets.map(\.name) == ["visits-2024.csv"])
            }
            try await client.execute(uri: "/api/v1/data/datasets/visits-2024.csv/schema", method: .get, headers: auth) { r throws in
                #expect(try JSONDecoder().decode(Schema.self, from: Data(buffer: r.body)).rows == 3)
            }
            let sql = #"{"sql": "select village, visits from visits_2024 order by village", "limit": 2}"#
            try await client.execute(uri: "/api/v1/data/query", method: .post, headers: auth, body: ByteBuffer(string: sql)) { r throws in
                #expect(r.status == .ok)
                let page = try Self.rows(r)
                #expect(page.columns.map(\.name) == ["village", "visits"])
                #expect(page.rows == [[.string("Alto"), .number("12")], [.string("Baixo"), .null]] && page.truncated)
            }
            try await client.execute(uri: "/api/v1/data/query", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"sql": "select village from visits_2024 order by village", "limit": 2, "offset": 2}"#)) { r throws in
                let page = try Self.rows(r)
                #expect(page.rows == [[.string("Cruz, Sul")]] && !page.truncated)
            }
            try await client.execute(uri: "/api/v1/data/export", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"sql": "select * from visits_2024 order by village", "format": "csv"}"#)) { r throws in
                #expect(r.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(String(buffer: r.body) == "village,visits,last\r\nAlto,12,2024-03-01\r\nBaixo,,2024-02-11\r\n\"Cruz, Sul\",7,2023-12-31\r\n")
            }
            try await client.execute(uri: "/api/v1/data/export", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"sql": "select count(*) as n from visits_2024", "format": "json"}"#)) { r throws in
                #expect(String(buffer: r.body) == "[\n{\"n\":3}\n]\n")
            }
            try await client.execute(uri: "/api/v1/data/export", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"sql": "select 1 as n", "format": "xlsx"}"#)) { r throws in
                #expect(r.status == .ok && Array(buffer: r.body).prefix(2) == [0x50, 0x4B])  // a zip
            }
            try await client.execute(uri: "/api/v1/data/query", method: .post, headers: auth, body: ByteBuffer(string: #"{"sql": "select nope"}"#)) { r throws in
                #expect(r.status == .badRequest && Self.code(r) == "query_failed")
            }
            try await client.execute(uri: "/api/v1/data/history", method: .get, headers: auth) { r throws in
                let h = try JSONDecoder().decode(History.self, from: Data(buffer: r.body)).queries
                #expect(h.count == 6)
                #expect(h[0].sql == "select nope" && h[0].error == "query_failed" && h[0].rows == nil)
                #expect(h.last?.rows == 2)
            }
            try await client.execute(uri: "/api/v1/data/datasets/visits-2024.csv", method: .delete, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/data/datasets/visits-2024.csv/schema", method: .get, headers: auth) { r throws in
                #expect(r.status == .notFound)
            }
        }
    }

    @Test func eachAccountSeesOnlyItsOwnDatasets() async throws {
        let t = try await TestNode()
        try await t.test { client in
            for (user, password) in [("ada", "a long passphrase"), ("bob", "bob's passphrase")] {
                _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: t.operatorHeaders,
                                             body: ByteBuffer(string: #"{"username": "\#(user)", "password": "\#(password)"}"#)) { $0.status }
            }
            func token(_ u: String, _ p: String) async throws -> String {
                try await client.execute(uri: "/api/v1/auth/login", method: .post, body: ByteBuffer(string: #"{"username": "\#(u)", "password": "\#(p)"}"#)) {
                    try JSONDecoder().decode(Token.self, from: Data(buffer: $0.body)).token
                }
            }
            let ada = t.bearer(try await token("ada", "a long passphrase")), bob = t.bearer(try await token("bob", "bob's passphrase"))
            _ = try await client.execute(uri: "/api/v1/data/datasets?name=secret.csv", method: .post, headers: ada, body: ByteBuffer(string: "pin\n1234\n")) {
                #expect($0.status == .created)
            }
            try await client.execute(uri: "/api/v1/data/datasets", method: .get, headers: bob) { r throws in
                #expect(try JSONDecoder().decode(List.self, from: Data(buffer: r.body)).datasets.isEmpty)
            }
            try await client.execute(uri: "/api/v1/data/query", method: .post, headers: bob, body: ByteBuffer(string: #"{"sql": "select * from secret"}"#)) { r throws in
                #expect(r.status == .badRequest && Self.message(r).contains("secret") && !String(buffer: r.body).contains("1234"))
            }
            try await client.execute(uri: "/api/v1/data/datasets/secret.csv/schema", method: .get, headers: bob) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/data/query", method: .post, headers: ada, body: ByteBuffer(string: #"{"sql": "select * from secret"}"#)) { r throws in
                #expect(try Self.rows(r).rows == [[.number("1234")]])
            }
            // Without a caller, nothing.
            try await client.execute(uri: "/api/v1/data/datasets", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/data/query", method: .post, body: ByteBuffer(string: #"{"sql": "select 1"}"#)) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func refusalsSayWhy() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test { client in
            func expect(_ uri: String, _ method: HTTPRequest.Method, _ body: String?, _ status: HTTPResponse.Status, _ code: String,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws {
                try await client.execute(uri: uri, method: method, headers: auth, body: body.map { ByteBuffer(string: $0) }) { r throws in
                    #expect(r.status == status && Self.code(r) == code, "\(uri): \(r.status) \(String(buffer: r.body))", sourceLocation: sourceLocation)
                }
            }
            try await expect("/api/v1/data/datasets", .post, "a\n1\n", .badRequest, "bad_request")
            try await expect("/api/v1/data/datasets?name=../x.csv", .post, "a\n1\n", .badRequest, "bad_dataset_name")
            try await expect("/api/v1/data/datasets?name=x.exe", .post, "a\n1\n", .badRequest, "unsupported_format")
            try await expect("/api/v1/data/datasets?name=x.csv", .post, nil, .badRequest, "bad_request")
            try await expect("/api/v1/data/datasets?name=broken.csv", .post, "a,b\n1,2\n3,4,5\n", .badRequest, "bad_file")
            try await expect("/api/v1/data/datasets?name=broken.json", .post, "[{\"a\": 1},]", .badRequest, "bad_file")
            try await client.execute(uri: "/api/v1/data/datasets", method: .get, headers: auth) { r throws in
                #expect(try JSONDecoder().decode(List.self, from: Data(buffer: r.body)).datasets.isEmpty, "refused uploads leave nothing")
            }
            try await expect("/api/v1/data/datasets/nope.csv/schema", .get, nil, .notFound, "cannot_read")
            try await expect("/api/v1/data/datasets/nope.csv", .delete, nil, .notFound, "cannot_read")
            try await expect("/api/v1/data/query", .post, #"{"sql": ""}"#, .badRequest, "empty_query")
            try await expect("/api/v1/data/query", .post, #"{"sql": "select 1", "limit": 0}"#, .badRequest, "bad_request")
            try await expect("/api/v1/data/query", .post, #"{"sql": "select 1", "limit": 100001}"#, .badRequest, "bad_request")
            try await expect("/api/v1/data/query", .post, #"{"sql": "select 1", "offset": -1}"#, .badRequest, "bad_request")
            try await expect("/api/v1/data/query", .post, #"{"sql": "copy (select 1) to '/tmp/x.csv'"}"#, .badRequest, "query_failed")
            try await expect("/api/v1/data/query", .post, #"{"sql": "select * from read_csv('/etc/passwd')"}"#, .badRequest, "query_failed")
            try await expect("/api/v1/data/export", .post, #"{"sql": "select 1", "format": "pdf"}"#, .badRequest, "bad_request")
            try await expect("/api/v1/data/json2xlsx", .post, "42", .badRequest, "not_records")
            try await expect("/api/v1/data/json2xlsx", .post, "[1, 2", .badRequest, "bad_json")
            try await expect("/api/v1/data/json2xlsx?maxRows=0", .post, "[1]", .badRequest, "bad_request")
            try await expect("/api/v1/data/json2xlsx?arrays=zip", .post, "[1]", .badRequest, "bad_request")
            try await expect("/api/v1/data/json2xlsx?maxRows=2", .post, "[1, 2, 3]", .badRequest, "expansion_too_large")
            try await expect("/api/v1/data/json2xlsx", .post, #"{"a/b": [1]}"#, .badRequest, "bad_sheet_name")
        }
    }

    @Test func json2xlsxReturnsTheWorkbook() async throws {
        let t = try await TestNode()
        try await t.test { client in
            try await client.execute(uri: "/api/v1/data/json2xlsx?arrays=expand", method: .post, headers: t.operatorHeaders,
                                     body: ByteBuffer(string: #"[{"id": 1, "tags": ["a", "b"], "geo": {"lat": 1.5}}]"#)) { r throws in
                #expect(r.status == .ok)
                #expect(r.headers[HTTPFields.rowsHeaderName] == "2")
                #expect(r.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                let bytes = Array(buffer: r.body)
                #expect(bytes.prefix(2) == [0x50, 0x4B] && bytes.count > 1000)
            }
        }
    }

    @Test func uploadsPastTheLimitAreRefused() async throws {
        let t = try await TestNode()
        try await t.test { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "1"), count: (256 << 20) + 1)
            try await client.execute(uri: "/api/v1/data/datasets?name=big.csv", method: .post, headers: t.operatorHeaders, body: big) { r throws in
                #expect(r.status == .contentTooLarge && Self.message(r).contains("256 MiB"))
            }
            try await client.execute(uri: "/api/v1/data/datasets", method: .get, headers: t.operatorHeaders) { r throws in
                #expect(try JSONDecoder().decode(List.self, from: Data(buffer: r.body)).datasets.isEmpty)
            }
        }
    }
}
