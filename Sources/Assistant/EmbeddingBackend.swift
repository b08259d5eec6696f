import Foundation

/// Something that turns texts into vectors: the compute-backend protocol the assistant's retrieval
/// is written against. The CPU implementation is `MiniLMEmbedder` (OpenBLAS); Linux has no Metal
/// or Neural Engine, so there is no GPU one. Ollama's `/api/embed` can be another behind it.
///
/// Rules every backend keeps: `embed` returns one vector per text, in the texts' order, each
/// `dimensions` long and of unit length, and the same text always gives the same vector.
public protocol EmbeddingBackend: Sendable {
    var dimensions: Int { get }
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// all-MiniLM-L6-v2 on this machine's CPU: `WordPieceTokenizer` then `MiniLMEncoder`.
///
/// Rules it keeps: a text longer than 256 tokens is cut to its first 254 pieces (the model's
/// sentence-transformers limit) and `embedWithReport` says which were; a batch is split into
/// chunks of `batchSize` texts so the packed activations stay small.
public struct MiniLMEmbedder: EmbeddingBackend {
    public let dimensions = MiniLMEncoder.hidden
    public let tokenizer: WordPieceTokenizer
    public let encoder: MiniLMEncoder
    public var batchSize = 32

    /// Loads the model from `files` (see `MiniLMModelFiles.locate`).
    public init(files: MiniLMModelFiles) throws {
        tokenizer = try WordPieceTokenizer(vocabularyFile: files.vocabulary)
        guard tokenizer.vocabularySize == MiniLMEncoder.vocabularySize else {
            throw ModelFilesError.badVocabulary(path: files.vocabulary,
                                                detail: "\(tokenizer.vocabularySize) words, all-MiniLM-L6-v2 has \(MiniLMEncoder.vocabularySize)")
        }
        encoder = try MiniLMEncoder(weights: try SafetensorsFile(path: files.weights))
    }

    public func embed(_ texts: [String]) -> [[Float]] { embedWithReport(texts).vectors }

    /// The vectors, and the indices of the texts that were truncated to fit 256 tokens.
    public func embedWithReport(_ texts: [String]) -> (vectors: [[Float]], truncated: [Int]) {
        let encodings = texts.map(tokenizer.encode)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < encodings.count {
            let end = min(start + max(batchSize, 1), encodings.count)
            vectors += encoder.embed(encodings[start..<end].map(\.ids))
            start = end
        }
        return (vectors, encodings.indices.filter { encodings[$0].truncated })
    }
}
