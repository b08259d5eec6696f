import Foundation
import Testing
@testable import DataEngine

/// JSON to XLSX: files written here and read back cell by cell by openpyxl (an independent
/// reader), the expansion rules, the count before building, and every Excel limit.
@Suite struct JSONToXLSXTests {
    func convert(_ json: String, name: String = "in.json", options: JSONToXLSX.Options = .init()) throws -> (JSONToXLSX.Report, [String: [[JSONValue]]], TempFolder) {
        let folder = TempFolder()
        let input = folder.write(name, json)
        let output = folder.file("out.xlsx")
        let report = try JSONToXLSX.convert(input: input, output: output, options: options)
        return (report, try Support.readXLSX(output), folder)
    }

    @Test func nestedObjectsBecomeDottedColumnsCellByCell() throws {
        let json = """
        [
          {"id": 1, "name": "Ana", "address": {"city": "Lisboa", "geo": {"lat": 38.7, "lon": -9.1}}, "active": true, "note": null},
          {"id": 2, "name": "Bo \\"Q\\" 中文 😀", "address": {"city": "Oslo"}, "extra": "late column", "active": false},
          {"id": 12345678901234567890, "name": "", "big": 1e3}
        ]
        """
        let (report, sheets, _) = try convert(json)
        #expect(report.sheets.map(\.name) == ["Sheet1"])
        #expect(report.rows == 3)
        let rows = try #require(sheets["Sheet1"])
        #expect(rows[0] == ["id", "name", "address.city", "address.geo.lat", "address.geo.lon", "active", "note", "extra", "big"].map(JSONValue.s))
        #expect(rows[1] == [.n(1), .s("Ana"), .s("Lisboa"), .number("38.7"), .number("-9.1"), .bool(true), .null, .null, .null])
        #expect(rows[2] == [.n(2), .s("Bo \"Q\" 中文 😀"), .s("Oslo"), .null, .null, .bool(false), .null, .s("late column"), .null])
        // An integer past 2^53 stays text, every digit kept; 1e3 is the number 1000.
        #expect(rows[3] == [.s("12345678901234567890"), .null, .null, .null, .null, .null, .null, .null, .n(1000)])
        #expect(rows.count == 4)
    }

    @Test func arraysOfObjectsBecomeRowsAndSiblingsMultiply() throws {
        let json = """
        [{"order": 7, "customer": {"name": "Ana"},
          "items": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1, "tags": ["x", "y"]}],
          "notes": [{"text": "n1"}, {"text": "n2"}, {"text": "n3"}]},
         {"order": 8, "items": [], "notes": [{"text": "only"}]}]
        """
        let (report, sheets, _) = try convert(json)
        #expect(report.rows == 2 * 3 + 1)
        let rows = try #require(sheets["Sheet1"])
        #expect(rows[0] == ["order", "customer.name", "items.sku", "items.qty", "items.tags", "notes.text"].map(JSONValue.s))
        #expect(rows[1] == [.n(7), .s("Ana"), .s("A"), .n(2), .null, .s("n1")])
        #expect(rows[2] == [.n(7), .s("Ana"), .s("A"), .n(2), .null, .s("n2")])
        #expect(rows[3] == [.n(7), .s("Ana"), .s("A"), .n(2), .null, .s("n3")])
        #expect(rows[4] == [.n(7), .s("Ana"), .s("B"), .n(1), .s("x; y"), .s("n1")])
        #expect(rows[6] == [.n(7), .s("Ana"), .s("B"), .n(1), .s("x; y"), .s("n3")])
        // An empty array adds no row: the record still has one.
        #expect(rows[7] == [.n(8), .null, .null, .null, .null, .s("only")])
        #expect(rows.count == 8)
    }

