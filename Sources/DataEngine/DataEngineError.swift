/// Every way the data engine refuses or fails, each said so that the person who hit it knows what
/// was wrong and what to do. `code` is stable for programs (the HTTP API's error code).
public enum DataEngineError: Error, Equatable, CustomStringConvertible, Sendable {
    // Installation
    case duckDBMissing(searched: [String])
    case excelExtensionMissing(searched: [String])
    // Inputs
    case cannotRead(String)
    case cannotWrite(String, String)
    case unsupportedFormat(String)
    case badDatasetName(String)
    case duplicateTable(String, String, String)
    case badJSON(line: Int, column: Int, String)
    case badFile(dataset: String, String)
    case tooLarge(what: String, limit: String)
    // Queries
    case emptyQuery
    case sqlRefused(String)
    case queryFailed(String)
    case timedOut(seconds: Double)
    case cancelled
    case resultTooLarge(bytes: Int)
    case engineCrashed(status: Int32, String)
    case busy(running: Int)
    // JSON to XLSX
    case expansionTooLarge(rows: UInt64, maxRows: UInt64)
    case excelRowLimit(sheet: String, rows: UInt64)
    case excelColumnLimit(sheet: String, columns: Int)
    case excelCellTooLong(sheet: String, record: UInt64, column: String, characters: Int)
    case badSheetName(String, String)
    case notRecords(String)
    case xlsxWriter(String)

    public var code: String {
        switch self {
        case .duckDBMissing, .excelExtensionMissing: "engine_not_installed"
        case .cannotRead: "cannot_read"
        case .cannotWrite: "cannot_write"
        case .unsupportedFormat: "unsupported_format"
        case .badDatasetName: "bad_dataset_name"
        case .duplicateTable: "duplicate_table"
        case .badJSON: "bad_json"
        case .badFile: "bad_file"
        case .tooLarge: "too_large"
        case .emptyQuery: "empty_query"
        case .sqlRefused: "sql_refused"
        case .queryFailed: "query_failed"
        case .timedOut: "query_timeout"
        case .cancelled: "query_cancelled"
        case .resultTooLarge: "result_too_large"
        case .engineCrashed: "engine_crashed"
        case .busy: "engine_busy"
        case .expansionTooLarge: "expansion_too_large"
        case .excelRowLimit: "excel_row_limit"
        case .excelColumnLimit: "excel_column_limit"
        case .excelCellTooLong: "excel_cell_too_long"
        case .badSheetName: "bad_sheet_name"
        case .notRecords: "not_records"
        case .xlsxWriter: "xlsx_writer_failed"
        }
    }

    public var description: String {
        switch self {
        case let .duckDBMissing(searched):
            "the DuckDB program is not installed: run `make venv` in the ElohimOS checkout (it installs duckdb-cli \(DuckDBInstall.pinnedVersion) into .venv), or point $ELOHIM_DUCKDB at a duckdb \(DuckDBInstall.pinnedVersion) binary (looked in: \(searched.joined(separator: ", ")))"
        case let .excelExtensionMissing(searched):
            "DuckDB's Excel extension is not installed, so .xlsx files cannot be read: run `make venv` (it installs duckdb-extension-excel \(DuckDBInstall.pinnedVersion) into .venv), or point $ELOHIM_DUCKDB_EXCEL at excel.duckdb_extension (looked in: \(searched.joined(separator: ", ")))"
        case let .cannotRead(path): "cannot read \(path): check that it exists and that you may read it"
        case let .cannotWrite(path, why): "cannot write \(path): \(why)"
        case let .unsupportedFormat(name):
            "\(name): the data engine reads .csv, .tsv, .json, .jsonl (or .ndjson), .xlsx and .parquet files; rename the file to say which it is"
        case let .badDatasetName(why): why
        case let .duplicateTable(table, a, b): "\(a) and \(b) would both be the table \(table): rename one of them"
        case let .badJSON(line, column, what): "bad JSON at line \(line), column \(column): \(what)"
        case let .badFile(dataset, what): "\(dataset) cannot be read: \(what)"
        case let .tooLarge(what, limit): "\(what) is larger than the limit of \(limit)"
        case .emptyQuery: "the query is empty: write one SELECT statement"
        case let .sqlRefused(why): why
        case let .queryFailed(message): message
        case let .timedOut(seconds): "the query ran longer than \(DataEngineError.seconds(seconds)) and was stopped: narrow it, or raise the timeout"
        case .cancelled: "the query was cancelled"
        case let .resultTooLarge(bytes): "the result page is larger than \(bytes / (1 << 20)) MiB: ask for fewer rows (a smaller limit) or fewer columns"
        case let .engineCrashed(status, stderr):
            "DuckDB stopped unexpectedly (status \(status))\(stderr.isEmpty ? "" : ": \(stderr)"); if it ran out of memory, narrow the query or raise the memory limit"
        case let .busy(running): "\(running) queries are running, the most this node runs at once: try again in a moment"
        case let .expansionTooLarge(rows, maxRows):
            "flattening this JSON would produce \(rows) rows, more than --max-rows \(maxRows): raise --max-rows, or use --arrays join so arrays of scalars stay in one cell"
        case let .excelRowLimit(sheet, rows):
            "sheet '\(sheet)' would have \(rows) rows with its header, more than Excel's 1,048,576: split the input"
        case let .excelColumnLimit(sheet, columns):
            "sheet '\(sheet)' would have \(columns) columns, more than Excel's 16,384: the records have too many distinct fields"
        case let .excelCellTooLong(sheet, record, column, characters):
            "sheet '\(sheet)', record \(record), column '\(column)': a cell of \(characters) characters, more than Excel's 32,767"
        case let .badSheetName(name, why): "'\(name)' cannot name an Excel sheet: \(why)"
        case let .notRecords(what): what
        case let .xlsxWriter(what): "writing the .xlsx file failed: \(what)"
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }
}
