import DataEngine
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Services
import Synchronization

/// `/api/v1/data`: the data engine over HTTP. Each account has its own datasets (uploaded files,
/// under `<data>/data-engine/accounts/<account>/`) and its own query history; a query sees only
/// the caller's datasets, each a table named after it. Any caller may use it (the founder and the
/// node's operator too, as accounts of their own).
///
/// Limits: an upload is at most 256 MiB (413 past it), an account holds 100 datasets and 1 GiB;
/// a JSON body for `json2xlsx` at most 64 MiB; a query runs at most 300 s and returns at most
/// 100,000 rows a page; at most 2 queries run on the node at once (429 past it).
struct DataRoutes: Sendable {
    let store: DatasetStore
    let history: QueryHistory
    let clock: @Sendable () -> UInt64
    private let state = State()

    /// The queries running now, and DuckDB once found.
    private final class State: Sendable {
        let running = Mutex(0)
        let install = Mutex<DuckDBInstall?>(nil)
    }

    static let maxRunning = 2
    /// How many rows a converted workbook holds.
    static let rowsHeader = HTTPFields.rowsHeaderName
    static let maxJSONBytes = 64 << 20

    init(folder: String, clock: @escaping @Sendable () -> UInt64) {
        store = DatasetStore(root: (folder as NSString).appendingPathComponent("data-engine"))
        history = QueryHistory(store: store)
        self.clock = clock
    }

