import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A client of Ollama's HTTP API (https://github.com/ollama/ollama/blob/main/docs/api.md): chat,
/// model management, embeddings.
///
/// Rules it keeps:
/// - one connection per call, closed when the call ends; for `chat` and `pull`, also when the caller
///   stops iterating the stream (the task is cancelled), which tells the server to stop generating;
/// - every wait is bounded (`ModelServerTimeouts`: connect 3 s, first byte and each streamed line 120 s),
///   and so is every answer (`ModelServerLimits`: 1 MiB a line, 16 MiB a whole answer);
/// - every failure is a `ModelServerError` whose message says what to do; nothing listening at the
///   address is `.unreachable`, so a caller can go on without a model server.
public struct OllamaClient: Sendable {
    public let address: ModelServerAddress
    public var timeouts: ModelServerTimeouts
    public var limits: ModelServerLimits
    let group: any EventLoopGroup

    /// `$ELOHIM_OLLAMA`'s name, the environment variable the CLI and the node read for the address.
    public static let environmentVariable = "ELOHIM_OLLAMA"

    public init(address: ModelServerAddress = .ollamaDefault, timeouts: ModelServerTimeouts = .init(),
                limits: ModelServerLimits = .init(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.address = address
        self.timeouts = timeouts
        self.limits = limits
        self.group = group
    }

    /// A client of the server at `baseURL` (`http://HOST[:PORT]`); throws `.badURL` for anything else, https included.
    public init(baseURL: String, timeouts: ModelServerTimeouts = .init(), limits: ModelServerLimits = .init(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws(ModelServerError) {
        self.init(address: try ModelServerAddress(parsing: baseURL), timeouts: timeouts, limits: limits, group: group)
    }

    /// The address as a URL: `http://127.0.0.1:11434`.
    public var baseURL: String { address.description }

    var transport: ModelServerTransport {
        ModelServerTransport(address: address, timeouts: timeouts, limits: limits, group: group)
    }

    // MARK: Calls with one answer

    /// The server's version, e.g. "0.5.7": the cheapest way to learn whether a server is there.
    public func version() async throws -> String {
        try OllamaWire.decode(OllamaWire.Version.self, from: try await call(.GET, "/api/version"), what: "the version").version
    }

    /// The models the server has (/api/tags), in its order (most recently modified first).
    public func listModels() async throws -> [ModelSummary] {
        try OllamaWire.decode(OllamaWire.Tags.self, from: try await call(.GET, "/api/tags"), what: "the model list").models
    }

    /// What the server says of one model (/api/show); `.modelNotFound` when it has none by that name.
    public func showModel(_ name: String) async throws -> ModelDescription {
        let body = try await call(.POST, "/api/show", json: OllamaWire.encode(OllamaWire.ModelRequest(name)), model: name)
        let show = try OllamaWire.decode(OllamaWire.Show.self, from: body, what: "the model's description")
        return ModelDescription(name: name, contextLength: Self.contextLength(in: body), details: show.details,
                                capabilities: show.capabilities ?? [])
    }

    /// Deletes a model from the server (/api/delete); `.modelNotFound` when it has none by that name.
    public func delete(model: String) async throws {
        _ = try await call(.DELETE, "/api/delete", json: OllamaWire.encode(OllamaWire.ModelRequest(model)), model: model)
    }

    /// One vector per text, in order, as the model gives them (/api/embed; Ollama normalises them,
    /// `OllamaEmbeddingBackend` checks). `.badResponse` when the count differs from the texts'.
    public func embed(model: String, texts: [String]) async throws -> [[Float]] {
        let body = try await call(.POST, "/api/embed", json: OllamaWire.encode(OllamaWire.EmbedRequest(model: model, input: texts)), model: model)
        let vectors = try OllamaWire.decode(OllamaWire.Embeddings.self, from: body, what: "the embeddings").embeddings
        guard vectors.count == texts.count else {
            throw ModelServerError.badResponse("\(vectors.count) embeddings for \(texts.count) texts")
        }
        return vectors
    }

    /// Sends a request whose answer is one JSON body, and returns that body (a 2xx answer) or throws
    /// the typed error for the others. `model` is the model the call names, for `.modelNotFound`.
    func call(_ method: HTTPMethod, _ path: String, json: [UInt8]? = nil, model: String? = nil) async throws -> ByteBuffer {
        try await transport.exchange(method, path, json: json, mode: .whole(maxBodyBytes: limits.maxBodyBytes)) { reader in
            let body = try await reader.wholeBody()
            guard (200..<300).contains(reader.status) else {
                throw OllamaWire.failure(status: reader.status, text: String(buffer: body), model: model)
            }
            return body
        }
    }

    /// `model_info`'s `<architecture>.context_length` (e.g. `llama.context_length`): the architecture
    /// prefix differs from model to model, so the key is found by its ending.
    static func contextLength(in body: ByteBuffer) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let info = object["model_info"] as? [String: Any] else { return nil }
        for (key, value) in info where key.hasSuffix(".context_length") {
            if let number = value as? NSNumber { return number.intValue }
        }
        return nil
    }
}
