import GRDB
import Synchronization

/// Login tokens signed out before they expire (table `revoked_tokens`), by token ID (`jti`).
///
/// Read on every request, so the set is held in memory (loaded at start) and written through to
/// the database; an entry is dropped once its token would have expired anyway, so the set holds
/// at most a day of sign-outs, and at most `maxEntries`. When it is full, `add` answers false and
/// the caller ends the account's sessions by its token version instead: a signed-out token is
/// never forgotten while it could still be used.
public final class SignedOutTokens: Sendable {
    public static let maxEntries = 100_000

    private let pool: DatabasePool
    private let ids: Mutex<[String: UInt64]>

    public init(pool: DatabasePool, nowMs: UInt64) throws {
        self.pool = pool
        let rows = try pool.write { db -> [String: UInt64] in
            try db.execute(sql: "DELETE FROM revoked_tokens WHERE expires_ms <= ?", arguments: [Int64(nowMs)])
            var out: [String: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT jti, expires_ms FROM revoked_tokens") {
                out[row["jti"]] = UInt64(row["expires_ms"] as Int64)
            }
            return out
        }
        ids = Mutex(rows)
    }

    public func contains(_ jti: String) -> Bool { ids.withLock { $0[jti] != nil } }

    /// Signs out the token `jti`, which expires at `expiresMs`; false when the set is full.
    public func add(_ jti: String, expiresMs: UInt64, nowMs: UInt64) throws -> Bool {
        let room = ids.withLock { set -> Bool in
            set = set.filter { $0.value > nowMs }
            return set.count < Self.maxEntries
        }
        guard room else { return false }
        try pool.write { db in
            try db.execute(sql: "DELETE FROM revoked_tokens WHERE expires_ms <= ?", arguments: [Int64(nowMs)])
            try db.execute(sql: "INSERT OR REPLACE INTO revoked_tokens (jti, expires_ms) VALUES (?, ?)", arguments: [jti, Int64(expiresMs)])
        }
        ids.withLock { $0[jti] = expiresMs }
        return true
    }
}
