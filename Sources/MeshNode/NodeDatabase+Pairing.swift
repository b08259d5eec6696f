import Foundation
import GRDB
import MeshCore
import Replicas
import Wire

extension NodeDatabase {
    /// Every pairing code stored, oldest first. Rows that no longer parse are skipped (and
    /// reported by the caller's count), never a reason to stop the node.
    public func loadInvites() throws -> [PairingInvite] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM pairing_invites ORDER BY created_ms, id").compactMap(Self.invite)
        }
    }

    /// Stores `invites` (insert or replace) and deletes `forgotten`, in one transaction.
    public func saveInvites(_ invites: [PairingInvite], forgetting forgotten: [String] = []) throws {
        try pool.write { db in
            for i in invites {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO pairing_invites
                    (id, code, created_ms, expires_ms, attempts, used_by, used_ms, revoked, grant_team, grant_role, grant_invite_op)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [i.id, i.code.description, Int64(i.createdMs), Int64(i.expiresMs), i.attempts,
                                     i.usedBy?.description, i.usedMs.map { Int64($0) }, i.revoked,
                                     i.grant.map { Data($0.team.bytes) }, i.grant?.role.description,
                                     i.grant.map { Data($0.inviteOp.bytes) }])
            }
            for id in forgotten { try db.execute(sql: "DELETE FROM pairing_invites WHERE id = ?", arguments: [id]) }
        }
    }

    private static func invite(_ row: Row) -> PairingInvite? {
        guard let code = try? OmniCode(parsing: row["code"]) else { return nil }
        var grant: TeamGrant?
        if let team: Data = row["grant_team"], let op: Data = row["grant_invite_op"], let roleName: String = row["grant_role"] {
            guard let t = OpID(bytes: team), let o = OpID(bytes: op), let role = Role(name: roleName) else { return nil }
            grant = TeamGrant(team: t, role: role, inviteOp: o)
        }
        let usedBy: String? = row["used_by"]
        let usedMs: Int64? = row["used_ms"]
        return PairingInvite(id: row["id"], code: code, createdMs: UInt64(row["created_ms"] as Int64),
                             expiresMs: UInt64(row["expires_ms"] as Int64), attempts: row["attempts"],
                             usedBy: usedBy.flatMap { try? NodeID(parsing: $0) }, usedMs: usedMs.map { UInt64($0) },
                             revoked: row["revoked"], grant: grant)
    }
}
