import Foundation
import Testing
@testable import DataEngine

/// The streaming JSON reader: RFC 8259 values, members in order, every malformation an error
/// with its line and column, its limits, and the same answers whatever the buffer size.
@Suite struct JSONReaderTests {
    func read(_ text: String, limits: JSONReader.Limits = .init()) throws -> JSONValue {
        let r = JSONReader(bytes: Array(text.utf8), limits: limits)
        let v = try r.readValue()
        #expect(try r.atEnd())
        return v
    }

    @Test func readsValuesKeepingOrderDuplicatesAndDigits() throws {
        let v = try read(#" {"b": 1, "a": [true, false, null], "b": -0.5e+3, "big": 123456789012345678901234567890, "s": "x"} "#)
        #expect(v == .object([
            JSONMember("b", .n(1)), JSONMember("a", .array([.bool(true), .bool(false), .null])), JSONMember("b", .number("-0.5e+3")),
            JSONMember("big", .number("123456789012345678901234567890")), JSONMember("s", .s("x")),
        ]))
        #expect(v.jsonText == #"{"b":1,"a":[true,false,null],"b":-0.5e+3,"big":123456789012345678901234567890,"s":"x"}"#)
    }

    @Test func decodesEscapesAndUTF8() throws {
        #expect(try read(#""a\"b\\c\/d\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00 héllo 中文 😀""#)
            == .s("a\"b\\c/d\u{8}\u{c}\n\r\té中😀 héllo 中文 😀"))
        // Writing escapes what must be escaped, and reading it back gives the same string.
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{7} é"
        #expect(try read(JSONValue.s(tricky).jsonText) == .s(tricky))
    }

    @Test func sameResultWhateverTheChunkSize() throws {
        let folder = TempFolder()
        var text = "[\n"
        for i in 0..<300 { text += #"{"id": \#(i), "name": "naïve \#(i) \"q\" \u00e9 😀", "tags": ["a", "b"]}"# + (i < 299 ? ",\n" : "\n") }
        text += "]"
        let path = folder.write("x.json", text)
        let whole = try JSONReader(bytes: Array(text.utf8)).readValue()
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let r = try JSONReader(handle: FileHandle(forReadingAtPath: path)!, chunkSize: chunk)
            #expect(try r.readValue() == whole, "chunk size \(chunk)")
        }
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "member name"),
        ("[1, 2,]", 1, 7, "may not follow"),
        ("{\"a\" 1}", 1, 6, "':'"),
        ("[1,\n 2\n x]", 3, 2, "',' or ']'"),
        ("\"abc", 1, 5, "never ends"),
        ("\"a\nb\"", 1, 3, "line break inside a string"),
        ("01", 1, 2, "may not start with 0"),
        ("1.", 1, 3, "decimal point"),
        ("-", 1, 2, "digits"),
        ("tru", 1, 4, "'true'"),
        ("\"\\x\"", 1, 3, "unknown escape"),
        ("\"\\ud800\"", 1, 8, "surrogate"),
        ("NaN", 1, 1, "expected a value"),
        ("{\"a\": }", 1, 7, "expected a value"),
        ("", 1, 1, "end of the input"),
    ])
    func malformedInputSaysWhereAndWhat(text: String, line: Int, column: Int, what: String) {
        do {
            _ = try read(text)
            Issue.record("accepted \(text)")
        } catch let DataEngineError.badJSON(l, c, message) {
            #expect(l == line && c == column, "\(text): at \(l):\(c), expected \(line):\(column)")
            #expect(message.contains(what), "\(text): \(message)")
        } catch { Issue.record("\(error)") }
    }

    @Test func invalidUTF8IsRefused() {
        let r = JSONReader(bytes: [0x22, 0x61, 0xFF, 0xFE, 0x22])
        #expect(throws: DataEngineError.badJSON(line: 1, column: 2, "a string that is not valid UTF-8")) { try r.readValue() }
    }

    @Test func limitsDepthAndValueSize() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect { try read(deep) } throws: { "\($0)".contains("nest deeper than 64") }
        _ = try read(String(repeating: "[", count: 64) + String(repeating: "]", count: 64))
        var small = JSONReader.Limits()
        small.maxValueBytes = 100
        #expect { try read("[" + String(repeating: "1,", count: 100) + "1]", limits: small) } throws: { "\($0)".contains("larger than 100 bytes") }
        #expect { try read("\"" + String(repeating: "\\n", count: 150) + "\"", limits: small) } throws: { "\($0)".contains("longer than 100 bytes") }
    }

    @Test func nonFiniteNumbersOnlyWhenAllowed() throws {
        var allow = JSONReader.Limits()
        allow.allowNonFinite = true
        #expect(try read("[Infinity, -Infinity, NaN]", limits: allow) == .array([.number("Infinity"), .number("-Infinity"), .number("NaN")]))
        #expect(throws: DataEngineError.self) { try read("Infinity") }
        // Written back out, JSON has no spelling for them: they become strings.
        #expect(JSONValue.array([.number("Infinity"), .number("NaN")]).jsonText == #"["Infinity","NaN"]"#)
    }

    @Test func walksTheOuterStructureWithoutReadingItWhole() throws {
        let r = JSONReader(bytes: Array(#"{"a": [1, {"b": 2}], "c": 3}"#.utf8))
        try r.beginObject()
        #expect(try r.nextKey(first: true) == "a")
        try r.beginArray()
        #expect(try r.nextElement(first: true))
        #expect(try r.readValue() == .n(1))
        #expect(try r.nextElement(first: false))
        #expect(try r.readValue() == .object([JSONMember("b", .n(2))]))
        #expect(try !r.nextElement(first: false))
        #expect(try r.nextKey(first: false) == "c")
        #expect(try r.readValue() == .n(3))
        #expect(try r.nextKey(first: false) == nil)
        #expect(try r.atEnd())
    }
}
