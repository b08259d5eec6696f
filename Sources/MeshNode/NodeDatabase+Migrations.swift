import GRDB

extension NodeDatabase {
    /// Every migration's name, in order.
    public static var migrationNames: [String] { migrator.migrations }

    /// The schema's history. Append-only: a migration that has landed is never edited or
    /// reordered, because databases in the field have already run it; change the schema by
    /// adding a new one at the end.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        // Who this database belongs to and when it was made. The node refuses a database
        // whose node ID is not its own: a copied data folder is a mistake worth stopping for.
        migrator.registerMigration("2026-11-27 node metadata") { db in
            try db.create(table: "node_meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        }

        // Replicated ops: the log of every team this node holds, exactly as signed. The
        // primary key is the op ID; (team, author, seq) is unique too, which makes a second op
        // with a taken sequence number (equivocation) impossible to store.
        migrator.registerMigration("2026-11-27 replicated ops") { db in
            try db.create(table: "ops") { t in
                t.primaryKey("id", .blob)
                t.column("team", .blob).notNull()
                t.column("author", .blob).notNull()
                t.column("seq", .integer).notNull()
                t.column("hlc_wall_ms", .integer).notNull()
                t.column("hlc_logical", .integer).notNull()
                t.column("signed", .blob).notNull()
                t.uniqueKey(["team", "author", "seq"])
            }
            // The materialized document of each team, as JSON, with the log length and state
            // digest it was taken at: a restart checks the rebuilt state against it.
            try db.create(table: "team_snapshots") { t in
                t.primaryKey("team", .blob)
                t.column("op_count", .integer).notNull()
                t.column("digest", .text).notNull()
                t.column("snapshot", .text).notNull()
                t.column("updated_at_ms", .integer).notNull()
            }
        }

        // Recent gossip messages, so a restarted node still knows what it delivered (pruned
        // to the seen-cache's age on start).
        migrator.registerMigration("2026-11-27 gossip messages") { db in
            try db.create(table: "gossip_messages") { t in
                t.primaryKey("id", .blob)
                t.column("frame", .blob).notNull()
                t.column("stored_at_ms", .integer).notNull().indexed()
            }
        }

        // Peers this node links with, and how it came to trust them (TrustStore).
        migrator.registerMigration("2026-11-27 trusted peers") { db in
            try db.create(table: "trusted_peers") { t in
                t.primaryKey("node_id", .text)
                t.column("source", .text).notNull()
                t.column("noise_static", .blob)
                t.column("added_at_ms", .integer).notNull()
            }
        }

        // Pairing codes this node handed out (PairingInvite): they outlive restarts, and the
        // attempt count is written before each answer so a crash cannot reset it. The code is
        // kept in clear because the inviter needs it to run CPace; the database is the node's own.
        migrator.registerMigration("2026-11-28 pairing invites") { db in
            try db.create(table: "pairing_invites") { t in
                t.primaryKey("id", .text)
                t.column("code", .text).notNull()
                t.column("created_ms", .integer).notNull()
                t.column("expires_ms", .integer).notNull()
                t.column("attempts", .integer).notNull()
                t.column("used_by", .text)
                t.column("used_ms", .integer)
                t.column("revoked", .boolean).notNull()
                t.column("grant_team", .blob)
                t.column("grant_role", .text)
                t.column("grant_invite_op", .blob)
            }
            // Where a peer was reached when it was paired by dialling it, so the link is
            // redialled after restarts even without mDNS.
            try db.alter(table: "trusted_peers") { t in t.add(column: "address", .text) }
        }

        // The local services' tables (Services module) live in the same file, so one commit
        // spans a write and its audit entry; their history is this one list.
        migrator.registerMigration("2026-11-28 accounts and audit") { db in
            try db.create(table: "accounts") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("username", .text).notNull().unique().collate(.nocase)
                t.column("password_hash", .text).notNull()
                t.column("founder", .boolean).notNull().defaults(to: false)
                t.column("created_ms", .integer).notNull()
                // Failed logins in the current window, when that window began, and the lock.
                t.column("failures", .integer).notNull().defaults(to: 0)
                t.column("first_failure_ms", .integer)
                t.column("locked_until_ms", .integer)
            }
            try db.create(table: "audit_log") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at_ms", .integer).notNull().indexed()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("resource", .text).notNull()
                t.column("client", .text).notNull()
                t.column("user_agent", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("status", .integer).notNull()
            }
        }

        // Who may do what through this node, per local account and team (Services' permissions).
        migrator.registerMigration("2026-11-28 permissions") { db in
            try db.create(table: "account_access") { t in
                t.column("account_id", .integer).notNull().references("accounts", onDelete: .cascade)
                t.column("team", .text).notNull()
                t.column("assignment", .text).notNull()
                t.primaryKey(["account_id", "team"])
            }
            try db.create(table: "permission_profiles") { t in
                t.primaryKey("name", .text)
                t.column("grants", .text).notNull()
            }
            // Which local account created an item through this node: its "own" items.
            try db.create(table: "item_creators") { t in
                t.primaryKey("item", .text)
                t.column("account_id", .integer).notNull()
            }
        }

        // Sealed vault chunks (vault format v1): opaque bytes, addressed by their SHA-256.
        migrator.registerMigration("2026-11-28 vault chunks") { db in
            try db.create(table: "vault_chunks") { t in
                t.column("team", .text).notNull()
                t.column("id", .text).notNull()
                t.column("data", .blob).notNull()
                t.primaryKey(["team", "id"])
            }
        }

        // When each chunk was stored (ms since 1970), so that chunks no blob names are
        // collected only once an upload in progress has had time to write its put-blob op.
        // Chunks from before count as stored now.
        migrator.registerMigration("2026-11-28 vault chunk times") { db in
            try db.alter(table: "vault_chunks") { t in
                t.add(column: "stored_at", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE vault_chunks SET stored_at = ?", arguments: [Int64(Node.wallClockMs())])
        }

        // Rows that failed verification at start (an op whose signature or limits do not hold),
        // moved aside rather than stopping the node: kept for a human to look at, counted on
        // /diagnostics; peers refill what the node then lacks by sync.
        migrator.registerMigration("2026-12-02 quarantine") { db in
            try db.create(table: "quarantine") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("source_table", .text).notNull()
                t.column("data", .blob).notNull()
                t.column("reason", .text).notNull()
                t.column("at_ms", .integer).notNull()
            }
        }

        // Sessions that end before their 24 hours: a per-account token version (bumped by a
        // password change or "sign out everywhere", checked on every request), and single
        // tokens signed out (kept until they would have expired anyway).
        migrator.registerMigration("2026-12-02 sessions") { db in
            try db.alter(table: "accounts") { t in t.add(column: "token_version", .integer).notNull().defaults(to: 0) }
            try db.create(table: "revoked_tokens") { t in
                t.primaryKey("jti", .text)
                t.column("expires_ms", .integer).notNull().indexed()
            }
        }

        // Forgotten floors (PROTOCOL.md section 5): per origin, the highest broadcast the
        // seen-cache let go, with the wall-clock time it last rose, so a restart keeps refusing
        // copies older than the gossip messages it still holds. One row per origin; rows past
        // the floor's lifetime are deleted with every write (by the index).
        migrator.registerMigration("2026-12-03 forgotten floors") { db in
            try db.create(table: "forgotten_floors") { t in
                t.primaryKey("origin", .blob)
                // The seq's 64 bits as a signed integer (a forged seq may be 2^64 - 1).
                t.column("seq", .integer).notNull()
                t.column("raised_at_ms", .integer).notNull().indexed()
            }
        }

        // People (PROTOCOL.md section 13): each account is a person with a display name and keys
        // of its own. The private keys are stored sealed under a key Argon2id derives from the
        // account's password; accounts made before this version get theirs at their next login
        // (the password is needed to seal them), so nothing here is filled in by the migration.
        migrator.registerMigration("2026-12-04 persons") { db in
            try db.alter(table: "accounts") { t in
                t.add(column: "name", .text)
                t.add(column: "person", .text)
                t.add(column: "person_public_key", .blob)
                t.add(column: "box_public_key", .blob)
                t.add(column: "keys_salt", .blob)
                t.add(column: "keys_nonce", .blob)
                t.add(column: "keys_box", .blob)
                t.add(column: "keys_operations", .integer)
                t.add(column: "keys_memory", .integer)
            }
            try db.create(index: "accounts_person", on: "accounts", columns: ["person"], unique: true)
        }

        return migrator
    }
}
