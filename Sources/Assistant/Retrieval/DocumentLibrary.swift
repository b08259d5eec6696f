import Crypto
import Foundation

/// One search result: a chunk, where it is, and why it ranked.
public struct SearchHit: Sendable, Equatable, Codable {
    public let chunk: Int64
    public let document: Int64
    public let documentName: String
    public let place: String
    public let text: String
    /// The fused score (reciprocal rank fusion; higher is better, comparable within one search only).
    public let score: Double
    /// The cosine similarity to the query, when the chunk was among the vector search's candidates.
    public let similarity: Float?
    public let vectorRank: Int?
    public let keywordRank: Int?
}

/// A person's documents made searchable: extracted, chunked, embedded, stored, and searched by
/// vectors and keywords together.
///
/// Rules it keeps: a person searches only their own documents (the owner filters both searches);
/// the in-memory vector index always holds exactly the stored chunks (built from the store at start,
/// changed only after the store's transaction committed); a document is embedded before anything is
/// written, so a failure leaves no half document behind.
public actor DocumentLibrary {
    public nonisolated let store: DocumentStore
    let embedder: any EmbeddingBackend
    let chunker: TextChunker
    let extractor: DocumentExtractor
    var index: ExactVectorIndex
    /// The approximate index, kept beside the exact one once the library holds more than
    /// `approximateAbove` chunks (exact search costs ~62 ns a chunk on one core here: 10 ms a
    /// query at about 150,000; scripts/measure-vector-search.sh).
    var approximate: HNSWIndex?
    let approximateAbove: Int
    var ownerOfChunk: [Int64: String] = [:]
    var chunksOfOwner: [String: Int] = [:]
    let now: @Sendable () -> Int64

    public static let maxDocumentsPerOwner = 10_000
    public static let maxTop = 50
    public static let maxQueryBytes = 4096
    /// How many candidates each search contributes to the fusion.
    public static let candidates = 50

    public init(path: String, embedder: any EmbeddingBackend, modelName: String, chunker: TextChunker,
                extractor: DocumentExtractor = DocumentExtractor(), approximateAbove: Int = 150_000,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) throws {
        store = try DocumentStore(path: path, model: modelName, dimensions: embedder.dimensions)
        self.embedder = embedder
        self.chunker = chunker
        self.extractor = extractor
        self.now = now
        var index = ExactVectorIndex(dimensions: embedder.dimensions)
        var owners: [Int64: String] = [:]
        try store.forEachVector { id, owner, vector in
            index.insert(key: id, vector: vector)
            owners[id] = owner
        }
        self.index = index
        ownerOfChunk = owners
        self.approximateAbove = approximateAbove
        for owner in owners.values { chunksOfOwner[owner, default: 0] += 1 }
        if index.count > approximateAbove { approximate = Self.buildApproximate(index) }
    }

    /// An HNSW graph over every vector of `exact`, in key order (so the same library gives the same graph).
    static func buildApproximate(_ exact: ExactVectorIndex) -> HNSWIndex {
        var graph = HNSWIndex(dimensions: exact.dimensions)
        for (key, vector) in exact.allVectors().sorted(by: { $0.key < $1.key }) { graph.insert(key: key, vector: vector) }
        return graph
    }

    /// Whether a search for `owner` goes to the approximate index: only when there is one and the
    /// owner holds a tenth of the chunks or more (a graph walk that must skip most nodes as
    /// another's is slower than the exact scan).
    func usesApproximate(owner: String) -> Bool {
        approximate != nil && (chunksOfOwner[owner] ?? 0) * 10 >= index.count
    }

    public var chunkCount: Int { index.count }

    public struct Added: Sendable, Equatable {
        public let document: StoredDocument
        /// True when the person already held these bytes (nothing was added).
        public let alreadyHeld: Bool
    }

    /// Adds a document from its bytes. `progress(done, total)` is told as chunks are embedded.
    public func add(owner: String, name: String, bytes: Data,
                    progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Added {
        guard !name.isEmpty, name.utf8.count <= 255, !name.contains("/"),
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { throw LibraryError.badName(name) }
        let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        if let held = try store.existing(owner: owner, sha256: sha) { return Added(document: held, alreadyHeld: true) }
        guard try store.documentCount(owner: owner) < Self.maxDocumentsPerOwner else {
            throw LibraryError.tooManyDocuments(limit: Self.maxDocumentsPerOwner)
        }
        let extracted = try extractor.extract(name: name, bytes: bytes)
        let chunks = chunker.chunks(of: extracted.text.text)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(chunks.count)
        var start = 0
        while start < chunks.count {
            let end = min(start + 32, chunks.count)
            vectors += try await embed(chunks[start..<end].map(\.text))
            progress(end, chunks.count)
            start = end
        }
        let newChunks = zip(chunks, vectors).map { chunk, vector in
            DocumentStore.NewChunk(place: extracted.text.place(start: chunk.start, end: chunk.end), text: chunk.text, vector: vector)
        }
        let (document, ids) = try store.add(owner: owner, name: name, kind: extracted.kind, sha256: sha, bytes: bytes.count,
                                            truncated: extracted.truncated, addedMs: now(), chunks: newChunks)
        // The same bytes added by a second upload while this one was embedding: one copy is kept.
        if ids.isEmpty, !newChunks.isEmpty { return Added(document: document, alreadyHeld: true) }
        for (id, chunk) in zip(ids, newChunks) {
            index.insert(key: id, vector: chunk.vector)
            approximate?.insert(key: id, vector: chunk.vector)
            ownerOfChunk[id] = owner
        }
        chunksOfOwner[owner, default: 0] += ids.count
        if approximate == nil, index.count > approximateAbove {
            let exact = index
            approximate = await withCheckedContinuation { continuation in
                Self.computeQueue.async { continuation.resume(returning: Self.buildApproximate(exact)) }
            }
        }
        return Added(document: document, alreadyHeld: false)
    }

    /// The on-node model computes off Swift's cooperative pool (as wide as the cores: two here), so a
    /// long document's embeddings do not stall the node's other tasks (its HTTP API among them).
    func embed(_ texts: [String]) async throws -> [[Float]] {
        guard let local = embedder as? MiniLMEmbedder else { return try await embedder.embed(texts) }
        return await withCheckedContinuation { continuation in
            Self.computeQueue.async { continuation.resume(returning: local.embed(texts)) }
        }
    }

    static let computeQueue = DispatchQueue(label: "elohim.assistant.embeddings")

    public func documents(owner: String) throws -> [StoredDocument] { try store.documents(owner: owner) }

    public func remove(owner: String, id: Int64) throws {
        guard let gone = try store.remove(id: id, owner: owner) else { throw LibraryError.noSuchDocument(id: id) }
        for chunk in gone {
            index.remove(key: chunk)
            approximate?.remove(key: chunk)
            ownerOfChunk[chunk] = nil
        }
        chunksOfOwner[owner, default: 0] -= gone.count
    }

    /// The `top` chunks of `owner`'s documents that best answer `query`, best first.
    public func search(owner: String, query: String, top: Int = 5) async throws -> [SearchHit] {
        guard (1...Self.maxTop).contains(top) else { throw LibraryError.badTop(top, limit: Self.maxTop) }
        guard query.utf8.count <= Self.maxQueryBytes else { throw LibraryError.queryTooLong(bytes: query.utf8.count, limit: Self.maxQueryBytes) }
        let match = KeywordQuery.match(for: query)
        guard match != nil else { throw LibraryError.emptyQuery }
        let vector = try await embed([query])[0]
        let owners = ownerOfChunk
        let nearest = usesApproximate(owner: owner)
            ? approximate!.search(vector, k: Self.candidates, ef: max(128, 3 * Self.candidates)) { owners[$0] == owner }
            : index.search(vector, k: Self.candidates) { owners[$0] == owner }
        let keyword = try match.map { try store.keywordSearch(match: $0, owner: owner, limit: Self.candidates) } ?? []
        let fused = Array(HybridRanking.fuse(vector: nearest.map(\.key), keyword: keyword).prefix(top))
        let similarity = Dictionary(uniqueKeysWithValues: nearest.map { ($0.key, $0.score) })
        let chunks = Dictionary(uniqueKeysWithValues: try store.chunks(ids: fused.map(\.id)).map { ($0.id, $0) })
        return fused.compactMap { ranked in
            guard let chunk = chunks[ranked.id] else { return nil }
            return SearchHit(chunk: chunk.id, document: chunk.document, documentName: chunk.documentName, place: chunk.place,
                             text: chunk.text, score: ranked.score, similarity: similarity[ranked.id],
                             vectorRank: ranked.vectorRank, keywordRank: ranked.keywordRank)
        }
    }
}
