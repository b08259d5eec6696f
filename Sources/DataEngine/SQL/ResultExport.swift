import Foundation

/// A query result written out as CSV, JSON or XLSX, or drawn as a text table for a terminal.
public enum ResultExport {
    public enum Format: String, Sendable, CaseIterable, Codable {
        case csv, json, xlsx

        public var mediaType: String {
            switch self {
            case .csv: "text/csv; charset=utf-8"
            case .json: "application/json"
            case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    /// RFC 4180 CSV: a header line, CRLF line ends, fields quoted when they hold a comma, quote or
    /// line break; null is an empty field.
    public static func csv(_ r: QueryResult) -> String {
        var out = r.columns.map { field($0.name) }.joined(separator: ",") + "\r\n"
        for row in r.rows {
            out += row.map { field($0.cellText) }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// An array of row objects, members in column order.
    public static func json(_ r: QueryResult) -> String {
        var out = "["
        for (i, row) in r.rows.enumerated() {
            out += i == 0 ? "\n" : ",\n"
            JSONValue.object(zip(r.columns, row).map { JSONMember($0.name, $1) }).write(to: &out)
        }
        out += r.rows.isEmpty ? "]\n" : "\n]\n"
        return out
    }

    /// An .xlsx file with one sheet, `Result`: the header, then the rows (numbers as numbers
    /// when the column's type is numeric, booleans as booleans, the rest as text).
    public static func xlsx(_ r: QueryResult, to path: String, temporaryFolder: String = FileManager.default.temporaryDirectory.path) throws {
        guard r.columns.count <= ExcelLimits.columns else { throw DataEngineError.excelColumnLimit(sheet: "Result", columns: r.columns.count) }
        guard UInt64(r.rows.count) + 1 <= ExcelLimits.rows else { throw DataEngineError.excelRowLimit(sheet: "Result", rows: UInt64(r.rows.count) + 1) }
        let book = try XLSXWorkbook(path: path, temporaryFolder: temporaryFolder)
        let sheet = try book.addSheet("Result")
        try book.appendRow(sheet, r.columns.map { .string($0.name) }, header: true)
        let numeric = r.columns.map { c in
            ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "HUGEINT", "UHUGEINT"]
                .contains(c.type) || c.type.hasPrefix("DECIMAL")
        }
        for (i, row) in r.rows.enumerated() {
            let cells: [XLSXCell] = row.enumerated().map { column, v in
                if numeric[column], case let .string(s) = v, Double(s) != nil { return Flattening.cell(.number(s)) }
                return Flattening.cell(v)
            }
            for (column, cell) in cells.enumerated() {
                if case let .string(s) = cell, s.utf16.count > ExcelLimits.cellCharacters {
                    throw DataEngineError.excelCellTooLong(sheet: "Result", record: UInt64(i + 1), column: r.columns[column].name, characters: s.utf16.count)
                }
            }
            try book.appendRow(sheet, cells)
        }
        try book.close()
    }

    /// A text table for a terminal: columns padded to their widest value (at most 60 characters,
    /// longer ones cut with …), null shown as NULL.
    public static func table(_ r: QueryResult) -> String {
        func show(_ v: JSONValue) -> String {
            if case .null = v { return "NULL" }
            let t = v.cellText.replacingOccurrences(of: "\n", with: "\\n")
            return t.count > 60 ? String(t.prefix(59)) + "…" : t
        }
        let cells = r.rows.map { $0.map(show) }
        var widths = r.columns.map { min(60, $0.name.count) }
        for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ values: [String]) -> String {
            values.enumerated().map { i, v in v + String(repeating: " ", count: max(0, widths[i] - v.count)) }.joined(separator: " | ")
                .trimmingCharacters(in: .whitespaces)
        }
        var out = line(r.columns.map { $0.name.count > 60 ? String($0.name.prefix(59)) + "…" : $0.name }) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-") + "\n"
        for row in cells { out += line(row) + "\n" }
        out += "(\(r.rows.count) row\(r.rows.count == 1 ? "" : "s")\(r.truncated ? ", more follow: raise --limit or page with --offset" : ""))\n"
        return out
    }
}
