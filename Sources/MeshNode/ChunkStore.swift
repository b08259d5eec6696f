import Foundation
import GRDB
import Synchronization

/// Sealed vault chunks in the node's database, per team, addressed by the SHA-256 of their
/// bytes. The node never holds a key: it stores and returns opaque bytes. Filled by uploads
/// (the API) and by chunk sync from peers (`ChunkSync`, PROTOCOL.md section 12).
///
/// At most `limit` chunks are kept (512 KiB each at most: about 100 GiB by default); the count
/// is read from the database once and then kept by `put` itself, since every put runs in the
/// pool's one writer (no `COUNT(*)` per chunk, which grew with the store).
public final class ChunkStore: Sendable {
    public static let maxChunks = 200_000

    let pool: DatabasePool
    public let limit: Int
    private let stored = Mutex<Int?>(nil)

    public init(pool: DatabasePool, limit: Int = ChunkStore.maxChunks) {
        self.pool = pool
        self.limit = limit
    }

    /// Stores a chunk, stamped `nowMs`; a chunk already held is left as it is (same address,
    /// same bytes), its stamp refreshed: an upload that sends it again is using it.
    public func put(team: String, id: String, data: [UInt8], nowMs: UInt64 = Node.wallClockMs()) throws(ChunkStoreError) {
        do {
            try pool.write { db in
                try db.execute(sql: "UPDATE vault_chunks SET stored_at = ? WHERE team = ? AND id = ?", arguments: [Int64(nowMs), team, id])
                if db.changesCount > 0 { return }
                let count = try stored.withLock { $0 } ?? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vault_chunks") ?? 0
                guard count < limit else { throw ChunkStoreError.full(limit: limit) }
                try db.execute(sql: "INSERT INTO vault_chunks (team, id, data, stored_at) VALUES (?, ?, ?, ?)",
                               arguments: [team, id, Data(data), Int64(nowMs)])
                stored.withLock { $0 = count + 1 }
            }
        } catch let e as ChunkStoreError { throw e } catch { throw .storage("\(error)") }
    }

    /// Deletes the chunks of `team` that no blob names (`named` holds every chunk ID its vault
    /// index still names) and that were stored before `storedBeforeMs`: a younger one may
    /// belong to an upload whose put-blob op is not written yet. Returns how many went.
    public func collect(team: String, keeping named: Set<String>, storedBeforeMs: UInt64) throws(ChunkStoreError) -> Int {
        do {
            return try pool.write { db in
                let old = try String.fetchAll(db, sql: "SELECT id FROM vault_chunks WHERE team = ? AND stored_at < ? ORDER BY id",
                                              arguments: [team, Int64(storedBeforeMs)])
                let unnamed = old.filter { !named.contains($0) }
                for id in unnamed {
                    try db.execute(sql: "DELETE FROM vault_chunks WHERE team = ? AND id = ?", arguments: [team, id])
                }
                if !unnamed.isEmpty { stored.withLock { $0 = $0.map { $0 - unnamed.count } } }
                return unnamed.count
            }
        } catch { throw .storage("\(error)") }
    }

    /// The teams that have chunks here, in order.
    public func teams() throws(ChunkStoreError) -> [String] {
        do { return try pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT team FROM vault_chunks ORDER BY team") } }
        catch { throw .storage("\(error)") }
    }

    public func get(team: String, id: String) throws(ChunkStoreError) -> [UInt8]? {
        do { return try pool.read { db in try Data.fetchOne(db, sql: "SELECT data FROM vault_chunks WHERE team = ? AND id = ?", arguments: [team, id]).map { [UInt8]($0) } } }
        catch { throw .storage("\(error)") }
    }

    /// The IDs among `ids` that this node does not hold, in the order given.
    public func missing(team: String, ids: [String]) throws(ChunkStoreError) -> [String] {
        do {
            return try pool.read { db in
                try ids.filter { try Bool.fetchOne(db, sql: "SELECT 1 FROM vault_chunks WHERE team = ? AND id = ?", arguments: [team, $0]) != true }
            }
        } catch { throw .storage("\(error)") }
    }
}

public enum ChunkStoreError: Error, CustomStringConvertible {
    case full(limit: Int)
    case storage(String)
    public var description: String {
        switch self {
        case let .full(limit): "the node holds \(limit) vault chunks, its limit: delete files (their chunks are removed within about an hour)"
        case let .storage(why): "the chunk store failed: \(why)"
        }
    }
}
