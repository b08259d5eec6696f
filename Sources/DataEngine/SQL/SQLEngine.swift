import Foundation

/// SQL over files, by DuckDB run as a supervised child process, one per query.
///
/// Why one process per query and not one per session: see README "Data engine" (the figures).
/// In short, a query on a file reads the file again either way; a fresh process costs ~50 ms
/// and makes timeout, cancellation and a crash or memory blow-up each end exactly one query.
///
/// The sandbox, set before any user SQL runs and then locked (`lock_configuration`):
/// - `enable_external_access = false` with `allowed_paths` = exactly the datasets' files and
///   `allowed_directories` = this query's own spill folder: no other file is read or written;
/// - extensions: no autoload, no autoinstall, no community ones; the Excel extension is loaded by
///   path before the lock, and `LOAD`/`INSTALL` afterwards are refused;
/// - a memory limit, a spill limit, and `threads`.
/// The user's SQL never reaches the DuckDB shell as text: it is base64 inside
/// `query(decode(from_base64('…')))`, which runs exactly one SELECT-like statement, so neither a
/// second statement, nor `COPY`/`ATTACH`/`SET`/`LOAD`, nor a shell dot-command (`.shell`) can
/// be smuggled in.
public struct SQLEngine: Sendable {
    public struct Limits: Sendable {
        /// Seconds a query may run before it is killed.
        public var timeoutSeconds: Double = 300
        /// DuckDB's memory limit, MiB.
        public var memoryLimitMiB = 2_048
        /// Bytes DuckDB may spill to disk in the query's own folder, MiB.
        public var spillLimitMiB = 4_096
        /// DuckDB threads (nil: one per core).
        public var threads: Int?
        /// Bytes of one page of results, as DuckDB prints them.
        public var maxResultBytes = 64 << 20
        /// Rows in one page.
        public var maxRowsPerPage = 100_000
        /// Bytes of SQL text.
        public var maxSQLBytes = 1 << 20
        /// Datasets in one query.
        public var maxDatasets = 64

        public init() {}
    }

    public let install: DuckDBInstall
    /// The engine's own folder: each query gets a subfolder (its script and spill files), removed
    /// when it ends.
    public let folder: String
    public var limits: Limits
    /// Where CSV and TSV files' sniffed readers are kept (`PinnedCSVReader`); nil: every query
    /// sniffs its files again.
    public var readerCache: ReaderCache?

    public init(install: DuckDBInstall, folder: String, limits: Limits = Limits(), readerCache: ReaderCache? = nil) {
        self.install = install
        self.folder = folder
        self.limits = limits
        self.readerCache = readerCache
    }

    /// Runs `sql` (one SELECT, WITH, FROM-first, VALUES, DESCRIBE or SUMMARIZE statement) over
    /// `datasets`, each a view named after its file, and returns rows `offset ..< offset + limit`.
    public func query(_ sql: String, datasets: [Dataset], limit: Int = 1_000, offset: Int = 0) async throws -> QueryResult {
        let text = try Self.checked(sql, limits: limits)
        guard (1...limits.maxRowsPerPage).contains(limit) else {
            throw DataEngineError.sqlRefused("limit must be between 1 and \(limits.maxRowsPerPage) rows; page through larger results with offset")
        }
        guard offset >= 0 else { throw DataEngineError.sqlRefused("offset must be 0 or more") }
        let encoded = Data(text.utf8).base64EncodedString()
        let body = [
            "CREATE TEMP TABLE elohim_result AS FROM query(decode(from_base64('\(encoded)'))) LIMIT \(limit + 1) OFFSET \(offset);",
            ".print \(Marker.columns)",
            "DESCRIBE elohim_result;",
            ".print \(Marker.rows)",
            "FROM elohim_result;",
        ]
        let sections = try await run(datasets: datasets, body: body, markers: [Marker.columns, Marker.rows])
        let columns = try Self.columns(sections[0])
        var rows = try Self.rows(sections[1], width: columns.count)
        let truncated = rows.count > limit
        if truncated { rows.removeLast(rows.count - limit) }
        return QueryResult(columns: columns, rows: rows, truncated: truncated)
    }

