import Foundation
import NIOCore

/// The JSON of Ollama's API as it travels: request bodies, answer shapes, and error answers.
/// Kept apart from the public types so a change in the wire format stays in this file.
enum OllamaWire {
    struct ModelRequest: Encodable {
        // Both keys: `model` is today's, `name` is what servers before 0.1.40 (mid-2024) read.
        var model: String
        var name: String
        init(_ model: String) { self.model = model; self.name = model }
    }

    struct PullRequest: Encodable {
        var model: String
        var name: String
        var stream = true
        init(_ model: String) { self.model = model; self.name = model }
    }

    struct ChatRequest: Encodable {
        var model: String
        var messages: [ChatMessage]
        var options: ChatOptions?
        var stream = true
    }

    struct EmbedRequest: Encodable {
        var model: String
        var input: [String]
    }

    struct Version: Decodable { var version: String }
    struct Tags: Decodable { var models: [ModelSummary] }
    struct Embeddings: Decodable { var embeddings: [[Float]] }
    struct Show: Decodable {
        var details: ModelDetails?
        var capabilities: [String]?
    }

    struct ChatLine: Decodable {
        struct Message: Decodable {
            var content: String?
            var thinking: String?
        }
        var model: String?
        var message: Message?
        var done: Bool?
        var doneReason: String?
        var promptEvalCount: Int?
        var evalCount: Int?
        var totalDuration: Int64?
        var loadDuration: Int64?
        var promptEvalDuration: Int64?
        var evalDuration: Int64?

        enum CodingKeys: String, CodingKey {
            case model, message, done
            case doneReason = "done_reason", promptEvalCount = "prompt_eval_count", evalCount = "eval_count"
            case totalDuration = "total_duration", loadDuration = "load_duration"
            case promptEvalDuration = "prompt_eval_duration", evalDuration = "eval_duration"
        }

        var chunk: ChatChunk {
            ChatChunk(model: model ?? "", content: message?.content ?? "", thinking: message?.thinking, done: done ?? false,
                      doneReason: doneReason, promptEvalCount: promptEvalCount, evalCount: evalCount,
                      totalDuration: totalDuration.map(Duration.nanoseconds), loadDuration: loadDuration.map(Duration.nanoseconds),
                      promptEvalDuration: promptEvalDuration.map(Duration.nanoseconds), evalDuration: evalDuration.map(Duration.nanoseconds))
        }
    }

    /// Ollama's error shape, as a whole answer or as one line of a stream.
    struct ErrorAnswer: Decodable { var error: String }

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try JSONEncoder().encode(value))
    }

    /// `bytes` decoded as `T`, or `badResponse` quoting the start of what came.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer, what: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes.readableBytesView)) } catch {
            throw ModelServerError.badResponse("\(what) is not the JSON expected: \(quote(String(buffer: bytes)))")
        }
    }

    /// The `error` text of a stream line that is an error, nil for any other line.
    static func errorMessage(in line: ByteBuffer) -> String? {
        // Only lines that mention "error" are decoded twice.
        guard line.readableBytesView.firstRange(of: Array("\"error\"".utf8)) != nil else { return nil }
        return try? JSONDecoder().decode(ErrorAnswer.self, from: Data(line.readableBytesView)).error
    }

    /// The typed error for an answer with a status other than 2xx, whose body is `text`.
    ///
    /// A 404 with Ollama's JSON error on a call that named a model means the model is missing; a 404
    /// with plain text ("404 page not found") means the server does not know the path (too old, or not Ollama).
    static func failure(status: Int, text: String, model: String?) -> ModelServerError {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let message = (try? JSONDecoder().decode(ErrorAnswer.self, from: Data(trimmed.utf8)).error)
        if status == 404, let model, message != nil { return .modelNotFound(model) }
        return .server(status: status, message: message ?? (trimmed.isEmpty ? "(no message)" : quote(trimmed)))
    }

    static func quote(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
