import Foundation
import GRDB
import MeshCore
import Replicas
import Wire

extension NodeCore.Restored {
    /// What the node persisted before it stopped: incarnation, broadcast counter, recent gossip
    /// messages (those younger than `seenMaxAge` by the wall clock; older ones are deleted), the
    /// forgotten floors still within `floorLifetime` (at most `floorCapacity`, the newest) and
    /// every team's op log.
    init(from database: NodeDatabase, seenMaxAge: Duration, floorLifetime: Duration, floorCapacity: Int, nowMs: UInt64,
         quarantined: inout [QuarantinedRow]) throws {
        let incarnation = try database.meta("incarnation").flatMap(UInt64.init)
        let nextSeq = try database.meta("next_broadcast_seq").flatMap(UInt64.init) ?? 0
        let cutoff = Int64(nowMs) - seenMaxAge.nanoseconds / 1_000_000
        func frame(_ row: Row) -> GossipFrame? {
            guard case let .gossip(f)? = try? MeshMessage(serialized: (row["frame"] as Data).byteArray) else { return nil }
            return f
        }
        let (frames, agedOut): ([GossipFrame], [StoredFloor]) = try database.pool.write { db in
            // Messages that turned older than the seen-cache while the node was down: their
            // entries aged out with no floor persisted, so they raise their floors now.
            let old = try Row.fetchAll(db, sql: "SELECT frame, stored_at_ms FROM gossip_messages WHERE stored_at_ms < ?",
                                       arguments: [cutoff]).compactMap { row -> StoredFloor? in
                guard let f = frame(row) else { return nil }
                let storedAt: Int64 = row["stored_at_ms"]
                return StoredFloor(agedOut: f, storedAtMs: UInt64(max(0, storedAt)), nowMs: nowMs, seenMaxAge: seenMaxAge)
            }
            try db.execute(sql: "DELETE FROM gossip_messages WHERE stored_at_ms < ?", arguments: [cutoff])
            let young = try Row.fetchAll(db, sql: "SELECT frame FROM gossip_messages ORDER BY stored_at_ms, rowid").compactMap(frame)
            return (young, old)
        }
        let floors = try database.restoreForgottenFloors(nowMs: nowMs, lifetime: floorLifetime, capacity: floorCapacity)
            + agedOut.filter { $0.age < floorLifetime }
        let loaded = try database.loadLogs(nowMs: nowMs)
        quarantined = loaded.quarantined
        self.init(incarnation: incarnation, nextBroadcastSeq: nextSeq, messages: frames, teamLogs: loaded.logs,
                  forgottenFloors: floors)
    }
}

extension NodeDatabase {
    /// Keeps a gossip message a restart must still know as delivered, and drops, in the same
    /// transaction, those stored more than `keepMs` ago: the seen-cache has forgotten them too,
    /// so the table stays bounded while the node runs (a flood of messages is not kept until the
    /// next start). The range delete uses the `stored_at_ms` index: nothing to delete costs one
    /// index probe. `floors` (forgotten floors that rose just before) go in the same transaction,
    /// so they cost no fsync of their own.
    func storeGossipMessage(_ frame: GossipFrame, floors: [(origin: NodeID, seq: UInt64)] = [], nowMs: UInt64, keepMs: UInt64,
                            floorKeepMs: UInt64 = 0) throws {
        let cutoff = Int64(clamping: nowMs) - Int64(clamping: keepMs)
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO gossip_messages (id, frame, stored_at_ms) VALUES (?, ?, ?)",
                           arguments: [Data(frame.id.bytes), Data(MeshMessage.gossip(frame).serialized()), Int64(clamping: nowMs)])
            try db.execute(sql: "DELETE FROM gossip_messages WHERE stored_at_ms < ?", arguments: [cutoff])
            if !floors.isEmpty { try Self.storeFloors(floors, in: db, nowMs: nowMs, keepMs: floorKeepMs) }
        }
    }

    /// Stores forgotten floors that rose at `nowMs` (one row per origin, the latest rise), and
    /// drops rows stored more than `keepMs` ago: past their lifetime, the router dropped them too.
    func storeForgottenFloors(_ floors: [(origin: NodeID, seq: UInt64)], nowMs: UInt64, keepMs: UInt64) throws {
        guard !floors.isEmpty else { return }
        try pool.write { db in try Self.storeFloors(floors, in: db, nowMs: nowMs, keepMs: keepMs) }
    }

    private static func storeFloors(_ floors: [(origin: NodeID, seq: UInt64)], in db: Database, nowMs: UInt64,
                                    keepMs: UInt64) throws {
        let now = Int64(clamping: nowMs)
        for floor in floors {
            try db.execute(sql: "INSERT OR REPLACE INTO forgotten_floors (origin, seq, raised_at_ms) VALUES (?, ?, ?)",
                           arguments: [Data(floor.origin.bytes), Int64(bitPattern: floor.seq), now])
        }
        try db.execute(sql: "DELETE FROM forgotten_floors WHERE raised_at_ms < ?", arguments: [now - Int64(clamping: keepMs)])
    }

    /// The stored forgotten floors as a restart takes them back, with their age at `nowMs`.
    /// First the table is cleaned: rows dated after `nowMs` (the wall clock went back since) are
    /// dated `nowMs`, so they last at most `lifetime` from now and are pruned afterwards like
    /// any other; rows past `lifetime` are deleted; past `capacity` rows (the router's bound),
    /// the oldest are deleted.
    func restoreForgottenFloors(nowMs: UInt64, lifetime: Duration, capacity: Int) throws -> [StoredFloor] {
        let now = Int64(clamping: nowMs)
        let cutoff = now - lifetime.nanoseconds / 1_000_000
        return try pool.write { db in
            try db.execute(sql: "UPDATE forgotten_floors SET raised_at_ms = ? WHERE raised_at_ms > ?", arguments: [now, now])
            try db.execute(sql: "DELETE FROM forgotten_floors WHERE raised_at_ms < ?", arguments: [cutoff])
            try db.execute(sql: """
                DELETE FROM forgotten_floors WHERE origin NOT IN
                  (SELECT origin FROM forgotten_floors ORDER BY raised_at_ms DESC, origin LIMIT ?)
                """, arguments: [capacity])
            return try Row.fetchAll(db, sql: "SELECT origin, seq, raised_at_ms FROM forgotten_floors ORDER BY origin").compactMap { row in
                guard let origin = NodeID(bytes: (row["origin"] as Data).byteArray) else { return nil }
                let raised: Int64 = row["raised_at_ms"]
                return StoredFloor(origin: origin, seq: UInt64(bitPattern: row["seq"] as Int64),
                                   raisedAtMs: UInt64(max(0, raised)), nowMs: nowMs)
            }
        }
    }
}
