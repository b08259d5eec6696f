import Foundation

/// The file formats the engine reads, named by the file's extension.
public enum DatasetFormat: String, Sendable, Codable, CaseIterable {
    case csv, tsv, json, jsonl, xlsx, parquet

    /// The format a file name's extension says (`.ndjson` is JSON Lines), or nil.
    public init?(fileName: String) {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "csv": self = .csv
        case "tsv", "tab": self = .tsv
        case "json": self = .json
        case "jsonl", "ndjson": self = .jsonl
        case "xlsx": self = .xlsx
        case "parquet": self = .parquet
        default: return nil
        }
    }
}

/// A file given to a query: it becomes the view `table`, and it is the only file the query may read.
public struct Dataset: Sendable, Equatable {
    /// The SQL name of its view.
    public let table: String
    /// The file's absolute, symlink-free path (the path the sandbox allows, exactly).
    public let path: String
    public let format: DatasetFormat
    /// How messages name it (a file name; never the server's folder layout).
    public let label: String

    /// A dataset for the file at `path`, its table named after the file (`tableName(forFile:)`).
    public init(path: String, table: String? = nil, label: String? = nil) throws {
        let name = (path as NSString).lastPathComponent
        guard let format = DatasetFormat(fileName: name) else { throw DataEngineError.unsupportedFormat(name) }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: absolute) else { throw DataEngineError.cannotRead(path) }
        // The path goes into SQL as a string literal; refuse what could not be quoted plainly.
        guard !absolute.contains("'"), !absolute.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw DataEngineError.badDatasetName("\(name): a path with a quote or control character cannot be given to the engine; rename or move the file")
        }
        self.path = absolute
        self.format = format
        self.table = table ?? Self.tableName(forFile: name)
        self.label = label ?? name
    }

    /// The table a file becomes: its name without the extension, every character other than an
    /// ASCII letter, digit or underscore replaced by `_` (`sales-2024.csv` → `sales_2024`).
    public static func tableName(forFile name: String) -> String {
        let base = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
        let mapped = String(base.unicodeScalars.map { s -> Character in
            s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "_") ? Character(s) : "_"
        })
        return mapped.isEmpty ? "_" : mapped
    }

    /// Checks that no two datasets would be the same table (SQL names ignore case).
    public static func checkDistinct(_ datasets: [Dataset]) throws {
        var seen: [String: Dataset] = [:]
        for d in datasets {
            if let other = seen[d.table.lowercased()] { throw DataEngineError.duplicateTable(d.table, other.label, d.label) }
            seen[d.table.lowercased()] = d
        }
    }

    /// The table function that reads it, with the options that make bad input an error rather
    /// than a guess: CSV and TSV with their delimiter and a header line; JSON as records.
    var reader: String {
        let p = "'\(path)'"
        switch format {
        case .csv: return "read_csv(\(p), delim=',', header=true)"
        case .tsv: return "read_csv(\(p), delim='\\t', header=true)"
        case .json: return "read_json(\(p))"
        case .jsonl: return "read_json(\(p), format='newline_delimited')"
        case .xlsx: return "read_xlsx(\(p))"
        case .parquet: return "read_parquet(\(p))"
        }
    }

    /// `"table"` quoted as a SQL identifier.
    var quotedTable: String { "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
