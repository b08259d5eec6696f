import GRDB
import Wire

extension NodeDatabase {
    /// Records `nodeID` as this database's owner on first use; afterwards refuses any other
    /// node ID, so a database copied between data folders is caught before it is served.
    public func claim(for nodeID: NodeID) throws(StorageError) {
        let owner: String?
        do {
            owner = try pool.write { db -> String? in
                if let existing = try String.fetchOne(db, sql: "SELECT value FROM node_meta WHERE key = 'node_id'") {
                    return existing
                }
                try db.execute(sql: "INSERT INTO node_meta (key, value) VALUES ('node_id', ?)", arguments: [nodeID.description])
                return nil
            }
        } catch {
            throw .cannotOpen(path, reason: "\(error)")
        }
        if let owner, owner != nodeID.description {
            throw .belongsToAnotherNode(path, owner: owner, node: nodeID.description)
        }
    }
}
