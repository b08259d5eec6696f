import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One version of one file on disk: which file (device, inode), and which contents (size,
/// modification and status-change times to the nanosecond; the change time cannot be set back by
/// `touch -r` or `cp -p`). A file written again gets another identity.
public struct FileIdentity: Sendable, Codable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var changedNanoseconds: Int64

    /// The identity of the file at `path` now, or nil when it cannot be read.
    public init?(path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
        size = Int64(s.st_size)
        modifiedNanoseconds = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
        changedNanoseconds = Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec)
    }

    /// A file name for it (digits and dashes only).
    var key: String { "\(device)-\(inode)-\(size)-\(modifiedNanoseconds)-\(changedNanoseconds)" }
}

/// How DuckDB's sniffer read a CSV or TSV file, written down so the next query of the same file
/// version reads it the same way without sniffing again.
///
/// Why: a view over `read_csv(path, …)` is bound when it is created and again when a query uses
/// it, and each binding samples the file to guess its dialect and types (~30 ms for a 20 MiB
/// file, README "Data engine"). With every option pinned (`auto_detect=false`, the columns and
/// their types) the view costs nothing to create and the query reads the file exactly as before.
///
/// Rules it keeps: it is built from DuckDB's own `sniff_csv` answer for the same file and the same
/// options the engine reads with; it is used only for the file version it was made from
/// (`identity`); every value reaches SQL as a quoted literal built here, never as text read back.
public struct PinnedCSVReader: Sendable, Codable, Equatable {
    public var path: String
    public var identity: FileIdentity
    public var delimiter: String
    public var quote: String
    public var escape: String
    public var newLine: String
    public var comment: String
    public var skipRows: Int
    public var header: Bool
    public var columns: [Column]
    public var dateFormat: String?
    public var timestampFormat: String?

    /// The sniff query for `dataset` (its answer is one JSON row `init(sniffed:…)` reads).
    static func sniffQuery(for dataset: Dataset) -> String {
        let delimiter = dataset.format == .tsv ? "'\\t'" : "','"
        return "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns, DateFormat, TimestampFormat "
            + "FROM sniff_csv(\(literal(dataset.path)), delim=\(delimiter), header=true);"
    }

    /// Reads DuckDB's JSON answer to `sniffQuery`; nil when it is not what was expected (then the
    /// file is simply sniffed again next time).
    init?(sniffed bytes: [UInt8], path: String, identity: FileIdentity) {
        guard case let .array(rows)? = try? JSONReader(bytes: bytes).readValue(), rows.count == 1,
              case let .object(members) = rows[0] else { return nil }
        func value(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }
        func text(_ key: String) -> String? {
            guard case let .string(s)? = value(key) else { return nil }
            return s == "(empty)" ? "" : s  // how sniff_csv says "none"
        }
        func optionalText(_ key: String) -> String?? {
            switch value(key) {
            case .null?: return .some(nil)
            case let .string(s)?: return .some(s)
            default: return nil
            }
        }
        guard let delimiter = text("Delimiter"), let quote = text("Quote"), let escape = text("Escape"),
              let newLine = text("NewLineDelimiter"), let comment = text("Comment"),
              case let .number(skip)? = value("SkipRows"), let skipRows = Int(skip),
              case let .bool(header)? = value("HasHeader"),
              case let .array(columnValues)? = value("Columns"), !columnValues.isEmpty,
              let dateFormat = optionalText("DateFormat"), let timestampFormat = optionalText("TimestampFormat") else { return nil }
        var columns: [Column] = []
        for c in columnValues {
            guard case let .object(m) = c, case let .string(name)? = m.first(where: { $0.key == "name" })?.value,
                  case let .string(type)? = m.first(where: { $0.key == "type" })?.value else { return nil }
            columns.append(Column(name: name, type: type))
        }
        self.init(path: path, identity: identity, delimiter: delimiter, quote: quote, escape: escape, newLine: newLine,
                  comment: comment, skipRows: skipRows, header: header, columns: columns,
                  dateFormat: dateFormat, timestampFormat: timestampFormat)
    }

    init(path: String, identity: FileIdentity, delimiter: String, quote: String, escape: String, newLine: String,
         comment: String, skipRows: Int, header: Bool, columns: [Column], dateFormat: String?, timestampFormat: String?) {
        self.path = path
        self.identity = identity
        self.delimiter = delimiter
        self.quote = quote
        self.escape = escape
        self.newLine = newLine
        self.comment = comment
        self.skipRows = skipRows
        self.header = header
        self.columns = columns
        self.dateFormat = dateFormat
        self.timestampFormat = timestampFormat
    }

    /// The `read_csv(…)` call with every option given: what the sniffer found, nothing guessed.
    var tableFunction: String {
        let delim = delimiter == "\t" ? "'\\t'" : Self.literal(delimiter)
        var options = [
            Self.literal(path), "auto_detect=false", "delim=\(delim)", "quote=\(Self.literal(quote))",
            "escape=\(Self.literal(escape))", "skip=\(max(0, skipRows))",
            "comment=\(Self.literal(comment))", "header=\(header)",
            "columns={" + columns.map { "\(Self.literal($0.name)): \(Self.literal($0.type))" }.joined(separator: ", ") + "}",
        ]
        // A file without a line break (a header alone) has none to name: read_csv refuses ''.
        if !newLine.isEmpty { options.append("new_line=\(Self.literal(newLine))") }
        if let dateFormat { options.append("dateformat=\(Self.literal(dateFormat))") }
        if let timestampFormat { options.append("timestampformat=\(Self.literal(timestampFormat))") }
        return "read_csv(" + options.joined(separator: ", ") + ")"
    }

    /// `text` as a SQL string literal (quotes doubled; a NUL, which SQL text cannot hold, dropped).
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\u{0}", with: "").replacingOccurrences(of: "'", with: "''") + "'"
    }
}
