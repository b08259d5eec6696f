import Foundation
import GRDB
import MeshCore
import Replicas
import Wire

extension NodeCore.Restored {
    /// What the node persisted before it stopped: incarnation, broadcast counter, recent gossip
    /// messages (those younger than `seenMaxAge` by the wall clock; older ones are deleted) and
    /// every team's op log.
    init(from database: NodeDatabase, seenMaxAge: Duration, nowMs: UInt64, quarantined: inout [QuarantinedRow]) throws {
        let incarnation = try database.meta("incarnation").flatMap(UInt64.init)
        let nextSeq = try database.meta("next_broadcast_seq").flatMap(UInt64.init) ?? 0
        let cutoff = Int64(nowMs) - seenMaxAge.nanoseconds / 1_000_000
        let frames: [GossipFrame] = try database.pool.write { db in
            try db.execute(sql: "DELETE FROM gossip_messages WHERE stored_at_ms < ?", arguments: [cutoff])
            return try Data.fetchAll(db, sql: "SELECT frame FROM gossip_messages ORDER BY stored_at_ms, rowid").compactMap {
                guard case let .gossip(f)? = try? MeshMessage(serialized: $0.byteArray) else { return nil }
                return f
            }
        }
        let loaded = try database.loadLogs(nowMs: nowMs)
        quarantined = loaded.quarantined
        self.init(incarnation: incarnation, nextBroadcastSeq: nextSeq, messages: frames, teamLogs: loaded.logs)
    }
}

extension NodeDatabase {
    /// Keeps a gossip message a restart must still know as delivered, and drops, in the same
    /// transaction, those stored more than `keepMs` ago: the seen-cache has forgotten them too,
    /// so the table stays bounded while the node runs (a flood of messages is not kept until the
    /// next start). The range delete uses the `stored_at_ms` index: nothing to delete costs one
    /// index probe.
    func storeGossipMessage(_ frame: GossipFrame, nowMs: UInt64, keepMs: UInt64) throws {
        let cutoff = Int64(clamping: nowMs) - Int64(clamping: keepMs)
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO gossip_messages (id, frame, stored_at_ms) VALUES (?, ?, ?)",
                           arguments: [Data(frame.id.bytes), Data(MeshMessage.gossip(frame).serialized()), Int64(clamping: nowMs)])
            try db.execute(sql: "DELETE FROM gossip_messages WHERE stored_at_ms < ?", arguments: [cutoff])
        }
    }
}
