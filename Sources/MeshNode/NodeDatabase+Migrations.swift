import GRDB

extension NodeDatabase {
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

        return migrator
    }
}