    /// The columns DuckDB infers for `dataset` and its row count (which reads it all, so a bad
    /// row anywhere is found).
    public func schema(of dataset: Dataset) async throws -> Schema {
        // The strict readers first: DuckDB guesses past some faults (a trailing comma in JSON,
        // bytes that are not UTF-8 in a CSV) that a schema should name.
        switch dataset.format {
        case .json, .jsonl: try Self.validateJSON(dataset)
        case .csv, .tsv:
            if let problem = CSVCheck.firstProblem(path: dataset.path, delimiter: dataset.format == .tsv ? 0x09 : 0x2C) {
                throw DataEngineError.badFile(dataset: dataset.label, problem)
            }
        default: break
        }
        let body = [
            ".print \(Marker.columns)",
            "DESCRIBE \(dataset.quotedTable);",
            ".print \(Marker.rows)",
            "SELECT count(*) AS n FROM \(dataset.quotedTable);",
        ]
        let sections = try await run(datasets: [dataset], body: body, markers: [Marker.columns, Marker.rows])
        let columns = try Self.columns(sections[0])
        guard case let .array(items) = try JSONReader(bytes: sections[1]).readValue(), case let .object(m)? = items.first,
              case let .number(n)? = m.first?.value, let count = Int(n) else {
            throw DataEngineError.engineCrashed(status: 0, "the row count was not understood")
        }
        return Schema(columns: columns, rows: count)
    }

    enum Marker {
        static let columns = "@@ELOHIM-COLUMNS@@"
        static let rows = "@@ELOHIM-ROWS@@"
        static let end = "@@ELOHIM-END@@"
        /// Followed by the dataset's number and `@@`.
        static let sniff = "@@ELOHIM-SNIFF-"
    }

