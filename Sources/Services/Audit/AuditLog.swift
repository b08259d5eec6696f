import GRDB

/// One audited event: a mutation or a denial.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64?
    public var atMs: UInt64
    /// `user:<id>:<name>`, `node-cli`, or `anonymous`.
    public var actor: String
    /// `METHOD /route/pattern`, e.g. `POST /api/v1/teams`.
    public var action: String
    /// The path requested, e.g. `/api/v1/p2p/invites/8F3K2QZ1`.
    public var resource: String
    public var client: String
    public var userAgent: String
    /// `ok`, `denied` (401, 403, 423, 429), `failed` (any other error), or `pending` (recorded
    /// before it ran; left so when the node stopped before it ended).
    public var outcome: String
    public var status: Int

    public init(atMs: UInt64, actor: String, action: String, resource: String, client: String, userAgent: String,
                outcome: String, status: Int) {
        self.atMs = atMs
        self.actor = actor
        self.action = action
        self.resource = resource
        self.client = client
        self.userAgent = userAgent
        self.outcome = outcome
        self.status = status
    }
}

/// The audit trail in the node's database: append, query, and the 90-day retention.
public struct AuditLog: Sendable {
    public static let retentionMs: UInt64 = 90 * 86_400_000
    /// Longest text kept per field (a user agent can be anything a client sends).
    public static let maxFieldLength = 256
    public static let maxPage = 500

    let pool: DatabasePool

    public init(pool: DatabasePool) { self.pool = pool }

    public func record(_ e: AuditEntry) throws {
        _ = try begin(e)
    }

    /// Appends `e` and returns its ID, so an action recorded before it runs can be completed.
    public func begin(_ e: AuditEntry) throws -> Int64 {
        func cut(_ s: String) -> String { String(s.prefix(Self.maxFieldLength)) }
        return try pool.write { db in
            try db.execute(sql: """
                INSERT INTO audit_log (at_ms, actor, action, resource, client, user_agent, outcome, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Int64(e.atMs), cut(e.actor), cut(e.action), cut(e.resource), cut(e.client), cut(e.userAgent),
                                 e.outcome, e.status])
            return db.lastInsertedRowID
        }
    }

    /// Sets the outcome of the entry `id` (one `begin` wrote as pending).
    public func complete(_ id: Int64, outcome: String, status: Int) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE audit_log SET outcome = ?, status = ? WHERE id = ?", arguments: [outcome, status, id])
        }
    }

    /// What to look for; every field narrows the result.
    public struct Filter: Sendable {
        public var actor: String?
        public var action: String?
        public var outcome: String?
        public var sinceMs: UInt64?
        public var limit = 100
        public init(actor: String? = nil, action: String? = nil, outcome: String? = nil, sinceMs: UInt64? = nil, limit: Int = 100) {
            self.actor = actor
            self.action = action
            self.outcome = outcome
            self.sinceMs = sinceMs
            self.limit = limit
        }
    }

    /// Matching entries, newest first, at most `min(filter.limit, maxPage)`.
    public func entries(_ f: Filter) throws -> [AuditEntry] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let a = f.actor { clauses.append("actor = ?"); args.append(a) }
        if let a = f.action { clauses.append("action = ?"); args.append(a) }
        if let o = f.outcome { clauses.append("outcome = ?"); args.append(o) }
        if let s = f.sinceMs { clauses.append("at_ms >= ?"); args.append(Int64(s)) }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let limit = max(1, min(f.limit, Self.maxPage))
        return try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_log \(whereSQL) ORDER BY id DESC LIMIT \(limit)",
                             arguments: StatementArguments(args)).map { row in
                var e = AuditEntry(atMs: UInt64(row["at_ms"] as Int64), actor: row["actor"], action: row["action"],
                                   resource: row["resource"], client: row["client"], userAgent: row["user_agent"],
                                   outcome: row["outcome"], status: row["status"])
                e.id = row["id"]
                return e
            }
        }
    }

    /// Deletes entries older than the retention at `nowMs`; returns how many.
    @discardableResult
    public func prune(at nowMs: UInt64) throws -> Int {
        guard nowMs > Self.retentionMs else { return 0 }
        return try pool.write { db in
            try db.execute(sql: "DELETE FROM audit_log WHERE at_ms < ?", arguments: [Int64(nowMs - Self.retentionMs)])
            return db.changesCount
        }
    }
}
