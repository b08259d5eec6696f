import Foundation
import GRDB
import Testing
@testable import Services

/// The IO half of a panic wipe on a real folder: every file gone, the sealed keys zeroed first.
@Suite struct PanicWipeTests {
    @Test func wipesAFolderKeysFirstAndReportsBothInstants() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-panic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        let folder = parent.appendingPathComponent("data").path
        try FileManager.default.createDirectory(atPath: folder + "/data-engine/scratch", withIntermediateDirectories: true)
        for name in ["identity.key", "api-token", "jwt-signing.key", "node.lock", "data-engine/scratch/big"] {
            try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        let queue = try DatabaseQueue(path: folder + "/elohim.sqlite")
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE accounts (id INTEGER PRIMARY KEY, keys_box BLOB, keys_salt BLOB, keys_nonce BLOB)")
            try db.execute(sql: "INSERT INTO accounts (keys_box, keys_salt, keys_nonce) VALUES (x'0102', x'03', x'04'), (NULL, NULL, NULL)")
        }
        try queue.close()

        let (plan, keys) = try PanicWipe(folder: folder).destroyKeys()
        #expect(keys.shredded == ["identity.key", "jwt-signing.key", "api-token"])
        #expect(keys.sealedKeysZeroed == 1)
        #expect(keys.problems == [])
        // Between the phases: keys gone, the database still there with its sealed keys zeroed.
        let check = try DatabaseQueue(path: folder + "/elohim.sqlite")
        let box = try check.read { db in try Data.fetchOne(db, sql: "SELECT keys_box FROM accounts WHERE id = 1") }
        try check.close()
        #expect(box == Data([0, 0]))
        #expect(!FileManager.default.fileExists(atPath: folder + "/identity.key"))

        let all = PanicWipe(folder: folder).destroyRest(plan, after: keys, start: .now)
        #expect(all.problems == [])
        #expect(all.allGoneMs != nil)
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test func noFolderIsAnErrorThatSaysSo() {
        #expect(throws: PanicError.noFolder("/nonexistent/elohim-panic")) { try PanicWipe(folder: "/nonexistent/elohim-panic").run() }
    }
}
