import Foundation
import Testing
@testable import Terminal

@Suite struct ScrollbackRingTests {
    @Test func keepsTheLastCapacityBytesInOrder() {
        var r = ScrollbackRing(capacity: 5)
        r.append(Array("abc".utf8))
        #expect(r.contents == Array("abc".utf8) && r.dropped == 0)
        r.append(Array("defg".utf8))
        #expect(r.contents == Array("cdefg".utf8) && r.dropped == 2)
        r.append(Array("0123456789".utf8))
        #expect(r.contents == Array("56789".utf8) && r.dropped == 12 && r.count == 5)
    }

    @Test func neverHoldsMoreThanItsCapacity() {
        var r = ScrollbackRing(capacity: 64)
        var all: [UInt8] = []
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let chunk = (0..<Int.random(in: 0...100, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            r.append(chunk)
            all += chunk
            #expect(r.count <= 64)
            #expect(r.contents == Array(all.suffix(64)))
            #expect(r.dropped == UInt64(all.count - r.count))
        }
    }
}

@Suite struct WorkspacePathTests {
    @Test func refusesWhatLeavesTheWorkspace() {
        #expect(throws: WorkspacePathError.empty) { try WorkspacePath.components("") }
        #expect(throws: WorkspacePathError.empty) { try WorkspacePath.components("a/..") }
        #expect(throws: WorkspacePathError.containsNUL) { try WorkspacePath.components("a\0b") }
        #expect(throws: WorkspacePathError.tooLong(limit: 1024)) { try WorkspacePath.components(String(repeating: "a", count: 1025)) }
        #expect(throws: WorkspacePathError.absolute("/etc/passwd")) { try WorkspacePath.components("/etc/passwd") }
        #expect(throws: WorkspacePathError.leavesWorkspace("../x")) { try WorkspacePath.components("../x") }
        #expect(throws: WorkspacePathError.leavesWorkspace("a/../../x")) { try WorkspacePath.components("a/../../x") }
        #expect((try? WorkspacePath.components("a/./b/../c.txt")) == ["a", "c.txt"])
    }

    @Test func refusesLinksThatPointOutButFollowLinksThatStayIn() throws {
        let fm = FileManager.default
        let base = fm.temporaryDirectory.appendingPathComponent("ws-\(UUID().uuidString)").path
        let root = base + "/workspace", outside = base + "/outside"
        try fm.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: base) }
        try fm.createSymbolicLink(atPath: root + "/out", withDestinationPath: outside)
        try fm.createSymbolicLink(atPath: root + "/secret", withDestinationPath: outside + "/secret.txt")
        try fm.createSymbolicLink(atPath: root + "/in", withDestinationPath: root + "/sub")
        let ws = WorkspacePath(root: root)
        #expect(throws: WorkspacePathError.symlinkLeaves("out/x.txt")) { try ws.resolve("out/x.txt") }
        #expect(throws: WorkspacePathError.symlinkLeaves("secret")) { try ws.resolve("secret") }
        #expect(try ws.resolve("in/a.txt") == ws.root + "/sub/a.txt")
        #expect(try ws.resolve("new/file.txt") == ws.root + "/new/file.txt")
    }
}

@Suite struct SessionTableTests {
    var limits: TerminalLimits {
        var l = TerminalLimits()
        l.sessionsPerPerson = 2
        l.idleTimeoutMs = 1_000
        return l
    }

    @Test func limitsSessionsPerPersonAndHidesOthersSessions() throws {
        var t = SessionTable(limits: limits)
        try t.open(id: "a", owner: "ada", nowMs: 0)
        try t.open(id: "b", owner: "ada", nowMs: 1)
        #expect(throws: SessionTableError.tooManySessions(limit: 2)) { try t.open(id: "c", owner: "ada", nowMs: 2) }
        try t.open(id: "c", owner: "bob", nowMs: 2)
        #expect(throws: SessionTableError.notFound("a")) { try t.entry("a", owner: "bob") }
        #expect(t.sessions(of: "ada").map(\.id) == ["a", "b"])
        t.close("a")
        try t.open(id: "d", owner: "ada", nowMs: 3)
    }

    @Test func endsOnlyDetachedSessionsIdlePastTheTimeout() throws {
        var t = SessionTable(limits: limits)
        try t.open(id: "a", owner: "ada", nowMs: 0)
        try t.open(id: "b", owner: "ada", nowMs: 0)
        t.attach("b", nowMs: 10)
        #expect(t.expired(nowMs: 999).isEmpty)
        #expect(t.expired(nowMs: 1_000) == ["a"])
        #expect(t.expired(nowMs: 5_000) == ["a"])
        t.detach("b", nowMs: 5_000)
        #expect(t.expired(nowMs: 5_999) == ["a"])
        #expect(t.expired(nowMs: 6_000) == ["a", "b"])
        t.touch("a", nowMs: 6_000)
        #expect(t.expired(nowMs: 6_500) == ["b"])
    }
}
