import Foundation
import GRDB
import Replicas
import Synchronization

/// Permissions of local accounts per team, stored in the node's database, resolved by
/// `PermissionResolver` and cached five minutes per (account, team). Any change to an
/// assignment or a profile empties the cache and starts a new generation, so an answer
/// computed across the change is not cached.
public final class PermissionEngine: Sendable {
    public static let cacheMs: UInt64 = 5 * 60_000
    public static let maxProfiles = 100

    struct Key: Hashable { let account: Int64; let team: String; let memberRole: Role? }
    struct Cached { let answer: EffectivePermissions; let atMs: UInt64 }

    let pool: DatabasePool
    let clock: @Sendable () -> UInt64
    private let state = Mutex<(generation: UInt64, cache: [Key: Cached], resolutions: Int)>((0, [:], 0))

    public init(pool: DatabasePool, clock: @escaping @Sendable () -> UInt64) {
        self.pool = pool
        self.clock = clock
    }

    /// How many answers were computed rather than served from the cache (for tests and metrics).
    public var resolutions: Int { state.withLock { $0.resolutions } }

    /// The permissions of `caller` in `team` (a team ID in hex). `memberRole` is the role the
    /// caller's person holds in the team's replica (PROTOCOL.md section 13), when they are a
    /// member: it is their role here too, whatever this node's access table says (their
    /// profiles and overrides from the table still apply), so a person added or re-roled through
    /// any node is let through on every node by the same role.
    public func effective(for caller: Caller, team: String, memberRole: Role? = nil) throws -> EffectivePermissions {
        guard case let .account(account) = caller else {
            return PermissionResolver.resolve(founder: true, assignment: nil, profiles: [:])
        }
        if account.founder { return PermissionResolver.resolve(founder: true, assignment: nil, profiles: [:]) }
        let key = Key(account: account.id, team: team.lowercased(), memberRole: memberRole)
        let now = clock()
        let (generation, hit) = state.withLock { s in (s.generation, s.cache[key]) }
        if let hit, now < hit.atMs + Self.cacheMs { return hit.answer }
        var (assignment, profiles) = try pool.read { db in (try Self.assignment(db, key), try Self.profiles(db)) }
        if let memberRole {
            assignment = AccessAssignment(role: memberRole, profiles: assignment?.profiles ?? [], overrides: assignment?.overrides ?? [:])
        }
        let answer = PermissionResolver.resolve(founder: false, assignment: assignment, profiles: profiles)
        state.withLock { s in
            s.resolutions += 1
            // A change while this answer was computed voids it: keep it only if none came.
            if s.generation == generation { s.cache[key] = Cached(answer: answer, atMs: now) }
        }
        return answer
    }

    /// Whether `caller` holds at least `level` of `min` role in any team (node-wide rights such
    /// as reading the audit log go to Admins of some team).
    public func holdsAnywhere(_ caller: Caller, _ p: Permission) throws -> Bool {
        guard case let .account(account) = caller, !account.founder else { return true }
        let teams = try pool.read { db in try String.fetchAll(db, sql: "SELECT team FROM account_access WHERE account_id = ?", arguments: [account.id]) }
        return try teams.contains { try effective(for: caller, team: $0).allows(p) }
    }

    public func assign(account: Int64, team: String, _ a: AccessAssignment) throws {
        let json = String(decoding: try JSONEncoder().encode(a), as: UTF8.self)
        try pool.write { db in
            try db.execute(sql: "INSERT INTO account_access (account_id, team, assignment) VALUES (?, ?, ?) "
                           + "ON CONFLICT(account_id, team) DO UPDATE SET assignment = excluded.assignment",
                           arguments: [account, team.lowercased(), json])
        }
        bump()
    }

    public func assignments(team: String) throws -> [(account: Int64, assignment: AccessAssignment)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT account_id, assignment FROM account_access WHERE team = ? ORDER BY account_id",
                             arguments: [team.lowercased()]).map { row in
                (row["account_id"], try JSONDecoder().decode(AccessAssignment.self, from: Data((row["assignment"] as String).utf8)))
            }
        }
    }

    public func setProfile(name: String, grants: [Permission: Grant]) throws {
        let json = String(decoding: try JSONEncoder().encode(PermissionCoding.encode(grants)), as: UTF8.self)
        try pool.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM permission_profiles WHERE name != ?", arguments: [name]) ?? 0
            guard count < Self.maxProfiles else { throw PermissionStoreError.tooManyProfiles }
            try db.execute(sql: "INSERT INTO permission_profiles (name, grants) VALUES (?, ?) "
                           + "ON CONFLICT(name) DO UPDATE SET grants = excluded.grants", arguments: [name, json])
        }
        bump()
    }

    public func profiles() throws -> [String: [Permission: Grant]] { try pool.read { db in try Self.profiles(db) } }

    /// Remembers that `account` created `item` (hex ID) through this node.
    public func recordCreator(item: String, account: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO item_creators (item, account_id) VALUES (?, ?)", arguments: [item.lowercased(), account])
        }
    }

    /// Whether `item` is `caller`'s own: created by it through this node.
    public func owns(_ caller: Caller, item: String) throws -> Bool {
        guard case let .account(account) = caller else { return true }
        return try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT account_id FROM item_creators WHERE item = ?", arguments: [item.lowercased()]) == account.id
        }
    }

    private func bump() { state.withLock { $0.generation += 1; $0.cache.removeAll() } }

    private static func assignment(_ db: Database, _ key: Key) throws -> AccessAssignment? {
        guard let text = try String.fetchOne(db, sql: "SELECT assignment FROM account_access WHERE account_id = ? AND team = ?",
                                             arguments: [key.account, key.team]) else { return nil }
        return try JSONDecoder().decode(AccessAssignment.self, from: Data(text.utf8))
    }

    private static func profiles(_ db: Database) throws -> [String: [Permission: Grant]] {
        var out: [String: [Permission: Grant]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, grants FROM permission_profiles") {
            out[row["name"]] = PermissionCoding.decode(try JSONDecoder().decode([String: Grant].self, from: Data((row["grants"] as String).utf8)))
        }
        return out
    }
}

public enum PermissionStoreError: Error, CustomStringConvertible {
    case tooManyProfiles
    public var description: String { "at most \(PermissionEngine.maxProfiles) permission profiles: reuse or change one" }
}
