import Foundation
import GRDB
import Testing
@testable import Services

/// The pure rules under the services: lockout, rate windows.
@Suite struct ServicesRulesTests {
    @Test func failuresOutsideTheWindowStartANewCount() {
        let p = LoginPolicy()
        var s = LoginPolicy.State()
        for k in 0..<4 { s = p.failed(s, at: UInt64(k) * 60_000) }
        #expect(s.failures == 4 && p.lockRemaining(s, at: 4 * 60_000) == nil)
        // The fifth failure comes 16 minutes after the first: a new window, no lock.
        s = p.failed(s, at: 16 * 60_000)
        #expect(s.failures == 1 && s.lockedUntilMs == nil)
        for k in 1...4 { s = p.failed(s, at: 16 * 60_000 + UInt64(k)) }
        #expect(p.lockRemaining(s, at: 16 * 60_000 + 4) == 15 * 60_000)
        #expect(p.lockRemaining(s, at: 31 * 60_000 + 4) == nil)
        #expect(p.succeeded() == LoginPolicy.State())
    }

    /// A wall clock that steps back (NTP after a night in the field) traps nowhere: failures
    /// before "now" still count, and a lock reports at most its length.
    @Test func aClockThatStepsBackNeitherTrapsNorForgets() {
        let p = LoginPolicy()
        var s = LoginPolicy.State()
        s = p.failed(s, at: 10_000_000)
        for k in 1...3 { s = p.failed(s, at: 10_000_000 - UInt64(k) * 1_000_000) }
        #expect(s.failures == 4)
        s = p.failed(s, at: 0)
        #expect(s.lockedUntilMs == p.lockMs && p.lockRemaining(s, at: 0) == p.lockMs)
        s = p.failed(LoginPolicy.State(failures: 4, firstFailureMs: .max - 2, lockedUntilMs: nil), at: .max - 1)
        #expect(s.lockedUntilMs == .max, "the lock's end saturates")
        let far = LoginPolicy.State(failures: 0, firstFailureMs: nil, lockedUntilMs: 100 * p.lockMs)
        #expect(p.lockRemaining(far, at: 0) == p.lockMs)
    }

    @Test func theLimiterCountsWritesAndDeletesInsideTheRequestLimit() {
        var r = RateLimiter()
        for k in 0..<20 { #expect(r.admit("u", kind: .delete, at: UInt64(k)) == nil) }
        let wait = r.admit("u", kind: .delete, at: 100)
        #expect(wait == UInt64(59_900), "the 21st delete waits for the first to age out")
        for k in 0..<10 { #expect(r.admit("u", kind: .write, at: 200 + UInt64(k)) == nil) }
        #expect(r.admit("u", kind: .write, at: 300) != nil, "30 writes, deletes included")
        for k in 0..<70 { #expect(r.admit("u", kind: .read, at: 400 + UInt64(k)) == nil) }
        #expect(r.admit("u", kind: .read, at: 500) != nil, "100 requests in all")
        #expect(r.admit("v", kind: .read, at: 500) == nil, "keys are counted apart")
        #expect(r.admit("u", kind: .read, at: 60_001) == nil, "the window slides")

        var off = RateLimiter.Limits()
        off.enabled = false
        var unlimited = RateLimiter(limits: off)
        #expect((0..<500).allSatisfy { unlimited.admit("u", kind: .delete, at: UInt64($0)) == nil }, "--rate-limit 0")
        #expect(unlimited.trackedKeys == 0)
    }

    @Test func auditEntriesOlderThanNinetyDaysArePruned() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let pool = try DatabasePool(path: folder.appendingPathComponent("a.sqlite").path)
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, actor TEXT NOT NULL,
                  action TEXT NOT NULL, resource TEXT NOT NULL, client TEXT NOT NULL, user_agent TEXT NOT NULL,
                  outcome TEXT NOT NULL, status INTEGER NOT NULL)
                """)
        }
        let log = AuditLog(pool: pool)
        let day: UInt64 = 86_400_000
        for age in [100, 91, 89, 1] as [UInt64] {
            try log.record(AuditEntry(atMs: 200 * day - age * day, actor: "a", action: "POST /x", resource: "/x", client: "c",
                                      userAgent: String(repeating: "u", count: 1_000), outcome: "ok", status: 200))
        }
        #expect(try log.prune(at: 200 * day) == 2)
        let left = try log.entries(.init())
        #expect(left.map(\.atMs) == [199 * day, 111 * day])
        #expect(left[0].userAgent.count == AuditLog.maxFieldLength, "fields are cut to their limit")
    }
}
