import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `elohim data query|schema|json2xlsx` as a user runs them (the issue's contract), and a
/// dataset opened from a team's vault with the result sealed back into it.
@Suite struct DataCommandTests {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-data-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = root + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func queryPrintsTablesCSVAndJSONWithFilesAsTables() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let visits = try write("field-visits.csv", "village,visits\nAlto,12\nBaixo,3\n\"Cruz, Sul\",7\n")
        let wells = try write("wells.jsonl", "{\"village\": \"Alto\", \"wells\": 2}\n{\"village\": \"Baixo\", \"wells\": 0}\n")
        let sql = "SELECT v.village, v.visits, w.wells FROM field_visits v LEFT JOIN wells w USING (village) ORDER BY v.village"
        let json = try await runElohim(["data", "query", sql, "--file", visits, "--file", wells, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout == """
            [
            {"village":"Alto","visits":12,"wells":2},
            {"village":"Baixo","visits":3,"wells":0},
            {"village":"Cruz, Sul","visits":7,"wells":null}
            ]

            """)
        let csv = try await runElohim(["data", "query", sql, "--file", visits, "--file", wells, "--format", "csv"])
        #expect(csv.stdout == "village,visits,wells\r\nAlto,12,2\r\nBaixo,3,0\r\n\"Cruz, Sul\",7,\r\n")
        let table = try await runElohim(["data", "query", sql, "--file", visits, "--file", wells])
        #expect(table.stdout.contains("Cruz, Sul | 7      | NULL") && table.stdout.contains("(3 rows)"), "\(table.stdout)")
        let page = try await runElohim(["data", "query", "select * from field_visits order by visits", "--file", visits, "--format", "csv", "--limit", "2"])
        #expect(page.stdout == "village,visits\r\nBaixo,3\r\n\"Cruz, Sul\",7\r\n" && page.stderr.contains("more rows follow"))
        let xlsx = try await runElohim(["data", "query", sql, "--file", visits, "--file", wells, "--format", "xlsx", "-o", root + "/r.xlsx"])
        #expect(xlsx.status == 0 && FileManager.default.fileExists(atPath: root + "/r.xlsx"))
        // Refusals are one line on standard error and a non-zero status.
        let bad = try await runElohim(["data", "query", "select * from read_csv('/etc/passwd')", "--file", visits])
        #expect(bad.status != 0 && bad.stderr.hasPrefix("error: ") && bad.stdout.isEmpty)
        let missing = try await runElohim(["data", "query", "select 1", "--file", root + "/nope.csv"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read"))
    }

    @Test func schemaAsJSON() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = try write("s.csv", "id,name,when\n1,a,2024-01-02\n2,,2024-02-03\n")
        let r = try await runElohim(["data", "schema", path, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == #"{"columns":[{"name":"id","type":"BIGINT"},{"name":"name","type":"VARCHAR"},{"name":"when","type":"DATE"}],"rows":2}"# + "\n")
        let text = try await runElohim(["data", "schema", path])
        #expect(text.stdout.hasPrefix("table s: 2 rows, 3 columns"))
        let broken = try await runElohim(["data", "schema", try write("b.csv", "a,b\n1,2\n3\n")])
        #expect(broken.status != 0 && broken.stderr.contains("b.csv cannot be read: line 3: 1 field where the header has 2"))
    }

    @Test func json2xlsxWritesOrRefusesWithTheCount() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let input = try write("in.json", #"[{"id": 1, "items": [{"sku": "a"}, {"sku": "b"}]}, {"id": 2, "items": [{"sku": "c"}]}]"#)
        let ok = try await runElohim(["data", "json2xlsx", input, "-o", root + "/out.xlsx"])
        #expect(ok.status == 0 && ok.stdout.contains("3 rows"), "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: root + "/out.xlsx"))
        let refused = try await runElohim(["data", "json2xlsx", input, "-o", root + "/small.xlsx", "--max-rows", "2"])
        #expect(refused.status != 0 && refused.stderr.contains("would produce 3 rows, more than --max-rows 2"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/small.xlsx"))
    }

    @Test func helpTeachesTheCommands() async throws {
        let help = try await runElohim(["data", "query", "--help"])
        #expect(help.stdout.contains("--file") && help.stdout.contains("--vault-file") && help.stdout.contains("--format"))
        let top = try await runElohim(["data", "--help"])
        #expect(top.stdout.contains("sales_2024") && top.stdout.contains("json2xlsx"))
    }

    @Test func aDatasetFromTheVaultAndTheResultBackIntoIt() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let node = MeshProcessTests.MeshNode("a", root: root)
        try await node.start(peers: [], extra: ["--no-discovery"])
        defer { node.process?.signal(SIGTERM) }
        struct Team: Decodable { let id: String }
        var request = try node.request("/api/v1/teams")
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(#"{"name": "crew"}"#.utf8)
        let (body, _) = try await URLSession.shared.data(for: request)
        let team = try JSONDecoder().decode(Team.self, from: body).id
        let pass = try write("pass", "a shared vault passphrase\n")
        let vault = ["--api", "http://127.0.0.1:\(node.http)", "--data-dir", node.data, "--team", team, "--passphrase-file", pass]
        let local = try write("survey.csv", "household,people\nh1,4\nh2,6\nh3,1\n")
        let put = try await runElohim(["vault", "put", local] + vault)
        #expect(put.status == 0, "\(put.stderr)")
        try FileManager.default.removeItem(atPath: local)

        let q = try await runElohim(["data", "query", "SELECT count(*) AS households, sum(people) AS people FROM survey", "--vault-file", "survey.csv",
                                     "--put-result", "totals.csv", "--format", "csv"] + vault)
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout == "households,people\r\n3,11\r\n")
        #expect(q.stderr.contains("Stored the result as totals.csv"))
        let get = try await runElohim(["vault", "get", "totals.csv", "-o", root + "/totals.csv"] + vault)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try String(contentsOfFile: root + "/totals.csv", encoding: .utf8) == "households,people\r\n3,11\r\n")
        // No plaintext of either file reached the node's data folder.
        let enumerator = FileManager.default.enumerator(atPath: node.data)
        while let f = enumerator?.nextObject() as? String {
            let text = String(decoding: FileManager.default.contents(atPath: node.data + "/" + f) ?? Data(), as: UTF8.self)
            #expect(!text.contains("household"), "\(f) holds plaintext")
        }
        let wrong = try await runElohim(["data", "query", "select 1", "--vault-file", "nope.csv"] + vault)
        #expect(wrong.status != 0 && wrong.stderr.contains("nope.csv"))
    }
}
