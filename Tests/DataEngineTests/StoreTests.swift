import Foundation
import Testing
@testable import DataEngine

/// Per-account dataset folders, their names and quotas; the query history; CSV checks; exports.
@Suite struct StoreTests {
    let folder = TempFolder()

    func upload(_ store: DatasetStore, _ account: String, _ name: String, _ text: String) throws -> DatasetStore.Info {
        let path = try store.beginUpload(account: account, name: name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try store.commit(upload: path, account: account, name: name)
    }

    @Test func accountsSeeOnlyTheirOwnDatasets() throws {
        let store = DatasetStore(root: folder.file("data-engine"))
        let info = try upload(store, "alice", "sales-2024.csv", "a\n1\n")
        #expect(info == .init(name: "sales-2024.csv", table: "sales_2024", format: .csv, size: 4))
        _ = try upload(store, "bob", "other.json", "[]")
        #expect(try store.list(account: "alice").map(\.name) == ["sales-2024.csv"])
        #expect(try store.list(account: "bob").map(\.name) == ["other.json"])
        #expect(throws: DataEngineError.self) { try store.dataset(account: "alice", name: "other.json") }
        // Replacing keeps one; deleting removes it; uploads in progress are not listed.
        _ = try upload(store, "alice", "sales-2024.csv", "a\n1\n2\n")
        #expect(try store.list(account: "alice").map(\.size) == [6])
        _ = try store.beginUpload(account: "alice", name: "pending.csv")
        #expect(try store.list(account: "alice").count == 1)
        #expect(try store.delete(account: "alice", name: "sales-2024.csv"))
        #expect(try !store.delete(account: "alice", name: "sales-2024.csv"))
    }

    @Test func namesAreCheckedAndPathsCannotEscape() throws {
        let store = DatasetStore(root: folder.file("data-engine"))
        for bad in ["../x.csv", "a/b.csv", ".hidden.csv", "x.exe", "", String(repeating: "a", count: 101) + ".csv", "a b.csv", "ü.csv", "x..csv"] {
            #expect(throws: DataEngineError.self, "\(bad)") { try store.beginUpload(account: "alice", name: bad) }
        }
        for bad in ["", "../alice", "a/b", "a b"] {
            #expect(throws: DataEngineError.self, "\(bad)") { try store.accountFolder(bad) }
        }
        // Two names that would be one table are refused at upload.
        _ = try upload(store, "alice", "sales.csv", "a\n1\n")
        #expect(throws: DataEngineError.duplicateTable("sales", "sales.csv", "sales.json")) { try store.beginUpload(account: "alice", name: "sales.json") }
    }

    @Test func quotasAreKept() throws {
        var limits = DatasetStore.Limits()
        limits.maxDatasets = 2
        limits.maxAccountBytes = 10
        let store = DatasetStore(root: folder.file("data-engine"), limits: limits)
        _ = try upload(store, "a", "one.csv", "x\n1\n")
        _ = try upload(store, "a", "two.csv", "x\n2\n")
        #expect { try store.beginUpload(account: "a", name: "three.csv") } throws: { "\($0)".contains("2 datasets") }
        // Replacing one of the two is allowed; going over the bytes is not, and leaves nothing.
        #expect { try upload(store, "a", "two.csv", "x\n123456789\n") } throws: { "\($0)".contains("10 bytes") }
        #expect(try store.list(account: "a").map(\.size) == [4, 4])
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.accountFolder("a") + "/datasets").sorted() == ["one.csv", "two.csv"])
    }

    @Test func historyKeepsTheLastHundredNewestFirst() throws {
        let store = DatasetStore(root: folder.file("data-engine"))
        let history = QueryHistory(store: store)
        #expect(try history.entries(account: "alice").isEmpty)
        for i in 0..<105 {
            try history.record(.init(at: UInt64(i), sql: "select \(i)", rows: i, ms: 1, error: nil), account: "alice")
        }
        try history.record(.init(at: 200, sql: String(repeating: "x", count: 20_000), rows: nil, ms: 2, error: "query_failed"), account: "alice")
        let all = try history.entries(account: "alice")
        #expect(all.count == 100)
        #expect(all[0].error == "query_failed" && all[0].sql.count == 10_001)
        #expect(all[1].sql == "select 104" && all.last?.sql == "select 6")
        #expect(try history.entries(account: "bob").isEmpty)
    }

    @Test func csvCheckFindsTheFirstProblem() {
        let f = TempFolder()
        #expect(CSVCheck.firstProblem(path: f.write("a.csv", "a,b\n1,\"x,\"\"y\"\"\nz\"\n\n2,3\r\n"), delimiter: 0x2C) == nil)
        #expect(CSVCheck.firstProblem(path: f.write("b.csv", "a,b\n1,2\n3,4,5\n"), delimiter: 0x2C)?.hasPrefix("line 3: 3 fields") == true)
        #expect(CSVCheck.firstProblem(path: f.write("c.csv", "a,b\n1,\"x\"y\n"), delimiter: 0x2C)?.hasPrefix("line 2: text after a closing quote") == true)
        #expect(CSVCheck.firstProblem(path: f.write("d.csv", "a,b\n1,x\"y\n"), delimiter: 0x2C)?.hasPrefix("line 2: a quote inside an unquoted field") == true)
        #expect(CSVCheck.firstProblem(path: f.write("e.tsv", "a\tb\n1\t2\n3,4\n"), delimiter: 0x09)?.hasPrefix("line 3: 1 field where") == true)
        // A record with a quoted line break is one record; the next one's line is counted right.
        #expect(CSVCheck.firstProblem(path: f.write("g.csv", "a,b\n1,\"two\nlines\"\n3\n"), delimiter: 0x2C)?.hasPrefix("line 4: 1 field") == true)
    }

    @Test func exportsAsCSVJSONAndXLSX() throws {
        let r = QueryResult(columns: [Column(name: "n", type: "BIGINT"), Column(name: "s", type: "VARCHAR"), Column(name: "d", type: "DECIMAL(10,2)"),
                                      Column(name: "l", type: "INTEGER[]")],
                            rows: [[.n(1), .s("a, \"b\"\nc"), .s("1.50"), .array([.n(1), .n(2)])], [.null, .s("é"), .null, .null]], truncated: false)
        #expect(ResultExport.csv(r) == "n,s,d,l\r\n1,\"a, \"\"b\"\"\nc\",1.50,\"[1,2]\"\r\n,é,,\r\n")
        #expect(ResultExport.json(r) == "[\n{\"n\":1,\"s\":\"a, \\\"b\\\"\\nc\",\"d\":\"1.50\",\"l\":[1,2]},\n{\"n\":null,\"s\":\"é\",\"d\":null,\"l\":null}\n]\n")
        let path = folder.file("r.xlsx")
        try ResultExport.xlsx(r, to: path)
        #expect(try Support.readXLSX(path) == ["Result": [
            [.s("n"), .s("s"), .s("d"), .s("l")],
            [.n(1), .s("a, \"b\"\nc"), .number("1.5"), .s("[1,2]")],
            [.null, .s("é"), .null, .null],
        ]])
        #expect(ResultExport.table(r).contains("NULL"))
    }
}
