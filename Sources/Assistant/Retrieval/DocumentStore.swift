import Foundation
import GRDB

/// A document the library holds, as it is listed.
public struct StoredDocument: Sendable, Equatable, Codable {
    public let id: Int64
    public let owner: String
    public let name: String
    public let kind: DocumentKind
    public let sha256: String
    public let bytes: Int
    public let chunks: Int
    public let addedMs: Int64
    /// True when the document's text passed the size limit and only its beginning was indexed.
    public let truncated: Bool
}

/// One chunk as search returns it.
public struct StoredChunk: Sendable, Equatable {
    public let id: Int64
    public let document: Int64
    public let documentName: String
    public let ordinal: Int
    public let place: String
    public let text: String
}

/// The library's SQLite file: documents, their chunks with vectors, and an FTS5 index of the chunks'
/// text (external content, kept in step by triggers, so the text is stored once).
///
/// Rules it keeps: a person holds a document once (the same bytes added again return the first);
/// removing a document removes its chunks, vectors and index entries in one transaction; vectors are
/// stored as little-endian float32 and the file records which model made them, so a library made by
/// another model is refused instead of searched with meaningless scores.
public final class DocumentStore: Sendable {
    let database: DatabaseQueue
    public let model: String
    public let dimensions: Int

    public init(path: String, model: String, dimensions: Int) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: path, configuration: configuration)
        self.model = model
        self.dimensions = dimensions
        try Self.migrator.migrate(database)
        try database.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'embedding_model'")
            let expected = "\(model)/\(dimensions)"
            if let stored, stored != expected {
                throw LibraryError.otherModel(path: path, stored: stored, expected: expected)
            }
            try db.execute(sql: "INSERT OR IGNORE INTO meta(key, value) VALUES ('embedding_model', ?)", arguments: [expected])
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE documents(
                    id INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
                    sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, chunks INTEGER NOT NULL,
                    added_ms INTEGER NOT NULL, truncated INTEGER NOT NULL, UNIQUE(owner, sha256));
                CREATE TABLE chunks(
                    id INTEGER PRIMARY KEY, document INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                    ordinal INTEGER NOT NULL, place TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL);
                CREATE INDEX chunks_by_document ON chunks(document);
                CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id',
                    tokenize='unicode61 remove_diacritics 2');
                CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
                    INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text); END;
                CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
                    INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text); END;
                """)
        }
        return m
    }

    /// A chunk ready to be stored.
    public struct NewChunk: Sendable {
        public let place: String
        public let text: String
        public let vector: [Float]
        public init(place: String, text: String, vector: [Float]) { self.place = place; self.text = text; self.vector = vector }
    }

    /// The document `owner` already holds with these bytes, if any.
    public func existing(owner: String, sha256: String) throws -> StoredDocument? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM documents WHERE owner = ? AND sha256 = ?", arguments: [owner, sha256]).map(Self.document)
        }
    }

    /// Stores a document and its chunks; returns it and its chunks' ids, in order. When `owner`
    /// already holds these bytes (two uploads of one file at once), nothing is stored and the
    /// document held is returned with no chunk ids.
    public func add(owner: String, name: String, kind: DocumentKind, sha256: String, bytes: Int, truncated: Bool,
                    addedMs: Int64, chunks: [NewChunk]) throws -> (document: StoredDocument, chunkIDs: [Int64]) {
        try database.write { db in
            if let held = try Row.fetchOne(db, sql: "SELECT * FROM documents WHERE owner = ? AND sha256 = ?", arguments: [owner, sha256]) {
                return (Self.document(held), [])
            }
            try db.execute(sql: """
                INSERT INTO documents(owner, name, kind, sha256, bytes, chunks, added_ms, truncated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [owner, name, kind.rawValue, sha256, bytes, chunks.count, addedMs, truncated])
            let id = db.lastInsertedRowID
            var ids: [Int64] = []
            ids.reserveCapacity(chunks.count)
            for (ordinal, chunk) in chunks.enumerated() {
                try db.execute(sql: "INSERT INTO chunks(document, ordinal, place, text, vector) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, ordinal, chunk.place, chunk.text, Self.blob(chunk.vector)])
                ids.append(db.lastInsertedRowID)
            }
            let row = try Row.fetchOne(db, sql: "SELECT * FROM documents WHERE id = ?", arguments: [id])!
            return (Self.document(row), ids)
        }
    }

    /// How many documents `owner` holds.
    public func documentCount(owner: String) throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM documents WHERE owner = ?", arguments: [owner]) ?? 0 }
    }

    /// `owner`'s documents, newest first.
    public func documents(owner: String) throws -> [StoredDocument] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM documents WHERE owner = ? ORDER BY added_ms DESC, id DESC", arguments: [owner]).map(Self.document)
        }
    }

    /// Removes `owner`'s document `id`; the ids of the chunks that went (empty when there was none).
    public func remove(id: Int64, owner: String) throws -> [Int64]? {
        try database.write { db in
            guard try Int64.fetchOne(db, sql: "SELECT id FROM documents WHERE id = ? AND owner = ?", arguments: [id, owner]) != nil else { return nil }
            let chunkIDs = try Int64.fetchAll(db, sql: "SELECT id FROM chunks WHERE document = ? ORDER BY id", arguments: [id])
            try db.execute(sql: "DELETE FROM chunks WHERE document = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM documents WHERE id = ?", arguments: [id])
            return chunkIDs
        }
    }

    /// Every chunk's vector with its owner, in id order: what the in-memory index is built from at start.
    public func forEachVector(_ body: (Int64, String, [Float]) throws -> Void) throws {
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT chunks.id, documents.owner, chunks.vector FROM chunks JOIN documents ON documents.id = chunks.document ORDER BY chunks.id
                """)
            while let row = try rows.next() {
                let data: Data = row[2]
                guard data.count == dimensions * 4 else { continue }
                try body(row[0], row[1], Self.floats(data))
            }
        }
    }

    /// The best `limit` chunks of `owner`'s documents for an FTS5 `match` expression, by bm25.
    public func keywordSearch(match: String, owner: String, limit: Int) throws -> [Int64] {
        try database.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT chunks_fts.rowid FROM chunks_fts
                JOIN chunks ON chunks.id = chunks_fts.rowid JOIN documents ON documents.id = chunks.document
                WHERE chunks_fts MATCH ? AND documents.owner = ?
                ORDER BY bm25(chunks_fts), chunks_fts.rowid LIMIT ?
                """, arguments: [match, owner, limit])
        }
    }

    /// The chunks with these ids (in no particular order; callers look them up by id).
    public func chunks(ids: [Int64]) throws -> [StoredChunk] {
        guard !ids.isEmpty else { return [] }
        return try database.read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            return try Row.fetchAll(db, sql: """
                SELECT chunks.id, chunks.document, documents.name, chunks.ordinal, chunks.place, chunks.text
                FROM chunks JOIN documents ON documents.id = chunks.document WHERE chunks.id IN (\(marks))
                """, arguments: StatementArguments(ids)).map {
                StoredChunk(id: $0[0], document: $0[1], documentName: $0[2], ordinal: $0[3], place: $0[4], text: $0[5])
            }
        }
    }

    static func document(_ row: Row) -> StoredDocument {
        StoredDocument(id: row["id"], owner: row["owner"], name: row["name"], kind: DocumentKind(rawValue: row["kind"]) ?? .text,
                       sha256: row["sha256"], bytes: row["bytes"], chunks: row["chunks"], addedMs: row["added_ms"],
                       truncated: row["truncated"])
    }

    static func blob(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for v in vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
