import CXlsxWriter
import Foundation

/// Excel's limits (Microsoft's "Excel specifications and limits"), which every writer here checks
/// before libxlsxwriter would refuse or silently drop a cell.
public enum ExcelLimits {
    /// Rows in a sheet, the header included.
    public static let rows: UInt64 = 1_048_576
    /// Columns in a sheet.
    public static let columns = 16_384
    /// Characters (UTF-16 code units, as Excel counts them) in a cell.
    public static let cellCharacters = 32_767
    /// Characters in a sheet name.
    public static let sheetNameCharacters = 31
    /// Characters a sheet name may not contain.
    public static let sheetNameForbidden: Set<Character> = ["[", "]", ":", "*", "?", "/", "\\"]

    /// Why `name` cannot name a sheet, or nil when it can.
    public static func sheetNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "a sheet name may not be empty" }
        if name.utf16.count > sheetNameCharacters { return "a sheet name has at most \(sheetNameCharacters) characters (this one has \(name.utf16.count))" }
        if let c = name.first(where: { sheetNameForbidden.contains($0) }) { return "a sheet name may not contain '\(c)' (nor any of [ ] : * ? / \\)" }
        if name.first == "'" || name.last == "'" { return "a sheet name may not begin or end with an apostrophe" }
        if name.caseInsensitiveCompare("History") == .orderedSame { return "Excel reserves the name History" }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 }) { return "a sheet name may not contain control characters" }
        return nil
    }

    /// `A`, `B`, … `Z`, `AA`, … for a zero-based column index.
    public static func columnLetters(_ index: Int) -> String {
        var n = index + 1
        var letters: [Character] = []
        while n > 0 {
            let r = (n - 1) % 26
            letters.append(Character(UnicodeScalar(UInt8(65 + r))))
            n = (n - 1) / 26
        }
        return String(letters.reversed())
    }
}

/// A cell to write.
public enum XLSXCell: Equatable, Sendable {
    case empty
    case number(Double)
    case string(String)
    case bool(Bool)
}

/// An .xlsx file being written by libxlsxwriter in constant-memory mode: each sheet keeps only
/// its current row in memory (the rest goes to a temporary file in `tmpdir`), so rows must be
/// written in order, top to bottom, per sheet. Not thread-safe: one writer, one thread.
public final class XLSXWorkbook {
    private var workbook: UnsafeMutablePointer<lxw_workbook>?
    private var sheets: [UnsafeMutablePointer<lxw_worksheet>] = []
    private var names: [String] = []
    private var nextRow: [UInt32] = []
    private let bold: UnsafeMutablePointer<lxw_format>?
    private let path: String
    private let tmpdir: UnsafeMutablePointer<CChar>?

    /// Starts a workbook at `path` (replaced when it exists), its temporary files in `temporaryFolder`.
    public init(path: String, temporaryFolder: String = FileManager.default.temporaryDirectory.path) throws {
        self.path = path
        tmpdir = strdup(temporaryFolder)
        var options = lxw_workbook_options(constant_memory: UInt8(LXW_TRUE.rawValue), tmpdir: tmpdir, use_zip64: UInt8(LXW_FALSE.rawValue))
        guard let wb = workbook_new_opt(path, &options) else {
            free(tmpdir)
            throw DataEngineError.cannotWrite(path, "libxlsxwriter could not start a workbook there")
        }
        workbook = wb
        let format = workbook_add_format(wb)
        format_set_bold(format)
        bold = format
    }

    deinit {
        // A workbook never closed (an error part way) is freed without writing the file.
        if let workbook { lxw_workbook_free(workbook) }
        free(tmpdir)
    }

    /// Adds a sheet; its index for `write`. The name must pass `ExcelLimits.sheetNameProblem`
    /// and differ (ignoring case) from the others.
    public func addSheet(_ name: String) throws -> Int {
        if let problem = ExcelLimits.sheetNameProblem(name) { throw DataEngineError.badSheetName(name, problem) }
        if names.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
            throw DataEngineError.badSheetName(name, "two sheets would have the same name (Excel ignores case)")
        }
        guard let workbook, let sheet = workbook_add_worksheet(workbook, name) else {
            throw DataEngineError.badSheetName(name, "libxlsxwriter refused it")
        }
        sheets.append(sheet)
        names.append(name)
        nextRow.append(0)
        return sheets.count - 1
    }

    /// Writes the next row of `sheet`: `cells[i]` into column i (empties skipped); bold for a header.
    public func appendRow(_ sheet: Int, _ cells: [XLSXCell], header: Bool = false) throws {
        let row = nextRow[sheet]
        guard UInt64(row) < ExcelLimits.rows else { throw DataEngineError.excelRowLimit(sheet: names[sheet], rows: UInt64(row) + 1) }
        guard cells.count <= ExcelLimits.columns else { throw DataEngineError.excelColumnLimit(sheet: names[sheet], columns: cells.count) }
        for (column, cell) in cells.enumerated() {
            try write(sheet, row: row, column: UInt16(column), cell, format: header ? bold : nil)
        }
        nextRow[sheet] = row + 1
    }

    /// Rows written so far to `sheet`, the header included.
    public func rows(_ sheet: Int) -> UInt32 { nextRow[sheet] }

    /// Writes one cell of the current row; the row must be the one `appendRow` is at.
    func write(_ sheet: Int, row: UInt32, column: UInt16, _ cell: XLSXCell, format: UnsafeMutablePointer<lxw_format>? = nil) throws {
        let ws = sheets[sheet]
        let result: lxw_error
        switch cell {
        case .empty: return
        case let .number(d): result = worksheet_write_number(ws, row, column, d, format)
        case let .bool(b): result = worksheet_write_boolean(ws, row, column, b ? 1 : 0, format)
        case let .string(s):
            if s.isEmpty { return }
            guard s.utf16.count <= ExcelLimits.cellCharacters else {
                throw DataEngineError.excelCellTooLong(sheet: names[sheet], record: UInt64(row), column: ExcelLimits.columnLetters(Int(column)),
                                                       characters: s.utf16.count)
            }
            // Excel cannot hold C0 control characters other than tab and line breaks in a cell.
            let clean = s.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" })
                ? String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\t" || $0 == "\n" || $0 == "\r" })) : s
            result = worksheet_write_string(ws, row, column, clean, format)
        }
        guard result == LXW_NO_ERROR else { throw DataEngineError.xlsxWriter(String(cString: lxw_strerror(result))) }
    }

    /// Writes the file. After this the workbook is done.
    public func close() throws {
        guard let wb = workbook else { return }
        workbook = nil
        let result = workbook_close(wb)  // frees the workbook whatever the result
        guard result == LXW_NO_ERROR else {
            throw DataEngineError.cannotWrite(path, String(cString: lxw_strerror(result)))
        }
    }
}
