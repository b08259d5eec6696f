import Foundation
import GRDB
import Testing
import Wire
@testable import MeshNode

@Suite struct NodeDatabaseTests {
    /// The gossip store is pruned as the node runs, not only at start (issue 15, item 4): a
    /// message older than the seen-cache's age leaves the table when the next one is stored.
    @Test func gossipMessagesOlderThanTheSeenCacheLeaveAsNewOnesArrive() throws {
        let folder = TemporaryFolder()
        let db = try NodeDatabase(path: folder.file("g.sqlite").path)
        let origin = NodeID(bytes: [UInt8](repeating: 0xAA, count: 20))!
        func count() throws -> Int { try db.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM gossip_messages") ?? -1 } }
        let keep: UInt64 = 120_000
        for seq in 0..<50 as Range<UInt64> {
            try db.storeGossipMessage(GossipFrame(origin: origin, seq: seq, ttl: 8, hops: 0, payload: [1]), nowMs: 1_000 + seq, keepMs: keep)
        }
        #expect(try count() == 50)
        // Within the age: all kept.
        try db.storeGossipMessage(GossipFrame(origin: origin, seq: 50, ttl: 8, hops: 0, payload: [1]), nowMs: 1_000 + keep, keepMs: keep)
        #expect(try count() == 51)
        // Past it: the old ones go, the young one stays.
        try db.storeGossipMessage(GossipFrame(origin: origin, seq: 51, ttl: 8, hops: 0, payload: [1]), nowMs: 1_025 + keep, keepMs: keep)
        #expect(try count() == 50 - 25 + 2)
        try db.storeGossipMessage(GossipFrame(origin: origin, seq: 52, ttl: 8, hops: 0, payload: [1]), nowMs: 10 * keep, keepMs: keep)
        #expect(try count() == 1)
        // A wall clock near the end of time neither traps nor deletes what it should not.
        try db.storeGossipMessage(GossipFrame(origin: origin, seq: 53, ttl: 8, hops: 0, payload: [1]), nowMs: .max, keepMs: .max)
        #expect(try count() == 2)
        try db.close()
    }

    @Test func migratesAnEmptyDatabaseInWALMode() throws {
        let folder = TemporaryFolder()
        let db = try NodeDatabase(path: folder.file("a.sqlite").path)
        #expect(try db.appliedMigrations() == NodeDatabase.migrationNames)
        let mode = try db.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let sync = try db.pool.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(sync == 2, "synchronous=FULL, see NodeDatabase")
        try db.close()
    }

    @Test func reopensAnExistingDatabaseKeepingItsRows() throws {
        let folder = TemporaryFolder()
        let path = folder.file("a.sqlite").path
        let id = NodeID(bytes: [UInt8](repeating: 3, count: 20))!
        do {
            let db = try NodeDatabase(path: path)
            try db.claim(for: id)
            try db.close()
        }
        let again = try NodeDatabase(path: path)
        #expect(try again.appliedMigrations() == NodeDatabase.migrationNames)
        try again.claim(for: id)
        let other = NodeID(bytes: [UInt8](repeating: 4, count: 20))!
        #expect(throws: StorageError.belongsToAnotherNode(path, owner: id.description, node: other.description)) {
            try again.claim(for: other)
        }
        try again.close()
    }

    @Test func damagedPagesFailQuickCheck() throws {
        let folder = TemporaryFolder()
        let path = folder.file("a.sqlite").path
        do {
            let db = try NodeDatabase(path: path)
            try db.pool.write { db in
                try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)")
                for i in 0..<2000 {
                    try db.execute(sql: "INSERT INTO filler (body) VALUES (?)", arguments: [String(repeating: "x\(i)", count: 20)])
                }
                try db.execute(sql: "CREATE INDEX filler_body ON filler(body)")
            }
            try db.close()
        }
        // Overwrite the middle of the file (b-tree pages of the table and its index) with garbage.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        #expect(size > 40_000)
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 8192))
        try handle.close()

        do {
            _ = try NodeDatabase(path: path)
            Issue.record("a damaged database was opened")
        } catch let error {
            guard case .integrityCheckFailed(let p, let findings) = error else {
                Issue.record("expected integrityCheckFailed, got \(error)")
                return
            }
            #expect(p == path)
            #expect(!findings.isEmpty)
            #expect(error.description.contains("quick_check"))
        }
    }

    @Test func damagedHeaderIsNotADatabase() throws {
        let folder = TemporaryFolder()
        let path = folder.file("a.sqlite").path
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(throws: StorageError.notADatabase(path)) { try NodeDatabase(path: path) }
    }
}

@Suite struct DataFolderTests {
    @Test func secondOpenFailsNamingFolderAndPid() throws {
        let folder = TemporaryFolder()
        let first = try DataFolder(path: folder.path)
        do {
            _ = try DataFolder(path: folder.path)
            Issue.record("two holders of one data folder")
        } catch {
            #expect(error == .inUse(first.url.path, pid: getpid()))
            #expect(error.description.contains("process \(getpid())"))
        }
        withExtendedLifetime(first) {}
    }

    @Test func lockIsReleasedWhenTheHolderCloses() throws {
        let folder = TemporaryFolder()
        do { _ = try DataFolder(path: folder.path) }
        _ = try DataFolder(path: folder.path)
    }

    @Test func aFileIsNotAFolder() throws {
        let folder = TemporaryFolder()
        let file = folder.file("plain")
        try Data().write(to: file)
        #expect(throws: DataFolderError.notAFolder(file.path)) { try DataFolder(path: file.path) }
    }
}
