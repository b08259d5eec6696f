import ArgumentParser
import Foundation
import MeshNode
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// Where the commands that talk to a running node find it: the node's data folder (`--data-dir`,
/// else `$ELOHIM_DATA`, else `./.elohim`), whose `node.json` the running node writes with its
/// HTTP address, and whose `api-token` lets the CLI act as the node's operator. `--api` (or
/// `$ELOHIM_API`) names an address instead.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("api"), help: ArgumentHelp(
        "The node's HTTP API, e.g. http://127.0.0.1:8000 (default: where the node of --data-dir listens; also $ELOHIM_API).",
        valueName: "url"))
    var api: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The node's data folder on this machine (default: $ELOHIM_DATA, else ./.elohim): how the CLI finds the node and its operator token.",
        valueName: "folder"))
    var dataDir: String?

    @Option(name: .customLong("token"), help: ArgumentHelp(
        "A login token (POST /api/v1/auth/login) to use instead of the operator token; also $ELOHIM_TOKEN.", valueName: "jwt"))
    var token: String?

    /// The data folder and what chose it, for messages.
    var folder: (path: String, source: String) { DataFolderOptions.resolve(dataDir) }

    /// A client for the node: at `--api`/`$ELOHIM_API`, else where the folder's node listens.
    func client() throws -> APIClient {
        let env = ProcessInfo.processInfo.environment
        let (folderPath, folderSource) = folder
        let fm = FileManager.default
        let folderExists = fm.fileExists(atPath: folderPath)
        var identity: NodeID?
        if folderExists, let pair = try? IdentityFile.load(at: URL(fileURLWithPath: folderPath).appendingPathComponent(IdentityFile.fileName)) {
            identity = NodeID(publicKey: pair.publicKey)
        }
        let target: (text: String, source: String)
        if let api {
            target = (api, "--api")
        } else if let a = env["ELOHIM_API"], !a.isEmpty {
            target = (a, "$ELOHIM_API")
        } else {
            guard folderExists else {
                throw fail("there is no data folder at \(folderPath) (\(folderSource)): point --data-dir at a node's folder, "
                           + "or start a node there with `elohim node run --data-dir \(folderPath)`")
            }
            guard let record = ListeningRecord.read(folder: folderPath), record.isAlive else {
                throw fail("no node is running on \(folderPath) (\(folderSource)): start it with `elohim node run --data-dir \(folderPath)`, "
                           + "or give --api if it runs elsewhere")
            }
            target = (record.http, "where the node of \(folderPath) listens (its node.json)")
        }
        var text = target.text
        if !text.contains("://") { text = "http://" + text }
        guard let url = URL(string: text), url.scheme == "http", url.host != nil else {
            throw fail("\(target.source) must be an http:// address such as http://127.0.0.1:8000; got '\(target.text)'")
        }
        let token = token ?? env["ELOHIM_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } ?? operatorToken(folderPath)
        return APIClient(base: url, source: target.source, token: token, folder: folderPath, folderNode: identity)
    }

    /// The operator token of the node whose data folder is `folder`, when this user can read it.
    private func operatorToken(_ folder: String) -> String? {
        let path = (folder as NSString).appendingPathComponent("api-token")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

/// A small JSON client for the node's API: the CLI is a thin adapter over the same routes
/// the web page uses.
struct APIClient: Sendable {
    let base: URL
    /// What chose `base` (a flag, a variable, the folder's node.json), for messages.
    var source: String = "--api"
    /// Sent as `Authorization: Bearer`; without one, the node answers 401 to all but login.
    var token: String?
    var folder: String?
    /// The node the data folder belongs to, when known: a 401 from another node says so.
    var folderNode: NodeID?

    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("GET", path, body: Optional<String>.none, timeout: 30)
    }

    func post<T: Decodable, B: Encodable>(_ path: String, _ body: B, timeout: TimeInterval = 30, as type: T.Type = T.self)
        async throws(CLIError) -> T {
        try await send("POST", path, body: body, timeout: timeout)
    }

    func put<T: Decodable, B: Encodable>(_ path: String, _ body: B, as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("PUT", path, body: body, timeout: 30)
    }

    func delete<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("DELETE", path, body: Optional<String>.none, timeout: 30)
    }

    /// POST of a JSON body; the answer's bytes as they came (for `--json`).
    func postRaw<B: Encodable>(_ path: String, _ body: B, timeout: TimeInterval = 30) async throws(CLIError) -> [UInt8] {
        try await exchange("POST", path, raw: (try? JSONEncoder().encode(body)).map([UInt8].init), contentType: "application/json",
                           timeout: timeout)
    }

    /// DELETE of something that answers 204 (no body).
    func deleteNoContent(_ path: String) async throws(CLIError) {
        _ = try await exchange("DELETE", path, raw: nil, contentType: nil, timeout: 30)
    }

    /// PUT of raw bytes (a sealed vault chunk).
    func putBytes<T: Decodable>(_ path: String, _ bytes: [UInt8], as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("PUT", path, raw: bytes, contentType: "application/octet-stream", timeout: 120)
    }

    /// POST of raw bytes (a document to index), with a long wait: the node reads and embeds it first.
    func postBytes<T: Decodable>(_ path: String, _ bytes: [UInt8], timeout: TimeInterval = 600, as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("POST", path, raw: bytes, contentType: "application/octet-stream", timeout: timeout)
    }

    /// POST of a JSON body answered by server-sent events, handed to `onEvent` as they arrive.
    func streamEvents(_ path: String, body: [UInt8], idle: TimeInterval = 300, onEvent: (String, Data) throws -> Void) throws(CLIError) {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let failed: HTTPExchange.Answer?
        do { failed = try HTTPEventStream.post(url(path), headers: headers, body: body, idle: idle, onEvent: onEvent) }
        catch let e as HTTPFailure { throw .unreachable(base.absoluteString, source, e) }
        catch { throw .unexpectedAnswer("\(path): \(error)") }
        guard let answer = failed else { return }
        if let e = try? JSONDecoder().decode(ErrorBody.self, from: Data(answer.body)) {
            throw .api(status: answer.status, code: e.error.code, message: e.error.message)
        }
        throw .api(status: answer.status, code: "http_\(answer.status)", message: String(decoding: answer.body.prefix(300), as: UTF8.self))
    }

    /// GET of raw bytes.
    func getBytes(_ path: String) async throws(CLIError) -> [UInt8] {
        try await exchange("GET", path, raw: nil, contentType: nil, timeout: 120)
    }

    private func send<T: Decodable, B: Encodable>(_ method: String, _ path: String, body: B?, timeout: TimeInterval)
        async throws(CLIError) -> T {
        try await send(method, path, raw: body.flatMap { try? JSONEncoder().encode($0) }.map([UInt8].init),
                       contentType: body == nil ? nil : "application/json", timeout: timeout)
    }

    private func send<T: Decodable>(_ method: String, _ path: String, raw: [UInt8]?, contentType: String?, timeout: TimeInterval)
        async throws(CLIError) -> T {
        let data = try await exchange(method, path, raw: raw, contentType: contentType, timeout: timeout)
        do { return try JSONDecoder().decode(T.self, from: Data(data)) } catch {
            throw .unexpectedAnswer("\(method) \(path): \(error)")
        }
    }

    private func exchange(_ method: String, _ path: String, raw: [UInt8]?, contentType: String?, timeout: TimeInterval)
        async throws(CLIError) -> [UInt8] {
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let contentType { headers.append(("Content-Type", contentType)) }
        let answer: HTTPExchange.Answer
        do { answer = try await HTTPExchange.send(url(path), method: method, headers: headers, body: raw, timeout: timeout) }
        catch { throw .unreachable(base.absoluteString, source, error) }
        guard (200..<300).contains(answer.status) else {
            if answer.status == 401, let other = await otherNode() { throw .wrongNode(answered: other, url: base.absoluteString, folder: folder ?? "") }
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: Data(answer.body)) {
                throw .api(status: answer.status, code: e.error.code, message: e.error.message)
            }
            throw .api(status: answer.status, code: "http_\(answer.status)", message: String(decoding: answer.body.prefix(300), as: UTF8.self))
        }
        return answer.body
    }

    /// `base` and `path` (which may carry `?query`: appendingPathComponent would escape it).
    func url(_ path: String) -> URL {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return URL(string: text + "/" + (path.hasPrefix("/") ? String(path.dropFirst()) : path)) ?? base.appendingPathComponent(path)
    }

    /// The node that answers at `base`, when it is not the data folder's own.
    private func otherNode() async -> String? {
        guard let folderNode, let answer = try? await HTTPExchange.send(url("health"), method: "GET", headers: [],
                                                                         body: nil, timeout: 5),
              let health = try? JSONDecoder().decode(Health.self, from: Data(answer.body)), health.nodeId != folderNode.description
        else { return nil }
        return health.nodeId
    }

    struct Health: Decodable { let nodeId: String }

    struct ErrorBody: Decodable {
        struct Inner: Decodable { let code: String; let message: String }
        let error: Inner
    }
}

