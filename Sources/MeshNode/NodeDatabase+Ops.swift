import Foundation
import GRDB
import Replicas
import Wire

/// The op log and materialized documents in the node's database.
extension NodeDatabase {
    /// Stores `ops` of `team` in one transaction; an op already stored is skipped. Returns once
    /// the transaction has committed (and, with `synchronous = FULL`, reached the disk): only
    /// then may the op be acknowledged.
    public func appendOps(_ ops: [SignedOp], team: TeamID) throws {
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO ops (id, team, author, seq, hlc_wall_ms, hlc_logical, signed)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for op in ops {
                try insert.execute(arguments: [Data(op.id.bytes), Data(team.bytes), Data(op.author.bytes),
                                               Int64(op.body.seq), Int64(bitPattern: op.body.hlc.wallMs),
                                               Int64(op.body.hlc.logical), Data(op.serialized)])
            }
        }
    }

    /// Every team's log, genesis first, teams by ID. Each op's signature is verified again:
    /// a damaged row stops the start rather than feeding a wrong state.
    public func loadLogs() throws -> [[SignedOp]] {
        try pool.read { db in
            var byTeam: [TeamID: [SignedOp]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT team, signed FROM ops ORDER BY rowid")
            while let row = try rows.next() {
                let teamBytes: Data = row["team"], signed: Data = row["signed"]
                guard let team = OpID(bytes: teamBytes) else { throw StorageError.corruptRow("ops", reason: "team is not 32 bytes") }
                do {
                    byTeam[team, default: []].append(try SignedOp(serialized: Array(signed)))
                } catch {
                    throw StorageError.corruptRow("ops", reason: "an op of team \(team.short) does not verify: \(error)")
                }
            }
            return byTeam.keys.sorted().map { team in
                // The creating op first, the rest in the order stored (each author's in sequence).
                let log = byTeam[team]!
                return log.filter { $0.id == team } + log.filter { $0.id != team }
            }
        }
    }

    /// Stores the materialized document of `state`.
    public func saveSnapshot(_ state: TeamState, opCount: Int, nowMs: UInt64) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(state.snapshot(nowMs: nowMs)), as: UTF8.self)
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO team_snapshots (team, op_count, digest, snapshot, updated_at_ms) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(team) DO UPDATE SET op_count = excluded.op_count, digest = excluded.digest,
                  snapshot = excluded.snapshot, updated_at_ms = excluded.updated_at_ms
                """, arguments: [Data(state.id.bytes), opCount, state.digest, json, Int64(bitPattern: nowMs)])
        }
    }

    /// The stored snapshot of `team`: its log length and digest.
    public func snapshotInfo(_ team: TeamID) throws -> (opCount: Int, digest: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT op_count, digest FROM team_snapshots WHERE team = ?", arguments: [Data(team.bytes)])
                .map { ($0["op_count"], $0["digest"]) }
        }
    }

    // MARK: Small values

    public func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM node_meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    /// Total bytes of stored signed ops and their count, for the bytes-per-op figure.
    public func opStorage() throws -> (count: Int, signedBytes: Int) {
        try pool.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(signed)), 0) AS b FROM ops")!
            return (row["n"], row["b"])
        }
    }
}
