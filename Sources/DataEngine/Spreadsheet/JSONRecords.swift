/// The records of a JSON input and the sheet each belongs to, read one at a time:
/// - a top-level array: each element is a record of the sheet `Sheet1`;
/// - a top-level object with array members: each array is a sheet named after its member, its
///   elements the records; the object's other members form one record of a sheet `root`;
/// - a top-level object without array members: one record of `Sheet1`;
/// - JSON Lines (`lines`): each value is a record of `Sheet1`.
enum JSONRecords {
    static let defaultSheet = "Sheet1"
    static let rootSheet = "root"

    /// Calls `body(sheet, record)` for every record, in input order.
    static func forEach(_ reader: JSONReader, lines: Bool, _ body: (String, JSONValue) throws -> Void) throws {
        guard let first = try reader.peek() else { throw DataEngineError.notRecords("the input is empty: it holds no JSON value") }
        if lines {
            while try !reader.atEnd() { try body(defaultSheet, try reader.readValue()) }
            return
        }
        switch first {
        case UInt8(ascii: "["):
            try reader.beginArray()
            var isFirst = true
            while try reader.nextElement(first: isFirst) {
                isFirst = false
                try body(defaultSheet, try reader.readValue())
            }
        case UInt8(ascii: "{"):
            try reader.beginObject()
            var root: [JSONMember] = []
            var sawArray = false
            var isFirst = true
            while let key = try reader.nextKey(first: isFirst) {
                isFirst = false
                if try reader.peek() == UInt8(ascii: "[") {
                    sawArray = true
                    try reader.beginArray()
                    var firstElement = true
                    while try reader.nextElement(first: firstElement) {
                        firstElement = false
                        try body(key, try reader.readValue())
                    }
                } else {
                    root.append(JSONMember(key, try reader.readValue()))
                    guard root.count <= ExcelLimits.columns else {
                        throw DataEngineError.excelColumnLimit(sheet: rootSheet, columns: root.count)
                    }
                }
            }
            if !sawArray {
                try body(defaultSheet, .object(root))
            } else if !root.isEmpty {
                try body(rootSheet, .object(root))
            }
        default:
            throw DataEngineError.notRecords("the input is a single \(try describe(reader)), not records: give an array of objects, an object of arrays, or JSON Lines")
        }
        guard try reader.atEnd() else {
            let (line, column) = reader.location
            throw DataEngineError.badJSON(line: line, column: column,
                                          "more than one top-level value: for one record a line, name the file .jsonl (or pass --lines)")
        }
    }

    private static func describe(_ reader: JSONReader) throws -> String {
        switch try reader.readValue() {
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        default: "null"
        }
    }
}
