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

    func client() throws -> APIClient {
        var text = api
        if !text.contains("://") { text = "http://" + text }
        guard let url = URL(string: text), url.host != nil else {
            throw ValidationError("--api must be a URL such as http://127.0.0.1:8000; got '\(api)'")
        }
        return APIClient(base: url)
    }
}

/// A small JSON client for the node's API: the CLI is a thin adapter over the same routes
/// the web page uses.
struct APIClient: Sendable {
    let base: URL

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

    private func send<T: Decodable, B: Encodable>(_ method: String, _ path: String, body: B?, timeout: TimeInterval)
        async throws(CLIError) -> T {
        var request = URLRequest(url: base.appendingPathComponent(path), timeoutInterval: timeout)
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try? JSONEncoder().encode(body)
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
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw .unexpectedAnswer("\(method) \(path): \(error)")
        }
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
        case let .api(_, _, message): message
        case let .unexpectedAnswer(what): "the node's answer was not understood (\(what)); is --api pointing at an elohim node?"
        }
    }
}