    /// Checks the SQL text before it goes anywhere: not empty, not too long, no NUL.
    static func checked(_ sql: String, limits: Limits) throws -> String {
        var text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(";") { text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard !text.isEmpty else { throw DataEngineError.emptyQuery }
        guard text.utf8.count <= limits.maxSQLBytes else { throw DataEngineError.tooLarge(what: "the SQL text", limit: "\(limits.maxSQLBytes) bytes") }
        guard !text.unicodeScalars.contains("\u{0}") else { throw DataEngineError.sqlRefused("the SQL text contains a NUL character") }
        return text
    }

    /// The script DuckDB runs: the sandbox, the views, then `body`; its output split at `markers`.
    func run(datasets: [Dataset], body: [String], markers: [String]) async throws -> [[UInt8]] {
        guard datasets.count <= limits.maxDatasets else { throw DataEngineError.tooLarge(what: "the list of datasets", limit: "\(limits.maxDatasets) datasets") }
        try Dataset.checkDistinct(datasets)
        if datasets.contains(where: { $0.format == .xlsx }), install.excelExtension == nil {
            throw DataEngineError.excelExtensionMissing(searched: install.excelSearched)
        }
        let fm = FileManager.default
        let runFolder = (folder as NSString).appendingPathComponent("run-\(UUID().uuidString)")
        let spill = (runFolder as NSString).appendingPathComponent("spill")
        do {
            try fm.createDirectory(atPath: spill, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch { throw DataEngineError.cannotWrite(runFolder, "\(error.localizedDescription)") }
        defer { try? fm.removeItem(atPath: runFolder) }
        guard !runFolder.contains("'") else { throw DataEngineError.cannotWrite(runFolder, "the engine's folder may not contain a quote") }

        var lines = [
            "SET autoinstall_known_extensions = false;",
            "SET autoload_known_extensions = false;",
            "SET allow_community_extensions = false;",
        ]
        if datasets.contains(where: { $0.format == .xlsx }), let excel = install.excelExtension {
            lines.append("LOAD '\(excel.replacingOccurrences(of: "'", with: "''"))';")
        }
        lines += [
            "SET memory_limit = '\(limits.memoryLimitMiB)MiB';",
            "SET temp_directory = '\(spill)';",
            "SET max_temp_directory_size = '\(limits.spillLimitMiB)MiB';",
        ]
        if let threads = limits.threads { lines.append("SET threads = \(max(1, threads));") }
        let allowed = datasets.map { "'\($0.path)'" }.joined(separator: ", ")
        lines += [
            "SET allowed_paths = [\(allowed)];",
            "SET allowed_directories = ['\(spill)/'];",
            "SET enable_external_access = false;",
            "SET lock_configuration = true;",
        ]
        // CSV and TSV files read as their pinned reader says, when this version of the file has
        // one; the others are sniffed once more at the end, so the next query has it.
        var toSniff: [(dataset: Dataset, identity: FileIdentity)] = []
        for d in datasets {
            var reader = d.reader
            if let cache = readerCache, d.format == .csv || d.format == .tsv, let identity = FileIdentity(path: d.path) {
                if let pinned = cache.reader(for: d, identity: identity) { reader = pinned.tableFunction }
                else { toSniff.append((d, identity)) }
            }
            lines.append("CREATE VIEW \(d.quotedTable) AS FROM \(reader);")
        }
        lines.append(".mode json")
        lines += body
        let sniffMarkers = toSniff.indices.map { "\(Marker.sniff)\($0)@@" }
        for (marker, item) in zip(sniffMarkers, toSniff) {
            lines.append(".print \(marker)")
            lines.append(PinnedCSVReader.sniffQuery(for: item.dataset))
        }
        lines.append(".print \(Marker.end)")
        let script = (runFolder as NSString).appendingPathComponent("script.sql")
        // Written plainly: createFile(atPath:contents:) would fsync a file that lives for one query.
        guard fm.createFile(atPath: script, contents: nil, attributes: [.posixPermissions: 0o600]), let handle = FileHandle(forWritingAtPath: script) else {
            throw DataEngineError.cannotWrite(script, "cannot create the query's script")
        }
        do {
            try handle.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
            try handle.close()
        } catch { throw DataEngineError.cannotWrite(script, error.localizedDescription) }

        let child = ChildProcess(executable: install.binary, arguments: ["-no-init", "-batch", "-bail", ":memory:"],
                                 workingDirectory: runFolder,
                                 environment: ["HOME": runFolder, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": spill],
                                 timeout: limits.timeoutSeconds, maxOutput: limits.maxResultBytes)
        let outcome = try await child.run(stdinPath: script)
        guard outcome.status == 0 else {
            throw explain(stderr: outcome.stderr, status: outcome.status, signaled: outcome.signaled, datasets: datasets)
        }
        let sections = try Self.split(outcome.stdout, markers: markers + sniffMarkers)
        if let cache = readerCache {
            for (item, answer) in zip(toSniff, sections.suffix(toSniff.count)) {
                // Kept only when the file did not change while it was read.
                guard FileIdentity(path: item.dataset.path) == item.identity,
                      let pinned = PinnedCSVReader(sniffed: answer, path: item.dataset.path, identity: item.identity) else { continue }
                cache.store(pinned)
            }
        }
        return Array(sections.prefix(markers.count))
    }

    /// Splits DuckDB's output at the marker lines; a missing one means the run was cut short.
    static func split(_ out: [UInt8], markers: [String]) throws -> [[UInt8]] {
        var sections: [[UInt8]] = []
        var rest = out[...]
        for marker in markers + [Marker.end] {
            let needle = Array((marker + "\n").utf8)
            guard let at = rest.firstRange(of: needle) else {
                throw DataEngineError.engineCrashed(status: 0, "its output ended early (no \(marker))")
            }
            sections.append(Array(rest[rest.startIndex..<at.lowerBound]))
            rest = rest[at.upperBound...]
        }
        return Array(sections.dropFirst())
    }

    /// Columns from `DESCRIBE`'s JSON rows.
    static func columns(_ bytes: [UInt8]) throws -> [Column] {
        guard case let .array(items) = try JSONReader(bytes: bytes).readValue() else { return [] }
        return try items.map { item in
            guard case let .object(m) = item, case let .string(name)? = m.first(where: { $0.key == "column_name" })?.value,
                  case let .string(type)? = m.first(where: { $0.key == "column_type" })?.value else {
                throw DataEngineError.engineCrashed(status: 0, "the result's columns were not understood")
            }
            return Column(name: name, type: type)
        }
    }

    /// Rows from DuckDB's JSON mode: an array of objects whose members are the columns in order.
    static func rows(_ bytes: [UInt8], width: Int) throws -> [[JSONValue]] {
        var limits = JSONReader.Limits()
        limits.allowNonFinite = true
        limits.maxValueBytes = Int.max
        limits.maxDepth = 256
        let reader = JSONReader(bytes: bytes, limits: limits)
        if try reader.atEnd() { return [] }
        try reader.beginArray()
        var rows: [[JSONValue]] = []
        var first = true
        while try reader.nextElement(first: first) {
            first = false
            guard case let .object(members) = try reader.readValue(), members.count == width else {
                throw DataEngineError.engineCrashed(status: 0, "a result row was not understood")
            }
            rows.append(members.map(\.value))
        }
        return rows
    }

    /// DuckDB's error, said for the person: paths replaced by the datasets' names, our wrapper's
    /// `LINE 1:` context dropped, and for a CSV or JSON file that fails, the first bad line.
    func explain(stderr: String, status: Int32, signaled: Bool, datasets: [Dataset]) -> DataEngineError {
        var text = stderr.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        for d in datasets { text = text.replacingOccurrences(of: d.path, with: d.label) }
        text = text.replacingOccurrences(of: folder, with: "<engine folder>")
        // DuckDB's `LINE n:` context always shows one of our own statements (the user's SQL is
        // inside query(…)): drop it and its caret, noting which dataset's view failed if any.
        var kept: [String] = []
        var skipCaret = false
        var failedView: Dataset?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("LINE ") {
                failedView = failedView ?? datasets.first { line.contains("CREATE VIEW \($0.quotedTable)") }
                skipCaret = true
                continue
            }
            if skipCaret { skipCaret = false; if line.trimmingCharacters(in: .whitespaces) == "^" { continue } }
            if line.hasPrefix("-- Loading resources") { continue }
            kept.append(String(line))
        }
        while kept.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { kept.removeLast() }
        if kept.count > 30 { kept = Array(kept.prefix(30)) + ["…"] }
        let message = kept.joined(separator: "\n")
        guard !signaled else { return .engineCrashed(status: status, message) }
        // A file problem: find the line ourselves, so the message says where and what.
        for d in datasets where d.label == failedView?.label || message.contains(d.label) || message.contains("CSV") || message.contains("JSON") {
            switch d.format {
            case .csv, .tsv:
                if let problem = CSVCheck.firstProblem(path: d.path, delimiter: d.format == .tsv ? 0x09 : 0x2C) {
                    return .badFile(dataset: d.label, problem)
                }
            case .json, .jsonl:
                do { try Self.validateJSON(d) } catch let e as DataEngineError { return e } catch {}
            default: break
            }
        }
        if let failedView { return .badFile(dataset: failedView.label, message) }
        return .queryFailed(message.isEmpty ? "DuckDB failed (status \(status)) without saying why" : message)
    }

    /// Reads a JSON or JSON Lines dataset through the strict reader (DuckDB's is lenient about
    /// trailing commas and the like), so a bad file is named with its line and column.
    static func validateJSON(_ d: Dataset) throws {
        do {
            try JSONRecords.forEach(try JSONReader(path: d.path), lines: d.format == .jsonl) { _, _ in }
        } catch let e as DataEngineError {
            if case .badJSON = e { throw DataEngineError.badFile(dataset: d.label, e.description) }
            if case .notRecords = e { throw DataEngineError.badFile(dataset: d.label, e.description) }
            throw e
        }
    }
}