    @Test func arraysOfScalarsJoinOrExpandByOption() throws {
        let json = #"[{"id": 1, "tags": ["a", "b", "c"], "n": [1, 2.5, null, true]}]"#
        let (_, joined, _) = try convert(json)
        #expect(joined["Sheet1"]! == [["id", "tags", "n"].map(JSONValue.s), [.n(1), .s("a; b; c"), .s("1; 2.5; ; true")]])

        var opts = JSONToXLSX.Options()
        opts.flattening = Flattening(arrays: .join, separator: "|")
        #expect(try convert(json, options: opts).1["Sheet1"]![1] == [.n(1), .s("a|b|c"), .s("1|2.5||true")])

        opts.flattening = Flattening(arrays: .expand)
        let (report, expanded, _) = try convert(json, options: opts)
        #expect(report.rows == 12)
        let rows = expanded["Sheet1"]!
        #expect(rows[1] == [.n(1), .s("a"), .n(1)])
        #expect(rows[2] == [.n(1), .s("a"), .number("2.5")])
        #expect(rows[3] == [.n(1), .s("a"), .null])
        #expect(rows[4] == [.n(1), .s("a"), .bool(true)])
        #expect(rows[12] == [.n(1), .s("c"), .bool(true)])
    }

    @Test func topLevelArraysBecomeSheetsAndTheRestARootSheet() throws {
        let json = #"{"generated": "2024-05-01", "users": [{"id": 1}, {"id": 2}], "orders": [{"id": 9, "user": 1}], "count": 3}"#
        let (report, sheets, folder) = try convert(json)
        #expect(report.sheets.map(\.name) == ["users", "orders", "root"])
        #expect(try Support.sheetNames(folder.file("out.xlsx")) == ["users", "orders", "root"])
        #expect(sheets["users"]! == [[.s("id")], [.n(1)], [.n(2)]])
        #expect(sheets["orders"]! == [[.s("id"), .s("user")], [.n(9), .n(1)]])
        #expect(sheets["root"]! == [[.s("generated"), .s("count")], [.s("2024-05-01"), .n(3)]])
        // An object without arrays is one record.
        #expect(try convert(#"{"a": {"b": 1}, "c": "x"}"#).1 == ["Sheet1": [[.s("a.b"), .s("c")], [.n(1), .s("x")]]])
    }

    @Test func jsonLinesByExtensionOrOption() throws {
        let text = "{\"a\": 1}\n{\"a\": 2, \"b\": [1, 2]}\n\n7\n"
        let (report, sheets, _) = try convert(text, name: "in.jsonl")
        #expect(report.rows == 3)
        #expect(sheets["Sheet1"]! == [[.s("a"), .s("b"), .s("value")], [.n(1), .null, .null], [.n(2), .s("1; 2"), .null], [.null, .null, .n(7)]])
        // The same text in a .json file is two values: refused, and the message says what to do.
        #expect { try convert(text) } throws: { "\($0)".contains("more than one top-level value") && "\($0)".contains(".jsonl") }
        #expect(try convert(text, options: .init(lines: true)).0.rows == 3)
    }

    @Test func countsTheExpansionBeforeBuildingAndRefusesPastMaxRows() throws {
        // 3 records of 10 × 10 × 10 combinations: 3,000 rows.
        let tens = "[" + (0..<10).map { #"{"v": \#($0)}"# }.joined(separator: ",") + "]"
        let record = #"{"a": \#(tens), "b": \#(tens), "c": \#(tens)}"#
        let json = "[" + Array(repeating: record, count: 3).joined(separator: ",") + "]"
        let folder = TempFolder()
        let input = folder.write("in.json", json)
        let output = folder.file("out.xlsx")
        #expect(throws: DataEngineError.expansionTooLarge(rows: 3_000, maxRows: 2_999)) {
            try JSONToXLSX.convert(input: input, output: output, options: .init(maxRows: 2_999))
        }
        #expect(!FileManager.default.fileExists(atPath: output), "nothing is built when refused")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["in.json"])
        #expect(try JSONToXLSX.convert(input: input, output: output, options: .init(maxRows: 3_000)).rows == 3_000)
        #expect(try Support.readXLSX(output)["Sheet1"]!.count == 3_001)
        // The default is the original's 100,000; a combinatorial record is counted without
        // being enumerated (20 arrays of 10: 10^20 rows), saturating rather than overflowing.
        let bomb = "[{" + (0..<20).map { #""k\#($0)": \#(tens)"# }.joined(separator: ",") + "}]"
        #expect { try JSONToXLSX.convert(input: folder.write("bomb.json", bomb), output: output) } throws: {
            "\($0)".contains("would produce 18446744073709551615 rows, more than --max-rows 100000")
        }
    }

