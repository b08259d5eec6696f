import ArgumentParser
import DataEngine
import Foundation
import Services

/// `elohim data query|schema|json2xlsx`: the data engine on this machine, no node needed (except
/// to fetch from or store into a team's vault).
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "SQL over CSV, JSON, Excel and Parquet files, and JSON to Excel.",
        discussion: """
        Each file given to a query is a table named after the file, without its extension, every \
        character other than a letter, digit or underscore made '_' (sales-2024.csv is the table \
        sales_2024). Formats by extension: .csv, .tsv (a header line first), .json (an array of \
        objects), .jsonl/.ndjson (one object a line), .xlsx (its first sheet), .parquet.

          elohim data schema visits.csv
          elohim data query "SELECT village, count(*) AS visits FROM visits GROUP BY village" --file visits.csv
          elohim data query "SELECT * FROM visits v JOIN wells w USING (village)" --file visits.csv --file wells.xlsx --format csv
          elohim data json2xlsx survey.json -o survey.xlsx

        Queries run in DuckDB \(DuckDBInstall.pinnedVersion) (installed by `make venv`; or set \
        $ELOHIM_DUCKDB), sandboxed: they read only the files given, write nothing, load no \
        extension. One SELECT (or WITH, FROM, VALUES, DESCRIBE, SUMMARIZE) statement a query.
        """,
        subcommands: [DataQueryCommand.self, DataSchemaCommand.self, DataJSON2XLSXCommand.self]
    )
}

/// How the engine runs: where DuckDB is, and the query's limits.
struct EngineOptions: ParsableArguments {
    @Option(name: .customLong("duckdb"), help: ArgumentHelp("The duckdb program to run (default: the one `make venv` installed; also $ELOHIM_DUCKDB).", valueName: "path"))
    var duckdb: String?

    @Option(help: ArgumentHelp("Seconds a query may run before it is stopped.", valueName: "seconds"))
    var timeout: Double = 300

    @Option(name: .customLong("memory-limit"), help: ArgumentHelp("DuckDB's memory limit, in MiB.", valueName: "MiB"))
    var memoryLimit: Int = 2_048

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
        guard (64...1_048_576).contains(memoryLimit) else { throw ValidationError("--memory-limit must be between 64 and 1048576 MiB") }
    }

    /// An engine whose own folder is `folder`.
    func engine(folder: String) throws -> SQLEngine {
        var environment = ProcessInfo.processInfo.environment
        if let duckdb { environment["ELOHIM_DUCKDB"] = duckdb }
        var limits = SQLEngine.Limits()
        limits.timeoutSeconds = timeout
        limits.memoryLimitMiB = memoryLimit
        do {
            return SQLEngine(install: try DuckDBInstall.locate(environment: environment), folder: folder, limits: limits,
                             readerCache: ReaderCache.forUser(environment: environment))
        } catch { throw fail("\(error)") }
    }
}

