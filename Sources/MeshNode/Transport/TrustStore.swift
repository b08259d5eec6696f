import Foundation
import GRDB
import Wire

/// The peers this node links with (DESIGN.md section 3; the Transport issue): pinned on the
/// command line, paired with a spoken code, or learned by dialling an address given
/// explicitly. An inbound link from anyone else is refused.
///
/// Kept in the database (table `trusted_peers`) so that pairings and learned identities
/// survive restarts; the Noise static key is remembered too, so later links use IK.
public final class TrustStore: @unchecked Sendable {
    public enum Source: String, Sendable {
        case pinned, paired, address
    }

    public struct Entry: Sendable, Equatable {
        public var node: NodeID
        public var source: Source
        public var noiseStatic: [UInt8]?
        /// Where this node dialled the peer when pairing with it (redialled after restarts).
        public var address: HostPort?
    }

    private let database: NodeDatabase
    private let lock = NSLock()
    private var entries: [NodeID: Entry] = [:]

    public init(database: NodeDatabase) throws {
        self.database = database
        let rows = try database.pool.read { db in try Row.fetchAll(db, sql: "SELECT node_id, source, noise_static, address FROM trusted_peers") }
        for row in rows {
            let text: String = row["node_id"]
            guard let id = try? NodeID(parsing: text), let source = Source(rawValue: row["source"]) else { continue }
            let key: Data? = row["noise_static"]
            let address: String? = row["address"]
            entries[id] = Entry(node: id, source: source, noiseStatic: key.map { Array($0) },
                                address: address.flatMap { try? HostPort(parsing: $0) })
        }
    }

    public func isTrusted(_ node: NodeID) -> Bool { lock.withLock { entries[node] != nil } }

    public func entry(_ node: NodeID) -> Entry? { lock.withLock { entries[node] } }

    public var all: [Entry] { lock.withLock { entries.values.sorted { $0.node < $1.node } } }

    /// Trusts `node` (keeping a stronger source it already had) and remembers its Noise key
    /// and the address it was paired at.
    public func trust(_ node: NodeID, source: Source, noiseStatic: [UInt8]? = nil, address: HostPort? = nil) {
        let entry: Entry = lock.withLock {
            var e = entries[node] ?? Entry(node: node, source: source, noiseStatic: nil)
            if source != .address { e.source = source }
            if let noiseStatic { e.noiseStatic = noiseStatic }
            if let address { e.address = address }
            entries[node] = e
            return e
        }
        try? database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO trusted_peers (node_id, source, noise_static, added_at_ms, address) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(node_id) DO UPDATE SET source = excluded.source, noise_static = excluded.noise_static,
                    address = excluded.address
                """, arguments: [node.description, entry.source.rawValue, entry.noiseStatic.map { Data($0) },
                                 Int64(Date().timeIntervalSince1970 * 1000), entry.address?.description])
        }
    }

    /// Forgets a remembered Noise key (the peer's IK handshake failed: it has a new one).
    public func forgetStatic(_ node: NodeID) {
        lock.withLock { entries[node]?.noiseStatic = nil }
        try? database.pool.write { db in
            try db.execute(sql: "UPDATE trusted_peers SET noise_static = NULL WHERE node_id = ?", arguments: [node.description])
        }
    }
}