    @Test func excelLimitsAreClearErrors() throws {
        let folder = TempFolder()
        let out = folder.file("out.xlsx")
        // A cell of 32,768 characters (Excel holds 32,767); 32,767 passes.
        let long = String(repeating: "x", count: 32_768)
        #expect(throws: DataEngineError.excelCellTooLong(sheet: "Sheet1", record: 2, column: "text", characters: 32_768)) {
            try JSONToXLSX.convert(input: folder.write("a.json", #"[{"text": "ok"}, {"text": "\#(long)"}]"#), output: out)
        }
        try JSONToXLSX.convert(input: folder.write("b.json", #"[{"text": "\#(long.dropLast())"}]"#), output: out)
        #expect(try Support.readXLSX(out)["Sheet1"]![1] == [.s(String(long.dropLast()))])
        // Sheet names: 31 characters at most, none of [ ] : * ? / \, unique ignoring case.
        let name32 = String(repeating: "s", count: 32)
        #expect { try JSONToXLSX.convert(input: folder.write("c.json", #"{"\#(name32)": [1]}"#), output: out) } throws: {
            "\($0)".contains("at most 31 characters")
        }
        for bad in ["a/b", "a[1]", "why?", "x:y", "a*", "back\\\\slash"] {
            #expect { try JSONToXLSX.convert(input: folder.write("d.json", #"{"\#(bad)": [1]}"#), output: out) } throws: {
                "\($0)".contains("may not contain")
            }
        }
        #expect { try JSONToXLSX.convert(input: folder.write("e.json", #"{"Users": [1], "users": [2]}"#), output: out) } throws: {
            "\($0)".contains("Excel ignores case")
        }
        #expect { try JSONToXLSX.convert(input: folder.write("f.json", #"{"History": [1]}"#), output: out) } throws: { "\($0)".contains("reserves") }
        try JSONToXLSX.convert(input: folder.write("g.json", #"{"\#(String(repeating: "s", count: 31))": [1]}"#), output: out)
        // More than 1,048,576 rows in one sheet, header included, even with --max-rows raised.
        let many = "[" + Array(repeating: "1", count: 1_048_576).joined(separator: ",") + "]"
        #expect(throws: DataEngineError.excelRowLimit(sheet: "Sheet1", rows: 1_048_577)) {
            try JSONToXLSX.convert(input: folder.write("h.json", many), output: out, options: .init(maxRows: 2_000_000))
        }
        // More than 16,384 columns.
        let wide = "[{" + (0...16_384).map { #""c\#($0)": 1"# }.joined(separator: ",") + "}]"
        #expect { try JSONToXLSX.convert(input: folder.write("i.json", wide), output: out) } throws: { "\($0)".contains("16,384") }
    }

    @Test func inputsThatAreNotRecordsAreRefused() throws {
        let folder = TempFolder()
        let out = folder.file("out.xlsx")
        #expect { try JSONToXLSX.convert(input: folder.write("a.json", "42"), output: out) } throws: { "\($0)".contains("single number, not records") }
        #expect { try JSONToXLSX.convert(input: folder.write("b.json", ""), output: out) } throws: { "\($0)".contains("empty") }
        #expect { try JSONToXLSX.convert(input: folder.write("c.json", "[{\"a\": 1},\n {\"a\": }]"), output: out) } throws: {
            "\($0)" == "bad JSON at line 2, column 8: expected a value, found '}'"
        }
        #expect { try JSONToXLSX.convert(input: folder.file("missing.json"), output: out) } throws: { "\($0)".contains("cannot read") }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func controlCharactersAreDroppedNotCorruptingTheFile() throws {
        let (_, sheets, _) = try convert(#"[{"a": "bell\u0007 tab\t line\nend"}]"#)
        #expect(sheets["Sheet1"]![1] == [.s("bell tab\t line\nend")])
    }
}