    struct QueryRequest: Decodable {
        let sql: String
        let limit: Int?
        let offset: Int?
        let format: String?
    }
    struct DatasetList: ResponseEncodable { let datasets: [DatasetStore.Info] }
    struct DatasetInfoView: ResponseCodable { let name: String; let table: String; let format: DatasetFormat; let size: Int }
    struct DatasetView: ResponseCodable {
        let name: String
        let table: String
        let format: DatasetFormat
        let size: Int
        let columns: [Column]
        let rows: Int
    }
    struct SchemaView: ResponseCodable { let columns: [Column]; let rows: Int }
    struct HistoryView: ResponseCodable { let queries: [QueryHistory.Entry] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let data = router.group("/api/v1/data")
        data.post("/datasets") { request, context -> EditedResponse<DatasetView> in
            let account = try Self.account(context)
            guard let name = request.uri.queryParameters["name"].map(String.init) else {
                throw APIError.badRequest("name the dataset: POST /api/v1/data/datasets?name=sales.csv (its extension says its format)")
            }
            let upload = try Self.mapped { try store.beginUpload(account: account, name: name) }
            do {
                try await Self.stream(request.body, to: upload, limit: store.limits.maxDatasetBytes, what: "a dataset")
                let schema = try await Self.mapped {
                    try await engine().schema(of: try Dataset(path: upload, table: Dataset.tableName(forFile: name), label: name))
                }
                let info = try Self.mapped { try store.commit(upload: upload, account: account, name: name) }
                return EditedResponse(status: .created, response: DatasetView(name: info.name, table: info.table, format: info.format, size: info.size,
                                                                              columns: schema.columns, rows: schema.rows))
            } catch {
                try? FileManager.default.removeItem(atPath: upload)
                throw error
            }
        }
        data.get("/datasets") { _, context -> DatasetList in
            DatasetList(datasets: try Self.mapped { try store.list(account: try Self.account(context)) })
        }
        data.get("/datasets/{name}/schema") { _, context -> SchemaView in
            let account = try Self.account(context)
            let name = try context.parameters.require("name")
            let schema = try await Self.mapped { try await engine().schema(of: try store.dataset(account: account, name: name)) }
            return SchemaView(columns: schema.columns, rows: schema.rows)
        }
        data.delete("/datasets/{name}") { _, context -> DatasetInfoView in
            let account = try Self.account(context)
            let name = try context.parameters.require("name")
            return try Self.mapped {
                guard let info = try store.list(account: account).first(where: { $0.name == name }), try store.delete(account: account, name: name) else {
                    throw DataEngineError.cannotRead("dataset \(name)")
                }
                return DatasetInfoView(name: info.name, table: info.table, format: info.format, size: info.size)
            }
        }
        data.post("/query") { request, context -> Response in
            let account = try Self.account(context)
            let body = try await request.decode(as: QueryRequest.self, context: context)
            let result = try await run(body, account: account)
            var out = "{\"columns\":"
            // Sorted keys: Foundation's encoder does not promise an order, and answers must not vary.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            out += String(decoding: try encoder.encode(result.columns), as: UTF8.self)
            out += ",\"rows\":"
            JSONValue.array(result.rows.map { .array($0) }).write(to: &out)
            out += ",\"truncated\":\(result.truncated)}"
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: out)))
        }
        data.post("/export") { request, context -> Response in
            let account = try Self.account(context)
            let body = try await request.decode(as: QueryRequest.self, context: context)
            guard let format = ResultExport.Format(rawValue: body.format ?? "csv") else {
                throw APIError.badRequest("format must be csv, json or xlsx; got '\(body.format ?? "")'")
            }
            let result = try await run(body, account: account)
            let bytes: [UInt8]
            switch format {
            case .csv: bytes = Array(ResultExport.csv(result).utf8)
            case .json: bytes = Array(ResultExport.json(result).utf8)
            case .xlsx:
                let path = store.scratch + "/export-\(UUID().uuidString).xlsx"
                try? FileManager.default.createDirectory(atPath: store.scratch, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: path) }
                try Self.mapped { try ResultExport.xlsx(result, to: path, temporaryFolder: store.scratch) }
                bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
            }
            return Response(status: .ok, headers: [.contentType: format.mediaType, .contentDisposition: "attachment; filename=\"result.\(format.rawValue)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        data.get("/history") { _, context -> HistoryView in
            HistoryView(queries: try Self.mapped { try history.entries(account: try Self.account(context)) })
        }
        data.post("/json2xlsx") { request, context -> Response in
            _ = try Self.account(context)
            let q = request.uri.queryParameters
            var options = JSONToXLSX.Options()
            if let m = q["maxRows"].map(String.init) {
                guard let n = UInt64(m), (1...ExcelLimits.rows).contains(n) else { throw APIError.badRequest("maxRows must be 1 to \(ExcelLimits.rows); got '\(m.prefix(40))'") }
                options.maxRows = n
            }
            if let a = q["arrays"].map(String.init) {
                guard let mode = Flattening.Arrays(rawValue: a) else { throw APIError.badRequest("arrays must be join or expand; got '\(a.prefix(40))'") }
                options.flattening.arrays = mode
            }
            if let l = q["lines"].map(String.init) {
                guard l == "true" || l == "false" else { throw APIError.badRequest("lines must be true or false; got '\(l.prefix(40))'") }
                options.lines = l == "true"
            } else {
                options.lines = false
            }
            let work = store.scratch + "/json2xlsx-\(UUID().uuidString)"
            try Self.mapped {
                do { try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                    throw DataEngineError.cannotWrite(work, error.localizedDescription)
                }
            }
            defer { try? FileManager.default.removeItem(atPath: work) }
            let input = work + "/in.json", output = work + "/out.xlsx"
            FileManager.default.createFile(atPath: input, contents: nil, attributes: [.posixPermissions: 0o600])
            try await Self.stream(request.body, to: input, limit: Self.maxJSONBytes, what: "the JSON")
            options.temporaryFolder = work
            let report = try await Self.mapped { try await JSONToXLSX.convertInBackground(input: input, output: output, options: options) }
            let bytes = [UInt8](FileManager.default.contents(atPath: output) ?? Data())
            return Response(status: .ok, headers: [
                .contentType: ResultExport.Format.xlsx.mediaType,
                .contentDisposition: "attachment; filename=\"converted.xlsx\"",
                Self.rowsHeader: "\(report.rows)",
            ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Runs a query over the caller's datasets, at most `maxRunning` at once, and records it in
    /// the caller's history.
    private func run(_ body: QueryRequest, account: String) async throws -> QueryResult {
        let limit = body.limit ?? 1_000, offset = body.offset ?? 0
        guard (1...100_000).contains(limit) else { throw APIError.badRequest("limit must be 1 to 100000 rows; page with offset") }
        guard offset >= 0 else { throw APIError.badRequest("offset must be 0 or more") }
        let admitted = state.running.withLock { n -> Bool in
            guard n < Self.maxRunning else { return false }
            n += 1
            return true
        }
        guard admitted else { throw Self.apiError(DataEngineError.busy(running: Self.maxRunning)) }
        defer { state.running.withLock { $0 -= 1 } }
        let start = ContinuousClock.now
        do {
            let result = try await Self.mapped {
                // Only the datasets the SQL names (a view is only reachable by its name), so a
                // query that uses no .xlsx does not wait for the Excel extension to load.
                let text = body.sql.lowercased()
                let named = try store.datasets(account: account).filter { text.contains($0.table.lowercased()) }
                return try await engine().query(body.sql, datasets: named, limit: limit, offset: offset)
            }
            try? history.record(.init(at: clock(), sql: body.sql, rows: result.rows.count, ms: Self.ms(since: start), error: nil), account: account)
            return result
        } catch let e as APIError {
            try? history.record(.init(at: clock(), sql: body.sql, rows: nil, ms: Self.ms(since: start), error: e.code), account: account)
            throw e
        }
    }

    private static func ms(since start: ContinuousClock.Instant) -> Int {
        let d = ContinuousClock.now - start
        return Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// The engine, DuckDB located once (and again while it is missing, so `make venv` while the
    /// node runs is enough).
    private func engine() throws -> SQLEngine {
        let found = try state.install.withLock { cached -> DuckDBInstall in
            if let cached { return cached }
            let found = try DuckDBInstall.locate()
            cached = found
            return found
        }
        return SQLEngine(install: found, folder: store.scratch, readerCache: ReaderCache(folder: store.readerCache))
    }

    /// The caller's folder name: an account's ID, or `operator` for the node's operator.
    static func account(_ context: APIRequestContext) throws -> String {
        switch try context.requireCaller() {
        case let .account(a): "account-\(a.id)"
        case .nodeOperator: "operator"
        }
    }

    /// Writes a request body to `path`, refusing (413) past `limit` bytes.
    static func stream(_ body: RequestBody, to path: String, limit: Int, what: String) async throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { throw apiError(DataEngineError.cannotWrite(path, "cannot open it")) }
        defer { try? handle.close() }
        var total = 0
        for try await chunk in body {
            total += chunk.readableBytes
            guard total <= limit else {
                throw APIError(.contentTooLarge, "too_large", "\(what) is larger than the limit of \(limit >> 20) MiB")
            }
            try handle.write(contentsOf: chunk.readableBytesView)
        }
        guard total > 0 else { throw APIError.badRequest("\(what) is empty: send the file as the request body") }
    }

    /// Runs `body`, turning the engine's errors into the API's.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as DataEngineError { throw apiError(e) }
    }

    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DataEngineError { throw apiError(e) }
    }

    /// The HTTP status each engine error answers with.
    static func apiError(_ e: DataEngineError) -> APIError {
        let status: HTTPResponse.Status
        switch e {
        case .duckDBMissing, .excelExtensionMissing: status = .serviceUnavailable
        case .cannotRead: status = .notFound
        case .tooLarge, .resultTooLarge: status = .contentTooLarge
        case .timedOut: status = .requestTimeout
        case .busy: status = .tooManyRequests
        case .engineCrashed, .cannotWrite, .xlsxWriter: status = .internalServerError
        default: status = .badRequest
        }
        var headers: HTTPFields = [:]
        if case .busy = e { headers[.retryAfter] = "1" }
        let message: String
        if case let .cannotRead(what) = e { message = "no \(what) here: list them with GET /api/v1/data/datasets" } else { message = e.description }
        return APIError(status, e.code, message, headers: headers)
    }
}

extension HTTPFields {
    static let rowsHeaderName = HTTPField.Name("X-Rows")!
}
