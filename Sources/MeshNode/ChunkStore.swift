import Foundation
import GRDB

/// Sealed vault chunks in the node's database, per team, addressed by the SHA-256 of their
/// bytes. The node never holds a key: it stores and returns opaque bytes. Filled by uploads
/// (the API) and by chunk sync from peers (`ChunkSync`, PROTOCOL.md section 12).
public struct ChunkStore: Sendable {
    /// At most this many chunks (512 KiB each at most: about 100 GiB) on one node.
    public static let maxChunks = 200_000

    let pool: DatabasePool
    public init(pool: DatabasePool) { self.pool = pool }

    public func put(team: String, id: String, data: [UInt8]) throws(ChunkStoreError) {
        do {
            try pool.write { db in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM vault_chunks WHERE team = ? AND id = ?", arguments: [team, id]) == true { return }
                guard (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vault_chunks") ?? 0) < Self.maxChunks else { throw ChunkStoreError.full }
                try db.execute(sql: "INSERT INTO vault_chunks (team, id, data) VALUES (?, ?, ?)", arguments: [team, id, Data(data)])
            }
        } catch let e as ChunkStoreError { throw e } catch { throw .storage("\(error)") }
    }

    public func get(team: String, id: String) throws(ChunkStoreError) -> [UInt8]? {
        do { return try pool.read { db in try Data.fetchOne(db, sql: "SELECT data FROM vault_chunks WHERE team = ? AND id = ?", arguments: [team, id]).map { [UInt8]($0) } } }
        catch { throw .storage("\(error)") }
    }

    /// The IDs among `ids` that this node does not hold.
    public func missing(team: String, ids: [String]) throws(ChunkStoreError) -> [String] {
        do {
            return try pool.read { db in
                try ids.filter { try Bool.fetchOne(db, sql: "SELECT 1 FROM vault_chunks WHERE team = ? AND id = ?", arguments: [team, $0]) != true }
            }
        } catch { throw .storage("\(error)") }
    }
}

public enum ChunkStoreError: Error, CustomStringConvertible {
    case full
    case storage(String)
    public var description: String {
        switch self {
        case .full: "the node holds \(ChunkStore.maxChunks) vault chunks, its limit: delete files first"
        case let .storage(why): "the chunk store failed: \(why)"
        }
    }
}
