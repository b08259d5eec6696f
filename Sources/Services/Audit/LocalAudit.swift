import Foundation
import GRDB
import MeshNode

/// The audit trail for what the CLI does to a data folder directly, without the node's API
/// (backups, restores): written into the folder's database as `node-operator (cli)`, beside what
/// the API records. A node may be running on the folder: SQLite's WAL lets both write.
public enum LocalAudit {
    /// Appends an `ok` entry for `action` on `resource`. Throws when it cannot: the caller
    /// refuses the action (fail closed) when it has not happened yet.
    public static func record(folder: URL, action: String, resource: String, atMs: UInt64) throws {
        let path = folder.appendingPathComponent(NodeDatabase.fileName).path
        // Never make a database where there is none (a mistyped --data-dir).
        guard FileManager.default.fileExists(atPath: path) else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO audit_log (at_ms, actor, action, resource, client, user_agent, outcome, status)
                VALUES (?, 'node-operator (cli)', ?, ?, 'local', ?, 'ok', 0)
                """, arguments: [Int64(atMs), action, String(resource.prefix(AuditLog.maxFieldLength)), "elohim \(ElohimVersion.current)"])
        }
    }
}
