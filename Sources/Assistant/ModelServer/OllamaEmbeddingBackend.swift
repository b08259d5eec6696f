import Foundation

/// Embeddings from a model on an Ollama server (/api/embed), behind the same protocol as the
/// on-node `MiniLMEmbedder`.
///
/// Rules it keeps (the protocol's): one vector per text, in order, each `dimensions` long and of
/// unit length. `dimensions` is given, or learnt from the server's first answer (then call `embed`
/// before reading it, or use `connect`); a vector of another length is `.badResponse`, and each
/// vector is scaled to unit length here whatever the server did (Ollama normalises, older servers
/// and other models may not). A zero vector cannot be scaled and is `.badResponse` too.
public struct OllamaEmbeddingBackend: EmbeddingBackend {
    public let client: OllamaClient
    public let model: String
    public let dimensions: Int
    /// Texts per request: a batch of 64 vectors of 1024 numbers is about 1.3 MB of JSON, well under
    /// the client's 16 MiB answer limit.
    public var batchSize = 64

    /// A backend whose vectors must be `dimensions` long.
    public init(client: OllamaClient, model: String, dimensions: Int) {
        self.client = client
        self.model = model
        self.dimensions = dimensions
    }

    /// Asks the server for one vector to learn the model's dimensions (and that it has the model).
    public static func connect(client: OllamaClient, model: String) async throws -> OllamaEmbeddingBackend {
        guard let first = try await client.embed(model: model, texts: ["dimensions"]).first, !first.isEmpty else {
            throw ModelServerError.badResponse("an empty embedding from \(model)")
        }
        return OllamaEmbeddingBackend(client: client, model: model, dimensions: first.count)
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(start + max(batchSize, 1), texts.count)
            for vector in try await client.embed(model: model, texts: Array(texts[start..<end])) {
                vectors.append(try unit(vector))
            }
            start = end
        }
        return vectors
    }

    private func unit(_ vector: [Float]) throws -> [Float] {
        guard vector.count == dimensions else {
            throw ModelServerError.badResponse("an embedding of \(vector.count) numbers from \(model), \(dimensions) expected")
        }
        // The norm in Double: 1024 squares in Float lose the last digits that unit length is checked to.
        let norm = vector.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard norm > 0, norm.isFinite else { throw ModelServerError.badResponse("an embedding from \(model) of length \(norm)") }
        return vector.map { Float(Double($0) / norm) }
    }
}