/// A private folder for one command's scratch files, removed when the command ends.
final class ScratchFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-data-\(UUID().uuidString)").path
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw fail("cannot make a scratch folder in \(FileManager.default.temporaryDirectory.path): \(error.localizedDescription)")
        }
    }

    func sub(_ name: String) throws -> String {
        let p = (path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return p
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct DataQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run one SQL query over files (and files from a team's vault).",
        discussion: """
        Prints the rows as a table (default), CSV, or JSON (an array of row objects); --format \
        xlsx writes an Excel file (-o). At most --limit rows are printed (10,000 by default, up to \
        100,000); --offset pages further. A result cut short says so on standard error.

        From the vault: --vault-file NAME (repeatable) fetches a file of the team's vault and opens \
        it here, as a table named after it; --put-result NAME seals the result (as .csv, .json or \
        .xlsx, by NAME's extension) and stores it in the vault. Both need --team and the vault \
        passphrase (--passphrase-file, $ELOHIM_VAULT_PASSPHRASE, or a prompt), and a running node.

          elohim data query "SELECT * FROM visits WHERE date >= '2024-01-01'" --vault-file visits.csv --team <id> --put-result visits-2024.xlsx
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json, xlsx }

    @Argument(help: "The SQL: one statement, e.g. \"SELECT grp, count(*) FROM data GROUP BY grp\".") var sql: String

    @Option(name: .customLong("file"), help: ArgumentHelp("A file to query (repeatable): its table is its name without the extension.", valueName: "path"))
    var files: [String] = []

    @Option(help: "How to print the result: table, csv, json or xlsx (xlsx needs -o).") var format: Format = .table

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the result to this file instead of standard output.", valueName: "path"))
    var output: String?

    @Option(help: "The most rows to return (1 to 100,000).") var limit: Int = 10_000
    @Option(help: "Rows to skip first (for paging).") var offset: Int = 0

    @OptionGroup(title: "Engine") var engineOptions: EngineOptions

    @Option(name: .customLong("vault-file"), help: ArgumentHelp("A file of the team's vault to query (repeatable).", valueName: "name"))
    var vaultFiles: [String] = []

    @Option(name: .customLong("put-result"), help: ArgumentHelp("Store the result in the team's vault under this name (.csv, .json or .xlsx).", valueName: "name"))
    var putResult: String?

    @Option(help: ArgumentHelp("The team whose vault to use: its name, ID or ID prefix.", valueName: "team")) var team: String?

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the vault passphrase from this file (its first line).", valueName: "path"))
    var passphraseFile: String?

    @OptionGroup(title: "Node (for the vault)") var api: APIOptions

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
        guard offset >= 0 else { throw ValidationError("--offset must be 0 or more") }
        if format == .xlsx && output == nil { throw ValidationError("--format xlsx writes a file: name it with -o PATH") }
        if (!vaultFiles.isEmpty || putResult != nil) && team == nil { throw ValidationError("--vault-file and --put-result need --team") }
        if let putResult, ResultExport.Format(rawValue: (putResult as NSString).pathExtension.lowercased()) == nil {
            throw ValidationError("--put-result must end in .csv, .json or .xlsx (it says the format); got '\(putResult)'")
        }
    }

    func vault() async throws -> VaultSession {
        var options = try VaultOptions.parse(["--team", team ?? ""] + (passphraseFile.map { ["--passphrase-file", $0] } ?? []))
        options.api = api
        return try await options.open(starting: putResult != nil && vaultFiles.isEmpty)
    }

    func run() async throws {
        let scratch = try ScratchFolder()
        var datasets: [Dataset] = []
        do {
            datasets = try files.map { try Dataset(path: $0) }
        } catch { throw fail("\(error)") }
        var vaultAccess: VaultSession?
        if !vaultFiles.isEmpty || putResult != nil { vaultAccess = try await vault() }
        if let session = vaultAccess, !vaultFiles.isEmpty {
            let opened = try scratch.sub("vault")
            for name in vaultFiles {
                let local = (opened as NSString).appendingPathComponent((name as NSString).lastPathComponent)
                let (path, _) = try await VaultTransfer.get(name: name, output: { _, _ in local }, force: true, session: session)
                do { datasets.append(try Dataset(path: path, label: name)) } catch { throw fail("\(error)") }
            }
        }
        let engine = try engineOptions.engine(folder: try scratch.sub("engine"))
        let result: QueryResult
        do { result = try await engine.query(sql, datasets: datasets, limit: limit, offset: offset) } catch { throw fail("\(error)") }

        switch format {
        case .xlsx:
            do { try ResultExport.xlsx(result, to: output!, temporaryFolder: scratch.path) } catch { throw fail("\(error)") }
            FileHandleOutput.standardError("Wrote \(output!) (\(result.rows.count) rows)\n")
        case .table, .csv, .json:
            let text = format == .table ? ResultExport.table(result) : format == .csv ? ResultExport.csv(result) : ResultExport.json(result)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else { throw fail("cannot write \(output)") }
            } else {
                FileHandleOutput.standardOutput(text)
            }
        }
        if result.truncated && format != .table {
            FileHandleOutput.standardError("note: more rows follow the \(result.rows.count) given: raise --limit (up to 100,000) or page with --offset \(offset + result.rows.count)\n")
        }
        if let putResult, let session = vaultAccess {
            let kind = ResultExport.Format(rawValue: (putResult as NSString).pathExtension.lowercased())!
            let file = (try scratch.sub("result") as NSString).appendingPathComponent("result." + kind.rawValue)
            do {
                switch kind {
                case .xlsx: try ResultExport.xlsx(result, to: file, temporaryFolder: scratch.path)
                case .csv: try Data(ResultExport.csv(result).utf8).write(to: URL(fileURLWithPath: file))
                case .json: try Data(ResultExport.json(result).utf8).write(to: URL(fileURLWithPath: file))
                }
            } catch { throw fail("\(error)") }
            let (entry, stored, _) = try await VaultTransfer.put(path: file, name: putResult, session: session)
            FileHandleOutput.standardError("Stored the result as \(entry.name) in the team's vault (\(Progress.size(entry.size)), blob \(stored.blob))\n")
        }
    }
}

struct DataSchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Show the columns DuckDB infers for a file, their types, and its row count.",
        discussion: """
        Reads the whole file, so a bad row anywhere is found and named by its line. --format json \
        prints {"columns": [{"name", "type"}…], "rows": N}.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "The file.") var path: String
    @Option(help: "table or json.") var format: Format = .table
    @OptionGroup(title: "Engine") var engineOptions: EngineOptions

    func run() async throws {
        let scratch = try ScratchFolder()
        let engine = try engineOptions.engine(folder: try scratch.sub("engine"))
        let schema: Schema
        do { schema = try await engine.schema(of: try Dataset(path: path)) } catch { throw fail("\(error)") }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            FileHandleOutput.standardOutput(String(decoding: try encoder.encode(schema), as: UTF8.self) + "\n")
        case .table:
            let table = (try? Dataset(path: path).table) ?? ""
            let width = schema.columns.map(\.name.count).max() ?? 0
            var text = "table \(table): \(schema.rows) row\(schema.rows == 1 ? "" : "s"), \(schema.columns.count) column\(schema.columns.count == 1 ? "" : "s")\n"
            for c in schema.columns { text += "  " + c.name + String(repeating: " ", count: width - c.name.count) + "  " + c.type + "\n" }
            FileHandleOutput.standardOutput(text)
        }
    }
}

