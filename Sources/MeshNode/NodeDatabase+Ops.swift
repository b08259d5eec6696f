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

    /// Every team's log, genesis first, teams by ID, and what had to be set aside.
    ///
    /// Each op is verified again (signature, limits, that it belongs to its row's team). A row
    /// that fails is moved to the `quarantine` table, in the same transaction, and the start goes
    /// on without it: a node never refuses to start because of one row (peers refill by sync
    /// what it then lacks). The ops of a team whose creating op is missing or damaged go aside
    /// too, since nothing can be folded without it.
    public func loadLogs(nowMs: UInt64) throws -> (logs: [[SignedOp]], quarantined: [QuarantinedRow]) {
        try pool.write { db in
            var byTeam: [TeamID: [(rowid: Int64, op: SignedOp)]] = [:]
            var bad: [(rowid: Int64, reason: String)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT rowid, team, signed FROM ops ORDER BY rowid")
            while let row = try rows.next() {
                let rowid: Int64 = row["rowid"]
                guard let teamBytes = row["team"] as Data?, let team = OpID(bytes: teamBytes) else {
                    bad.append((rowid, "its team is not a 32-byte ID"))
                    continue
                }
                guard let signed = row["signed"] as Data? else { bad.append((rowid, "it holds no op")); continue }
                do {
                    let op = try SignedOp(serialized: Array(signed))
                    guard op.body.team == team || (op.body.team == nil && op.id == team) else {
                        bad.append((rowid, "an op of team \(op.body.team?.short ?? op.id.short) stored under team \(team.short)"))
                        continue
                    }
                    byTeam[team, default: []].append((rowid, op))
                } catch {
                    bad.append((rowid, "an op of team \(team.short) does not verify: \(error)"))
                }
            }
            var logs: [[SignedOp]] = []
            for team in byTeam.keys.sorted() {
                let log = byTeam[team]!
                guard let genesis = log.first(where: { $0.op.id == team }) else {
                    bad += log.map { ($0.rowid, "team \(team.short) has no valid creating op") }
                    continue
                }
                // The creating op first, the rest in the order stored (each author's in sequence).
                logs.append([genesis.op] + log.filter { $0.op.id != team }.map(\.op))
            }
            var quarantined: [QuarantinedRow] = []
            for (rowid, reason) in bad.sorted(by: { $0.rowid < $1.rowid }) {
                let data = try Data.fetchOne(db, sql: "SELECT COALESCE(signed, x'') FROM ops WHERE rowid = ?", arguments: [rowid]) ?? Data()
                try db.execute(sql: "INSERT INTO quarantine (source_table, data, reason, at_ms) VALUES ('ops', ?, ?, ?)",
                               arguments: [data, reason, Int64(bitPattern: nowMs)])
                try db.execute(sql: "DELETE FROM ops WHERE rowid = ?", arguments: [rowid])
                quarantined.append(QuarantinedRow(table: "ops", reason: reason, atMs: nowMs))
            }
            return (logs, quarantined)
        }
    }

    /// How many rows were ever set aside, and the latest reasons (newest last, at most `limit`).
    public func quarantineSummary(limit: Int = 20) throws -> (count: Int, latest: [QuarantinedRow]) {
        try pool.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM quarantine") ?? 0
            let latest = try Row.fetchAll(db, sql: "SELECT source_table, reason, at_ms FROM quarantine ORDER BY id DESC LIMIT ?",
                                          arguments: [limit])
                .map { QuarantinedRow(table: $0["source_table"], reason: $0["reason"], atMs: UInt64(bitPattern: $0["at_ms"] as Int64)) }
            return (count, latest.reversed())
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

/// A row moved aside at start because it failed verification (table `quarantine`).
public struct QuarantinedRow: Sendable, Equatable, Codable {
    public var table: String
    public var reason: String
    public var atMs: UInt64
}
