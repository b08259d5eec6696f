import Foundation
import Synchronization

/// The queries a person ran, newest first: the last `maxEntries` (100) per account, each query's
/// text kept up to `maxSQLCharacters` (10,000). Stored as one JSON file in the account's folder.
public final class QueryHistory: Sendable {
    public struct Entry: Sendable, Equatable, Codable {
        /// Wall-clock milliseconds when the query ended.
        public let at: UInt64
        public let sql: String
        /// Rows returned (this page), nil when it failed.
        public let rows: Int?
        /// How long it ran, milliseconds.
        public let ms: Int
        /// The error's code when it failed.
        public let error: String?

        public init(at: UInt64, sql: String, rows: Int?, ms: Int, error: String?) {
            self.at = at
            self.sql = sql
            self.rows = rows
            self.ms = ms
            self.error = error
        }
    }

    public static let maxEntries = 100
    public static let maxSQLCharacters = 10_000
    private let store: DatasetStore
    private let lock = Mutex<Void>(())

    public init(store: DatasetStore) { self.store = store }

    private func file(_ account: String) throws -> String { try store.accountFolder(account) + "/history.json" }

    /// The account's history, newest first.
    public func entries(account: String) throws -> [Entry] {
        let path = try file(account)
        return lock.withLock { _ in
            guard let data = FileManager.default.contents(atPath: path) else { return [] }
            return (try? JSONDecoder().decode([Entry].self, from: data)) ?? []
        }
    }

    /// Adds an entry (its SQL cut to `maxSQLCharacters`), dropping the oldest past `maxEntries`.
    public func record(_ entry: Entry, account: String) throws {
        let path = try file(account)
        try lock.withLock { _ in
            var all = (FileManager.default.contents(atPath: path)).flatMap { try? JSONDecoder().decode([Entry].self, from: $0) } ?? []
            let sql = entry.sql.count > Self.maxSQLCharacters ? String(entry.sql.prefix(Self.maxSQLCharacters)) + "…" : entry.sql
            all.insert(Entry(at: entry.at, sql: sql, rows: entry.rows, ms: entry.ms, error: entry.error), at: 0)
            if all.count > Self.maxEntries { all.removeLast(all.count - Self.maxEntries) }
            let folder = (path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            do { try JSONEncoder().encode(all).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw DataEngineError.cannotWrite(path, error.localizedDescription)
            }
        }
    }
}
