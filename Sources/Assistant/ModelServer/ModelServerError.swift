import Foundation

/// What can go wrong talking to a model server, each case with a message that says what to do.
///
/// Rules it keeps: `unreachable` is the one case that means "no server there", so a caller can go
/// on without one (retrieval and search need no model server); `modelNotFound` is any 404 for a call
/// that named a model; `server` carries Ollama's own `{"error": "..."}` text, whether it came as an
/// HTTP error or as a line in the middle of a stream.
public enum ModelServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The base URL is not `http://host:port`; `reason` says which part is wrong.
    case badURL(String, reason: String)
    /// Nothing accepted a connection at `url` (refused, no route, or no answer within the connect timeout).
    case unreachable(url: String, underlying: String)
    /// The server does not have this model (HTTP 404 on a call that named it).
    case modelNotFound(String)
    /// The server answered with an error: its HTTP status (200 when the error came inside a stream) and its message.
    case server(status: Int, message: String)
    /// The answer was not what Ollama's API sends (not JSON, a missing field, cut short).
    case badResponse(String)
    /// One line of a streamed answer, or a whole answer, passed its size limit (bytes).
    case responseTooLarge(what: String, limit: Int)
    /// The server stopped answering: no first byte, or nothing between two streamed lines, in time.
    case timedOut(TimeoutPhase, seconds: Double)

    public enum TimeoutPhase: String, Sendable {
        case firstByte = "the first byte of the answer"
        case idle = "the next line of the answer"
    }

    public var description: String {
        switch self {
        case .badURL(let url, let reason):
            return "the model server address \(url) is not usable: \(reason); give it as http://HOST:PORT, e.g. http://127.0.0.1:11434"
        case .unreachable(let url, let underlying):
            return "no model server answers at \(url) (\(underlying)): start Ollama (`ollama serve`) or give --ollama URL; retrieval and search still work without it"
        case .modelNotFound(let name):
            return "the model server has no model \(name): run `elohim assistant pull \(name)` (or `elohim assistant models` to see those it has)"
        case .server(let status, let message):
            let origin = status == 200 ? "the model server stopped its answer with an error" : "the model server refused the request (HTTP \(status))"
            return "\(origin): \(message)"
        case .badResponse(let detail):
            return "the model server's answer is not Ollama's API (\(detail)): is the address that of an Ollama server, of a version from 2024 or later?"
        case .responseTooLarge(let what, let limit):
            return "the model server sent \(what) longer than \(limit) bytes, the limit this client keeps; the answer was dropped"
        case .timedOut(let phase, let seconds):
            return "the model server did not send \(phase.rawValue) within \(Self.format(seconds)) s: it may be loading a large model or overloaded; try again, or check `ollama ps`"
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