/// Why a command that talks to the node failed, said for the person at the keyboard.
enum CLIError: Error, CustomStringConvertible {
    case unreachable(String, String, HTTPFailure)
    case api(status: Int, code: String, message: String)
    case wrongNode(answered: String, url: String, folder: String)
    case unexpectedAnswer(String)

    var description: String {
        switch self {
        case let .unreachable(url, source, failure):
            "cannot reach the node at \(url) (from \(source)): \(failure). Is the node running? Start it with `elohim node run`, "
                + "or point --data-dir or --api at the right one"
        case let .wrongNode(other, url, folder):
            "node \(other) answered at \(url), but --data-dir \(folder) is another node's folder, so its operator token is not valid there: "
                + "give the --data-dir of the node at that address (or leave --api out), or log in and pass --token"
        case let .api(401, _, message):
            "\(message) (the CLI uses the operator token of the node's data folder, --data-dir; or pass --token)"
        case let .api(_, _, message): message
        case let .unexpectedAnswer(what): "the node's answer was not understood (\(what)); is the address an elohim node's HTTP API?"
        }
    }
}

/// Where a running node listens, as it records it in its data folder (`node.json`), so the CLI
/// finds it without flags. Written when both the mesh and the HTTP API are listening; removed at a
/// clean stop; a record left by a killed node is recognised by its dead pid.
struct ListeningRecord: Codable, Equatable {
    static let fileName = "node.json"

    var nodeId: String
    var pid: Int32
    /// `http://HOST:PORT` as a browser or the CLI would call it (a wildcard host becomes 127.0.0.1).
    var http: String
    var mesh: String

    var isAlive: Bool { kill(pid, 0) == 0 || errno == EPERM }

    static func read(folder: String) -> ListeningRecord? {
        guard let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(ListeningRecord.self, from: data)
    }

    func write(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = (folder as NSString).appendingPathComponent(Self.fileName)
        try (try encoder.encode(self) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func remove(folder: String) {
        try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(fileName))
    }
}
