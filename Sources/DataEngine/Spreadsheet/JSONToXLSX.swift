import Foundation

/// JSON to an .xlsx workbook in two streaming passes over the input:
/// 1. **plan**: read every record, count the rows its expansion would produce and collect the
///    columns of each sheet (in order of first appearance), checking every Excel limit and
///    `maxRows`; nothing is written yet, so a refusal costs one read;
/// 2. **write**: read the records again and write each row as it is produced, with
///    libxlsxwriter in constant-memory mode.
/// Memory holds one record, the column names and one row: it stays flat as records are added.
public enum JSONToXLSX {
    public struct Options: Sendable {
        /// The most rows (all sheets, headers not counted) the expansion may produce: 100,000 by
        /// default, the original product's "auto-safe" threshold.
        public var maxRows: UInt64 = 100_000
        public var flattening = Flattening()
        /// JSON Lines: nil decides by the file's extension (.jsonl, .ndjson).
        public var lines: Bool?
        /// The largest record, in bytes of JSON.
        public var maxRecordBytes = 64 << 20
        /// Where libxlsxwriter keeps its per-sheet temporary files.
        public var temporaryFolder = FileManager.default.temporaryDirectory.path

        public init(maxRows: UInt64 = 100_000, flattening: Flattening = Flattening(), lines: Bool? = nil) {
            self.maxRows = maxRows
            self.flattening = flattening
            self.lines = lines
        }
    }

    /// What was written.
    public struct Report: Sendable, Equatable, Codable {
        public struct Sheet: Sendable, Equatable, Codable {
            public let name: String
            /// Data rows, the header not counted.
            public let rows: UInt64
            public let columns: [String]
        }
        public let sheets: [Sheet]
        public var rows: UInt64 { sheets.reduce(0) { $0 + $1.rows } }
    }

    /// Converts the JSON file at `input` into an .xlsx file at `output` (written beside it under
    /// a temporary name, then renamed, so a refusal or failure leaves no partial file).
    @discardableResult
    public static func convert(input: String, output: String, options: Options = Options()) throws -> Report {
        let lines = options.lines ?? [".jsonl", ".ndjson"].contains { input.lowercased().hasSuffix($0) }
        var limits = JSONReader.Limits()
        limits.maxValueBytes = options.maxRecordBytes
        let plan = try Plan.make(reader: try JSONReader(path: input, limits: limits), lines: lines, options: options)
        let partial = output + ".part-\(UUID().uuidString.prefix(8))"
        do {
            try write(plan, reader: try JSONReader(path: input, limits: limits), lines: lines, to: partial, options: options)
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: partial, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        return plan.report
    }

    /// The first pass's findings.
    struct Plan {
        final class Sheet {
            let name: String
            var columns: [String] = []
            var index: [String: Int] = [:]
            var rows: UInt64 = 0
            var records: UInt64 = 0
            init(name: String) { self.name = name }
        }
        var sheets: [Sheet] = []
        var byName: [String: Sheet] = [:]

        var report: Report { Report(sheets: sheets.map { .init(name: $0.name, rows: $0.rows, columns: $0.columns) }) }

        static func make(reader: JSONReader, lines: Bool, options: Options) throws -> Plan {
            var plan = Plan()
            let f = options.flattening
            var total: UInt64 = 0
            try JSONRecords.forEach(reader, lines: lines) { name, record in
                let sheet = try plan.sheet(name)
                sheet.records += 1
                let (rows, depth) = f.count(record)
                guard depth <= f.maxExpansionDepth else {
                    throw DataEngineError.notRecords("record \(sheet.records) of sheet '\(name)' nests \(depth) levels of arrays to expand, more than \(f.maxExpansionDepth): use --arrays join, or split the record")
                }
                try register(record, "", sheet, f)
                sheet.rows = Flattening.add(sheet.rows, rows)
                total = Flattening.add(total, rows)
            }
            guard total <= options.maxRows else { throw DataEngineError.expansionTooLarge(rows: total, maxRows: options.maxRows) }
            for sheet in plan.sheets where Flattening.add(sheet.rows, 1) > ExcelLimits.rows {
                throw DataEngineError.excelRowLimit(sheet: sheet.name, rows: Flattening.add(sheet.rows, 1))
            }
            return plan
        }

        mutating func sheet(_ name: String) throws -> Sheet {
            if let s = byName[name] { return s }
            if let problem = ExcelLimits.sheetNameProblem(name) { throw DataEngineError.badSheetName(name, problem) }
            if let clash = sheets.first(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) {
                throw DataEngineError.badSheetName(name, "it and '\(clash.name)' would be one sheet (Excel ignores case)")
            }
            let s = Sheet(name: name)
            sheets.append(s)
            byName[name] = s
            return s
        }

        /// Adds the columns `v` fills and checks the cells it would write.
        static func register(_ v: JSONValue, _ path: String, _ sheet: Sheet, _ f: Flattening) throws {
            switch v {
            case let .object(members):
                for m in members { try register(m.value, Flattening.path(path, m.key), sheet, f) }
            case let .array(items):
                if items.isEmpty { return }
                if f.joins(items) { return try column(path, .string(f.joined(items)), sheet) }
                for item in items { try register(item, path, sheet, f) }
            default:
                try column(path, Flattening.cell(v), sheet)
            }
        }

        static func column(_ path: String, _ cell: XLSXCell, _ sheet: Sheet) throws {
            let name = Flattening.column(path)
            if case let .string(s) = cell, s.utf16.count > ExcelLimits.cellCharacters {
                throw DataEngineError.excelCellTooLong(sheet: sheet.name, record: sheet.records, column: name, characters: s.utf16.count)
            }
            guard sheet.index[name] == nil else { return }
            guard sheet.columns.count < ExcelLimits.columns else { throw DataEngineError.excelColumnLimit(sheet: sheet.name, columns: sheet.columns.count + 1) }
            guard name.utf16.count <= ExcelLimits.cellCharacters else {
                throw DataEngineError.excelCellTooLong(sheet: sheet.name, record: sheet.records, column: String(name.prefix(40)) + "…", characters: name.utf16.count)
            }
            sheet.index[name] = sheet.columns.count
            sheet.columns.append(name)
        }
    }

    static func write(_ plan: Plan, reader: JSONReader, lines: Bool, to path: String, options: Options) throws {
        let book = try XLSXWorkbook(path: path, temporaryFolder: options.temporaryFolder)
        var expanders: [String: (Int, RowExpander)] = [:]
        for sheet in plan.sheets {
            let index = try book.addSheet(sheet.name)
            try book.appendRow(index, sheet.columns.map { .string($0) }, header: true)
            let row = RowBuffer(columns: sheet.columns.count)
            let expander = RowExpander(flattening: options.flattening, columns: sheet.index, row: row) {
                try book.appendRow(index, row.cells)
            }
            expanders[sheet.name] = (index, expander)
        }
        try JSONRecords.forEach(reader, lines: lines) { name, record in
            guard let (_, expander) = expanders[name] else {
                throw DataEngineError.notRecords("the input changed while it was being converted: try again")
            }
            try expander.expand(record)
        }
        try book.close()
    }
}

extension JSONToXLSX {
    /// `convert` on a thread of its own with a 64 MiB stack (deeply nested expansions recurse),
    /// so an async caller's thread is neither blocked nor at risk.
    public static func convertInBackground(input: String, output: String, options: Options = Options()) async throws -> Report {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try convert(input: input, output: output, options: options) })
            }
            thread.stackSize = 64 << 20
            thread.start()
        }
    }
}