struct DataJSON2XLSXCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "json2xlsx",
        abstract: "Turn nested JSON into an Excel workbook, in constant memory.",
        discussion: """
        Nested objects become dotted columns (address.city). An array of objects becomes rows, one \
        per element, the record's other columns repeated; two such arrays side by side give every \
        combination. Arrays of scalars are joined into one cell ("a; b") or, with --arrays expand, \
        become rows too. A top-level object of arrays becomes one sheet per array (its other \
        members a sheet 'root'); JSON Lines (.jsonl, or --lines) one record a line.

        The rows are counted before anything is written: past --max-rows (100,000 by default) \
        nothing is written and the count is said. Excel's limits are kept: 1,048,576 rows and \
        16,384 columns a sheet, 32,767 characters a cell, sheet names of at most 31 characters \
        without [ ] : * ? / \\.
        """
    )

    @Argument(help: "The JSON file.") var input: String
    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The .xlsx file to write.", valueName: "path")) var output: String
    @Option(name: .customLong("max-rows"), help: "The most rows the expansion may produce, all sheets together.") var maxRows: UInt64 = 100_000
    @Option(help: "Arrays of scalars: join (one cell) or expand (rows).") var arrays: Flattening.Arrays = .join
    @Option(help: "Between the elements of a joined array.") var separator: String = "; "
    @Flag(help: "Read JSON Lines (one record a line) whatever the file's extension.") var lines = false

    func validate() throws {
        guard maxRows >= 1 else { throw ValidationError("--max-rows must be at least 1") }
        guard output.lowercased().hasSuffix(".xlsx") else { throw ValidationError("-o must name an .xlsx file; got '\(output)'") }
    }

    func run() async throws {
        var options = JSONToXLSX.Options(maxRows: maxRows, flattening: Flattening(arrays: arrays, separator: separator), lines: lines ? true : nil)
        options.temporaryFolder = (output as NSString).deletingLastPathComponent.isEmpty ? "." : (output as NSString).deletingLastPathComponent
        let report: JSONToXLSX.Report
        do { report = try await JSONToXLSX.convertInBackground(input: input, output: output, options: options) } catch { throw fail("\(error)") }
        var text = "Wrote \(output): \(report.rows) row\(report.rows == 1 ? "" : "s")\n"
        for s in report.sheets { text += "  sheet '\(s.name)': \(s.rows) rows, \(s.columns.count) columns\n" }
        FileHandleOutput.standardOutput(text)
    }
}

extension Flattening.Arrays: ExpressibleByArgument {}
