import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where the commands that talk to a running node find its HTTP API.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("api"), help: ArgumentHelp(
        "The running node's HTTP API (the --http of `elohim node run`); also $ELOHIM_API.", valueName: "url"))
    var api: String = ProcessInfo.processInfo.environment["ELOHIM_API"] ?? "http://127.0.0.1:8000"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The node's data folder on this machine, whose api-token file lets the CLI act as the node's operator; also $ELOHIM_DATA.",
        valueName: "path"))
    var dataDir: String = ProcessInfo.processInfo.environment["ELOHIM_DATA"] ?? ".elohim"

    @Option(name: .customLong("token"), help: ArgumentHelp(
        "A login token (POST /api/v1/auth/login) to use instead of the operator token; also $ELOHIM_TOKEN.", valueName: "jwt"))
    var token: String?

    func client() throws -> APIClient {
        var text = api
        if !text.contains("://") { text = "http://" + text }
        guard let url = URL(string: text), url.host != nil else {
            throw ValidationError("--api must be a URL such as http://127.0.0.1:8000; got '\(api)'")
        }
        return APIClient(base: url, token: token ?? ProcessInfo.processInfo.environment["ELOHIM_TOKEN"] ?? operatorToken())
    }

    /// The operator token of the node whose data folder is `dataDir`, when this user can read it.
    private func operatorToken() -> String? {
        let path = (dataDir as NSString).appendingPathComponent("api-token")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}

/// A small JSON client for the node's API: the CLI is a thin adapter over the same routes
/// the web page uses.
struct APIClient: Sendable {
    let base: URL
    /// Sent as `Authorization: Bearer`; without one, the node answers 401 to all but login.
    var token: String?

    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("GET", path, body: Optional<String>.none, timeout: 30)
    }

    func post<T: Decodable, B: Encodable>(_ path: String, _ body: B, timeout: TimeInterval = 30, as type: T.Type = T.self)
        async throws(CLIError) -> T {
        try await send("POST", path, body: body, timeout: timeout)
    }

    func delete<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("DELETE", path, body: Optional<String>.none, timeout: 30)
    }

    /// PUT of raw bytes (a sealed vault chunk).
    func putBytes<T: Decodable>(_ path: String, _ bytes: [UInt8], as type: T.Type = T.self) async throws(CLIError) -> T {
        try await send("PUT", path, raw: Data(bytes), contentType: "application/octet-stream", timeout: 120)
    }

    /// GET of raw bytes.
    func getBytes(_ path: String) async throws(CLIError) -> [UInt8] {
        let data: Data = try await exchange("GET", path, raw: nil, contentType: nil, timeout: 120)
        return [UInt8](data)
    }

    private func send<T: Decodable, B: Encodable>(_ method: String, _ path: String, body: B?, timeout: TimeInterval)
        async throws(CLIError) -> T {
        try await send(method, path, raw: body.flatMap { try? JSONEncoder().encode($0) }, contentType: body == nil ? nil : "application/json",
                       timeout: timeout)
    }

    private func send<T: Decodable>(_ method: String, _ path: String, raw: Data?, contentType: String?, timeout: TimeInterval)
        async throws(CLIError) -> T {
        let data = try await exchange(method, path, raw: raw, contentType: contentType, timeout: timeout)
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw .unexpectedAnswer("\(method) \(path): \(error)")
        }
    }

    private func exchange(_ method: String, _ path: String, raw: Data?, contentType: String?, timeout: TimeInterval)
        async throws(CLIError) -> Data {
        var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: timeout)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let raw {
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.httpBody = raw
        }
        let data: Data, response: URLResponse
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            throw .unreachable(base.absoluteString, error.localizedDescription)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            if let e = try? JSONDecoder().decode(ErrorBody.self, from: data) { throw .api(status: status, code: e.error.code, message: e.error.message) }
            throw .api(status: status, code: "http_\(status)", message: String(decoding: data.prefix(300), as: UTF8.self))
        }
        return data
    }

    struct ErrorBody: Decodable {
        struct Inner: Decodable { let code: String; let message: String }
        let error: Inner
    }
}

/// Why a command that talks to the node failed, said for the person at the keyboard.
enum CLIError: Error, CustomStringConvertible {
    case unreachable(String, String)
    case api(status: Int, code: String, message: String)
    case unexpectedAnswer(String)

    var description: String {
        switch self {
        case let .unreachable(url, why):
            "no node answers at \(url) (\(why)): start one with `elohim node run`, or point --api at its HTTP address"
        case let .api(401, _, message):
            "\(message) (the CLI reads the node's api-token from --data-dir, default ./.elohim; or pass --token)"
        case let .api(_, _, message): message
        case let .unexpectedAnswer(what): "the node's answer was not understood (\(what)); is --api pointing at an elohim node?"
        }
    }
}
