import Foundation
import Testing
@testable import DataEngine

/// SQL over files through the DuckDB program: types inferred, every format, bad files named
/// with their line, paging, and each limit (timeout, cancellation, memory, result size).
@Suite struct SQLEngineTests {
    let folder = TempFolder()

    func engine(_ limits: SQLEngine.Limits = .init()) throws -> SQLEngine { try Support.engine(folder, limits: limits) }

    @Test func csvTypesNullsQuotingDatesAndUTF8() async throws {
        let csv = folder.write("people-2024.csv", """
        id,name,score,joined,at,active,note
        1,Ana,12.5,2024-01-31,2024-01-31 08:30:00,true,"quoted, with comma"
        2,"Bo ""the"" Builder",,2023-12-01,2023-12-01 00:00:00,false,
        3,Zoë 中文 😀,-3,2020-02-29,2020-02-29 23:59:59,true,"two
        lines"

        """)
        let e = try engine()
        let ds = try Dataset(path: csv)
        #expect(ds.table == "people_2024")
        let schema = try await e.schema(of: ds)
        #expect(schema.rows == 3)
        #expect(schema.columns == [
            Column(name: "id", type: "BIGINT"), Column(name: "name", type: "VARCHAR"), Column(name: "score", type: "DOUBLE"),
            Column(name: "joined", type: "DATE"), Column(name: "at", type: "TIMESTAMP"), Column(name: "active", type: "BOOLEAN"),
            Column(name: "note", type: "VARCHAR"),
        ])
        let r = try await e.query("SELECT * FROM people_2024 ORDER BY id", datasets: [ds])
        #expect(!r.truncated)
        #expect(r.rows == [
            [.n(1), .s("Ana"), .number("12.5"), .s("2024-01-31"), .s("2024-01-31 08:30:00"), .bool(true), .s("quoted, with comma")],
            [.n(2), .s("Bo \"the\" Builder"), .null, .s("2023-12-01"), .s("2023-12-01 00:00:00"), .bool(false), .null],
            [.n(3), .s("Zoë 中文 😀"), .number("-3.0"), .s("2020-02-29"), .s("2020-02-29 23:59:59"), .bool(true), .s("two\nlines")],
        ])
        let agg = try await e.query("select count(*) as n, sum(score) as total, max(joined) as last from people_2024 where name like '%ë%' or score is null", datasets: [ds])
        #expect(agg.columns.map(\.name) == ["n", "total", "last"])
        #expect(agg.rows == [[.n(2), .number("-3.0"), .s("2023-12-01")]])
    }

    @Test func everyFormatIsATableNamedAfterItsFile() async throws {
        let tsv = folder.write("t.tsv", "k\tv\na\t1\nb\t2\n")
        let json = folder.write("j.json", #"[{"k": "a", "w": {"x": 1}}, {"k": "b", "w": {"x": 2}}]"#)
        let jsonl = folder.write("l.jsonl", "{\"k\": \"a\", \"z\": [1, 2]}\n{\"k\": \"b\", \"z\": []}\n")
        let e = try engine()
        // Parquet and XLSX made here: DuckDB writes the Parquet file (outside the sandbox), the
        // XLSX is written by this module's own writer.
        let parquet = folder.file("p.parquet")
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: e.install.binary)
        maker.arguments = ["-no-init", "-c", "COPY (SELECT 'a' AS k, 10 AS p UNION ALL SELECT 'b', 20) TO '\(parquet)' (FORMAT parquet)"]
        try maker.run()
        maker.waitUntilExit()
        let xlsx = folder.file("x.xlsx")
        let book = try XLSXWorkbook(path: xlsx)
        let sheet = try book.addSheet("Data")
        try book.appendRow(sheet, [.string("k"), .string("q")], header: true)
        try book.appendRow(sheet, [.string("a"), .number(1.5)])
        try book.appendRow(sheet, [.string("b"), .number(2.5)])
        try book.close()

        let sets = try [tsv, json, jsonl, parquet, xlsx].map { try Dataset(path: $0) }
        #expect(sets.map(\.table) == ["t", "j", "l", "p", "x"])
        let r = try await e.query("""
            SELECT t.k, t.v, j.w.x AS wx, len(l.z) AS zn, p.p, x.q
            FROM t JOIN j USING (k) JOIN l USING (k) JOIN p USING (k) JOIN x USING (k) ORDER BY t.k
            """, datasets: sets)
        #expect(r.columns == [Column(name: "k", type: "VARCHAR"), Column(name: "v", type: "BIGINT"), Column(name: "wx", type: "BIGINT"),
                              Column(name: "zn", type: "BIGINT"), Column(name: "p", type: "INTEGER"), Column(name: "q", type: "DOUBLE")])
        #expect(r.rows == [[.s("a"), .n(1), .n(1), .n(2), .n(10), .number("1.5")], [.s("b"), .n(2), .n(2), .n(0), .n(20), .number("2.5")]])
        // Nested values come back as JSON.
        let nested = try await e.query("SELECT w, z FROM j JOIN l USING (k) ORDER BY k", datasets: sets)
        #expect(nested.rows[0] == [.object([JSONMember("x", .n(1))]), .array([.n(1), .n(2)])])
    }

    @Test func badFilesSayTheLineAndWhatWasWrong() async throws {
        let e = try engine()
        var good = "a,b\n"
        for i in 0..<50_000 { good += "\(i),x\(i)\n" }
        let extra = folder.write("extra.csv", good + "1,2,3\n")
        await #expect { try await e.schema(of: try Dataset(path: extra)) } throws: {
            "\($0)".contains("extra.csv") && "\($0)".contains("line 50002: 3 fields where the header has 2")
        }
        let short = folder.write("short.csv", "a,b\n1,2\n3\n")
        await #expect { try await e.query("select * from short", datasets: [try Dataset(path: short)]) } throws: {
            "\($0)".contains("line 3: 1 field where the header has 2")
        }
        let quote = folder.write("quote.csv", "a,b\n1,\"never closed\n2,3\n")
        await #expect { try await e.schema(of: try Dataset(path: quote)) } throws: { "\($0)".contains("line 2: a quoted field that never ends") }
        let latin1 = folder.write("latin1.csv", bytes: Array("a,b\n1,x\n".utf8) + [0x32, 0x2C, 0xE9, 0x0A])
        await #expect { try await e.schema(of: try Dataset(path: latin1)) } throws: { "\($0)".contains("line 3: the text is not UTF-8") }
        // DuckDB's JSON reader would accept a trailing comma; the engine names it.
        let json = folder.write("bad.json", "[{\"a\": 1},\n{\"a\": 2,}]")
        await #expect { try await e.schema(of: try Dataset(path: json)) } throws: {
            "\($0)" == "bad.json cannot be read: bad JSON at line 2, column 9: expected a member name in double quotes, found '}'"
        }
        let jsonl = folder.write("bad.jsonl", "{\"a\": 1}\n{\"a\": 2\n")
        await #expect { try await e.schema(of: try Dataset(path: jsonl)) } throws: { "\($0)".contains("line 3") }
        // An .xlsx that is not one: DuckDB's reader says so, with the file's name and no path.
        let fake = folder.write("fake.xlsx", "not a zip")
        await #expect { try await e.schema(of: try Dataset(path: fake)) } throws: { e in
            "\(e)".contains("fake.xlsx") && !"\(e)".contains(folder.path)
        }
        #expect(throws: DataEngineError.unsupportedFormat("notes.txt")) { try Dataset(path: folder.write("notes.txt", "x")) }
        #expect(throws: DataEngineError.cannotRead(folder.file("missing.csv"))) { try Dataset(path: folder.file("missing.csv")) }
    }

    @Test func sqlErrorsComeBackAsTheyAreWithoutOurWrapper() async throws {
        let e = try engine()
        let ds = try Dataset(path: folder.write("t.csv", "a\n1\n"))
        do {
            _ = try await e.query("selec 1", datasets: [ds])
            Issue.record("accepted")
        } catch let DataEngineError.queryFailed(message) {
            #expect(message.contains("syntax error at or near \"selec\""))
            #expect(!message.contains("elohim_result") && !message.contains("from_base64"))
        }
        await #expect { try await e.query("select nope from t", datasets: [ds]) } throws: { "\($0)".contains("nope") }
        await #expect(throws: DataEngineError.emptyQuery) { try await e.query("  ;; ", datasets: [ds]) }
        // A trailing semicolon is fine; two statements are not.
        #expect(try await e.query("select 1 as x;", datasets: []).rows == [[.n(1)]])
        await #expect { try await e.query("select 1; select 2", datasets: []) } throws: { "\($0)".contains("single SELECT") }
    }

    @Test func pagesWithLimitAndOffset() async throws {
        let e = try engine()
        let page1 = try await e.query("select range as i from range(25)", datasets: [], limit: 10)
        #expect(page1.rows.count == 10 && page1.truncated && page1.rows.first == [.n(0)])
        let page3 = try await e.query("select range as i from range(25)", datasets: [], limit: 10, offset: 20)
        #expect(page3.rows == (20..<25).map { [.n($0)] } && !page3.truncated)
        let exact = try await e.query("select range as i from range(10)", datasets: [], limit: 10)
        #expect(exact.rows.count == 10 && !exact.truncated)
        let empty = try await e.query("select 1 as a, 'x' as b where false", datasets: [])
        #expect(empty.columns == [Column(name: "a", type: "INTEGER"), Column(name: "b", type: "VARCHAR")] && empty.rows.isEmpty)
        await #expect { try await e.query("select 1", datasets: [], limit: 0) } throws: { "\($0)".contains("between 1 and 100000") }
        await #expect { try await e.query("select 1", datasets: [], limit: 100_001) } throws: { "\($0)".contains("between 1 and 100000") }
        await #expect { try await e.query("select 1", datasets: [], offset: -1) } throws: { "\($0)".contains("offset") }
        // Duplicate column names are told apart; non-finite doubles survive.
        let dup = try await e.query("select 1 as a, 2 as a, 'inf'::double as f, 'nan'::double as g", datasets: [])
        #expect(dup.columns.map(\.name) == ["a", "a_1", "f", "g"])
        #expect(dup.rows == [[.n(1), .n(2), .number("Infinity"), .number("NaN")]])
    }

    @Test func aMillionRowFile() async throws {
        var text = "id,grp,amount\n"
        text.reserveCapacity(20 << 20)
        for i in 0..<1_000_000 { text += "\(i),g\(i % 7),\(i % 100)\n" }
        let path = folder.write("big.csv", text)
        let e = try engine()
        let ds = try Dataset(path: path)
        #expect(try await e.schema(of: ds).rows == 1_000_000)
        let r = try await e.query("select grp, count(*) as n, sum(amount) as total from big group by grp order by grp", datasets: [ds])
        #expect(r.rows.count == 7)
        // sum() of BIGINT is a HUGEINT, which DuckDB prints as a string (exact past 2^53).
        #expect(r.columns.map(\.type) == ["VARCHAR", "BIGINT", "HUGEINT"])
        #expect(r.rows[0] == [.s("g0"), .n(142_858), .s((0..<1_000_000).filter { $0 % 7 == 0 }.reduce(0) { $0 + $1 % 100 }.description)])
        let page = try await e.query("select * from big", datasets: [ds], limit: 100_000, offset: 900_000)
        #expect(page.rows.count == 100_000 && !page.truncated && page.rows.last == [.n(999_999), .s("g\(999_999 % 7)"), .n(99)])
    }

    @Test func timeoutKillsTheQuery() async throws {
        var limits = SQLEngine.Limits()
        limits.timeoutSeconds = 1
        let e = try engine(limits)
        let start = ContinuousClock.now
        await #expect(throws: DataEngineError.timedOut(seconds: 1)) {
            try await e.query("select sum(a.range * b.range) from range(1000000) a, range(1000000) b", datasets: [])
        }
        // Far sooner than the query would end (10^12 multiplications); not a timing test.
        #expect(ContinuousClock.now - start < .seconds(60))
        // The query's folder is gone with it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: e.folder).isEmpty)
    }

    @Test func cancellationKillsTheQuery() async throws {
        let e = try engine()
        let task = Task { try await e.query("select sum(a.range * b.range) from range(1000000) a, range(1000000) b", datasets: []) }
        try await Task.sleep(for: .milliseconds(500))
        let start = ContinuousClock.now
        task.cancel()
        await #expect(throws: DataEngineError.cancelled) { try await task.value }
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test func memoryLimitStopsAGreedyQuery() async throws {
        var limits = SQLEngine.Limits()
        limits.memoryLimitMiB = 64
        limits.spillLimitMiB = 16
        let e = try engine(limits)
        await #expect { try await e.query("select list(range::varchar || repeat('x', 100)) from range(5000000)", datasets: []) } throws: {
            "\($0)".lowercased().contains("memory")
        }
    }

    @Test func resultLargerThanItsLimitIsRefused() async throws {
        var limits = SQLEngine.Limits()
        limits.maxResultBytes = 100_000
        let e = try engine(limits)
        await #expect(throws: DataEngineError.resultTooLarge(bytes: 100_000)) {
            try await e.query("select repeat('x', 1000) as s from range(1000)", datasets: [], limit: 1000)
        }
        #expect(throws: DataEngineError.tooLarge(what: "the SQL text", limit: "\(1 << 20) bytes")) {
            try SQLEngine.checked("select '" + String(repeating: "x", count: 1 << 20) + "'", limits: .init())
        }
    }

    @Test func twoFilesThatWouldBeOneTableAreRefused() async throws {
        let a = try Dataset(path: folder.write("sales.csv", "a\n1\n"))
        let b = try Dataset(path: folder.write("Sales.json", "[{\"a\": 1}]"))
        await #expect(throws: DataEngineError.duplicateTable("Sales", "sales.csv", "Sales.json")) { try await engine().query("select 1", datasets: [a, b]) }
        #expect(Dataset.tableName(forFile: "Données 2024 (v2).csv") == "Donn_es_2024__v2_")
        #expect(Dataset.tableName(forFile: "/x/y/2024.jsonl") == "2024")
    }

    @Test func findsTheInstallOrSaysHowToGetIt() throws {
        let found = try DuckDBInstall.locate()
        #expect(found.binary.hasSuffix("duckdb_cli/duckdb"))
        #expect(found.excelExtension?.hasSuffix("v\(DuckDBInstall.pinnedVersion)/excel.duckdb_extension") == true)
        #expect { try DuckDBInstall.locate(environment: ["ELOHIM_DUCKDB": "/nonexistent/duckdb"]) } throws: {
            "\($0)".contains("make venv") && "\($0)".contains("/nonexistent/duckdb")
        }
        let noExcel = try DuckDBInstall.locate(environment: ["ELOHIM_DUCKDB": found.binary, "ELOHIM_DUCKDB_EXCEL": "/nonexistent/excel"])
        #expect(noExcel.excelExtension == nil)
    }

    @Test func xlsxWithoutTheExtensionSaysHowToInstallIt() async throws {
        let install = try DuckDBInstall.locate()
        let e = SQLEngine(install: DuckDBInstall(binary: install.binary, excelExtension: nil, excelSearched: ["/x/excel.duckdb_extension"]),
                          folder: folder.path)
        let book = try XLSXWorkbook(path: folder.file("a.xlsx"))
        _ = try book.addSheet("S")
        try book.close()
        await #expect { try await e.query("select 1", datasets: [try Dataset(path: folder.file("a.xlsx"))]) } throws: { "\($0)".contains("make venv") }
    }
}
