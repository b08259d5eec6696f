import Foundation
import GRDB

/// A chat as it is listed.
public struct ChatInfo: Sendable, Equatable, Codable {
    public let id: Int64
    public let owner: String
    public let title: String
    /// The model the chat asks (nil: the node's default, else the first the server has).
    public let model: String?
    public let system: String
    public let summary: String?
    public let summarizedThrough: Int64
    public let createdMs: Int64
}

/// A question or an answer, stored.
public struct StoredMessage: Sendable, Equatable, Codable {
    public let id: Int64
    public let role: String
    public let content: String
    /// The sources an answer was given, in their numbered order ([1] first).
    public let sources: [Source]
    public let model: String?
    public let createdMs: Int64

    public struct Source: Sendable, Equatable, Codable {
        public let number: Int
        public let document: Int64
        public let documentName: String
        public let place: String
        public init(number: Int, document: Int64, documentName: String, place: String) {
            self.number = number; self.document = document; self.documentName = documentName; self.place = place
        }
    }
}

/// Chats and their messages, per person, in `chats.sqlite` beside the library.
///
/// Rules it keeps: a person sees and changes only their own chats; deleting a chat deletes its
/// messages; a person holds at most `maxChats` chats and a chat `maxMessages` messages.
public final class ChatStore: Sendable {
    let database: DatabaseQueue
    public static let maxChats = 1_000
    public static let maxMessages = 10_000

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        database = try DatabaseQueue(path: path, configuration: configuration)
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE chats(id INTEGER PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, model TEXT,
                    system TEXT NOT NULL, summary TEXT, summarized_through INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
                CREATE INDEX chats_by_owner ON chats(owner);
                CREATE TABLE messages(id INTEGER PRIMARY KEY, chat INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
                    role TEXT NOT NULL, content TEXT NOT NULL, sources TEXT NOT NULL DEFAULT '[]', model TEXT, created_ms INTEGER NOT NULL);
                CREATE INDEX messages_by_chat ON messages(chat, id);
                """)
        }
        try m.migrate(database)
    }

    public func create(owner: String, title: String, model: String?, system: String, nowMs: Int64) throws -> ChatInfo {
        try database.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM chats WHERE owner = ?", arguments: [owner]) ?? 0
            guard count < Self.maxChats else { throw ChatError.tooManyChats(limit: Self.maxChats) }
            try db.execute(sql: "INSERT INTO chats(owner, title, model, system, created_ms) VALUES (?, ?, ?, ?, ?)",
                           arguments: [owner, title, model, system, nowMs])
            return try Self.chat(db, id: db.lastInsertedRowID, owner: owner)!
        }
    }

    public func chat(id: Int64, owner: String) throws -> ChatInfo {
        guard let chat = try database.read({ try Self.chat($0, id: id, owner: owner) }) else { throw ChatError.noSuchChat(id: id) }
        return chat
    }

    public func chats(owner: String) throws -> [ChatInfo] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM chats WHERE owner = ? ORDER BY created_ms DESC, id DESC", arguments: [owner]).map(Self.chat)
        }
    }

    public func delete(id: Int64, owner: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM chats WHERE id = ? AND owner = ?", arguments: [id, owner])
            guard db.changesCount > 0 else { throw ChatError.noSuchChat(id: id) }
        }
    }

    public func messages(chat: Int64) throws -> [StoredMessage] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM messages WHERE chat = ? ORDER BY id", arguments: [chat]).map(Self.message)
        }
    }

    public func append(chat: Int64, role: String, content: String, sources: [StoredMessage.Source] = [], model: String? = nil, nowMs: Int64) throws -> StoredMessage {
        try database.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE chat = ?", arguments: [chat]) ?? 0
            guard count < Self.maxMessages else { throw ChatError.chatFull(limit: Self.maxMessages) }
            let encoded = String(decoding: try JSONEncoder().encode(sources), as: UTF8.self)
            try db.execute(sql: "INSERT INTO messages(chat, role, content, sources, model, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [chat, role, content, encoded, model, nowMs])
            return Self.message(try Row.fetchOne(db, sql: "SELECT * FROM messages WHERE id = ?", arguments: [db.lastInsertedRowID])!)
        }
    }

    public func setSummary(chat: Int64, summary: String, through: Int64) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE chats SET summary = ?, summarized_through = ? WHERE id = ?", arguments: [summary, through, chat])
        }
    }

    static func chat(_ db: Database, id: Int64, owner: String) throws -> ChatInfo? {
        try Row.fetchOne(db, sql: "SELECT * FROM chats WHERE id = ? AND owner = ?", arguments: [id, owner]).map(chat)
    }

    static func chat(_ row: Row) -> ChatInfo {
        ChatInfo(id: row["id"], owner: row["owner"], title: row["title"], model: row["model"], system: row["system"],
                 summary: row["summary"], summarizedThrough: row["summarized_through"], createdMs: row["created_ms"])
    }

    static func message(_ row: Row) -> StoredMessage {
        let sources = (try? JSONDecoder().decode([StoredMessage.Source].self, from: Data((row["sources"] as String).utf8))) ?? []
        return StoredMessage(id: row["id"], role: row["role"], content: row["content"], sources: sources, model: row["model"], createdMs: row["created_ms"])
    }
}

/// What a chat refuses, said so that a person knows what to do.
public enum ChatError: Error, Equatable, CustomStringConvertible {
    case noSuchChat(id: Int64)
    case tooManyChats(limit: Int)
    case chatFull(limit: Int)
    case emptyQuestion
    case questionTooLong(bytes: Int, limit: Int)
    case badTitle
    case noModel

    public var description: String {
        switch self {
        case .noSuchChat(let id): return "there is no chat \(id) of yours: GET /api/v1/assistant/chats lists them"
        case .tooManyChats(let limit): return "you hold \(limit) chats, the limit: delete some first"
        case .chatFull(let limit): return "this chat holds \(limit) messages, the limit: start a new chat"
        case .emptyQuestion: return "the question is empty: ask something"
        case .questionTooLong(let bytes, let limit): return "the question is \(bytes) bytes; at most \(limit): shorten it, or add the text as a document and ask about it"
        case .badTitle: return "a chat's title is 1 to 200 bytes without control characters"
        case .noModel: return "the model server has no chat model: pull one (`elohim assistant pull llama3.2`) or name one with --model"
        }
    }
}
