import Foundation
import GRDB

/// The node's one SQLite database (DESIGN.md section 5): a GRDB `DatabasePool` in WAL mode.
///
/// Opening it, in order: open the file, `PRAGMA quick_check` (a failure stops the node with a
/// message naming the file; nothing is served from a damaged database), then the append-only
/// migrations of `NodeDatabase.migrator`.
///
/// `synchronous = FULL`: in WAL mode, NORMAL may lose the last committed transactions if the
/// machine loses power (not if only the process dies). Field devices lose power, and an op
/// acknowledged to a user must survive that (DESIGN.md section 4), so every commit waits for
/// the WAL to reach the disk. The cost is one fsync per write transaction; writes are batched
/// where rates are high.
public final class NodeDatabase: Sendable {
    public static let fileName = "elohim.sqlite"

    public let path: String
    /// Readers run concurrently with the one writer.
    public let pool: DatabasePool

    /// Opens (creating if needed), checks and migrates the database at `path`.
    public init(path: String) throws(StorageError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StorageError(opening: path, error)
        }
        try Self.quickCheck(pool, path: path)
        do {
            try Self.migrator.migrate(pool)
        } catch {
            throw .migrationFailed(path, reason: "\(error)")
        }
    }

    /// Runs `PRAGMA quick_check`; throws `integrityCheckFailed` with SQLite's first findings.
    static func quickCheck(_ pool: DatabasePool, path: String) throws(StorageError) {
        let findings: [String]
        do {
            findings = try pool.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        } catch {
            throw StorageError(opening: path, error)
        }
        guard findings == ["ok"] else {
            throw .integrityCheckFailed(path, findings: Array(findings.prefix(5)))
        }
    }

    /// Names of the migrations applied to this database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// Moves the WAL's content into the main file, then closes every connection, so a cleanly
    /// stopped node leaves one self-contained file (easy to back up or copy). Later use throws.
    public func close() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
    }
}

/// Why the database cannot be used. Each message names the file and what to do.
public enum StorageError: Error, Equatable, CustomStringConvertible {
    case notADatabase(String)
    case integrityCheckFailed(String, findings: [String])
    case cannotOpen(String, reason: String)
    case migrationFailed(String, reason: String)
    case belongsToAnotherNode(String, owner: String, node: String)
    case corruptRow(String, reason: String)

    init(opening path: String, _ error: any Error) {
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_NOTADB: self = .notADatabase(path); return
            case .SQLITE_CORRUPT: self = .integrityCheckFailed(path, findings: [db.message ?? "database disk image is malformed"]); return
            default: break
            }
        }
        self = .cannotOpen(path, reason: "\(error)")
    }

    public var description: String {
        switch self {
        case let .notADatabase(path):
            return "\(path) is not an SQLite database (its header is damaged). The node will not start on it. "
                + "Restore the file from a backup, or move it away to start with an empty database "
                + "that peers will fill again by sync."
        case let .integrityCheckFailed(path, findings):
            return "database \(path) failed its integrity check (PRAGMA quick_check): "
                + findings.joined(separator: "; ")
                + ". The node will not serve from a damaged database. Restore the file from a backup, or move "
                + "it away to start empty and let peers fill it again by sync."
        case let .cannotOpen(path, reason):
            return "cannot open database \(path): \(reason)"
        case let .migrationFailed(path, reason):
            return "cannot migrate database \(path): \(reason). Was it written by a newer ElohimOS?"
        case let .corruptRow(table, reason):
            return "a row of table \(table) is damaged (\(reason)). The node will not start from it; restore the "
                + "database from a backup, or move it away to start empty and let peers fill it again by sync."
        case let .belongsToAnotherNode(path, owner, node):
            return "database \(path) belongs to node \(owner), but this data folder's identity is node \(node). "
                + "A database or identity file was copied between folders; put back the matching pair."
        }
    }
}
