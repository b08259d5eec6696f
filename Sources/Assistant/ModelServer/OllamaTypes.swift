import Foundation

/// One message of a chat, as Ollama's /api/chat takes and gives it.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who speaks: `system` (instructions), `user`, `assistant` (the model), or `tool`. A string, not
    /// an enum, so a role a newer server sends does not fail the decoding of its answer.
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: "assistant", content: content) }
}

/// The model options a chat may set (Ollama's `options`); those left nil are the model's defaults.
public struct ChatOptions: Sendable, Hashable, Encodable {
    public var temperature: Double?
    /// The context window in tokens; Ollama's default is small (2048–4096) whatever the model allows.
    public var contextLength: Int?
    /// The most tokens to generate.
    public var maxTokens: Int?
    public var seed: Int?
    public var topK: Int?
    public var topP: Double?
    public var stop: [String]?

    public init(temperature: Double? = nil, contextLength: Int? = nil, maxTokens: Int? = nil, seed: Int? = nil,
                topK: Int? = nil, topP: Double? = nil, stop: [String]? = nil) {
        self.temperature = temperature
        self.contextLength = contextLength
        self.maxTokens = maxTokens
        self.seed = seed
        self.topK = topK
        self.topP = topP
        self.stop = stop
    }

    enum CodingKeys: String, CodingKey {
        case temperature, seed, stop
        case contextLength = "num_ctx", maxTokens = "num_predict", topK = "top_k", topP = "top_p"
    }
}

/// One line of a streamed chat answer: a piece of the text, or (`done`) the last line with the counts.
public struct ChatChunk: Sendable, Hashable {
    public var model: String
    /// This piece of the answer's text (empty on the last line, usually).
    public var content: String
    /// This piece of the model's reasoning, for models that think aloud and when the server sends it apart.
    public var thinking: String?
    public var done: Bool
    /// Why the answer ended: `stop` (the model finished), `length` (it hit maxTokens or the context), ….
    public var doneReason: String?
    /// Tokens of the prompt the model read, and tokens it wrote (last line only).
    public var promptEvalCount: Int?
    public var evalCount: Int?
    public var totalDuration: Duration?
    public var loadDuration: Duration?
    public var promptEvalDuration: Duration?
    public var evalDuration: Duration?

    public init(model: String, content: String, thinking: String? = nil, done: Bool, doneReason: String? = nil,
                promptEvalCount: Int? = nil, evalCount: Int? = nil, totalDuration: Duration? = nil,
                loadDuration: Duration? = nil, promptEvalDuration: Duration? = nil, evalDuration: Duration? = nil) {
        self.model = model
        self.content = content
        self.thinking = thinking
        self.done = done
        self.doneReason = doneReason
        self.promptEvalCount = promptEvalCount
        self.evalCount = evalCount
        self.totalDuration = totalDuration
        self.loadDuration = loadDuration
        self.promptEvalDuration = promptEvalDuration
        self.evalDuration = evalDuration
    }
}

/// One line of a model download's progress (/api/pull).
public struct PullProgress: Sendable, Hashable, Decodable {
    /// What the server is doing: "pulling manifest", "pulling <digest>", "verifying sha256 digest",
    /// "writing manifest", and last "success".
    public var status: String
    /// The layer being downloaded, with its size and the bytes received so far.
    public var digest: String?
    public var total: Int64?
    public var completed: Int64?

    public init(status: String, digest: String? = nil, total: Int64? = nil, completed: Int64? = nil) {
        self.status = status
        self.digest = digest
        self.total = total
        self.completed = completed
    }

    /// completed / total, when the line has both.
    public var fraction: Double? {
        guard let total, total > 0, let completed else { return nil }
        return min(1, Double(completed) / Double(total))
    }
}

/// What a model is: Ollama's `details`.
public struct ModelDetails: Sendable, Hashable, Decodable {
    public var format: String?
    public var family: String?
    public var families: [String]?
    public var parameterSize: String?
    public var quantizationLevel: String?

    enum CodingKeys: String, CodingKey {
        case format, family, families
        case parameterSize = "parameter_size", quantizationLevel = "quantization_level"
    }
}

/// A model the server has (/api/tags).
public struct ModelSummary: Sendable, Hashable, Decodable {
    /// The name to use in calls, with its tag: `llama3.2:latest`.
    public var name: String
    /// Bytes on disk.
    public var size: Int64
    public var digest: String?
    /// When it was pulled or changed, as the server wrote it (RFC 3339, often with nanoseconds).
    public var modifiedAt: String?
    public var details: ModelDetails?

    enum CodingKeys: String, CodingKey {
        case name, size, digest, details
        case modifiedAt = "modified_at"
    }
}

/// What /api/show says of a model, reduced to what the assistant uses.
public struct ModelDescription: Sendable, Hashable {
    public var name: String
    /// The most tokens the model was trained to take (`model_info`'s `<architecture>.context_length`);
    /// nil when the server does not say. A chat's prompt is kept under it.
    public var contextLength: Int?
    public var details: ModelDetails?
    /// "completion", "embedding", "tools", "vision", … (servers from 2025 on).
    public var capabilities: [String]
}
