import Foundation
import Testing
@testable import Terminal

/// Real processes under real pseudo-terminals.
@Suite struct PTYProcessTests {
    /// Reads `session`'s output through a client until `text` appears; after 10 s the client is detached.
    static func read(_ session: TerminalSession, client: Int, until text: String, times: Int = 1) async -> String {
        let timeout = Task { try await Task.sleep(for: .seconds(10)); await session.detach(client: client) }
        defer { timeout.cancel() }
        var seen: [UInt8] = []
        while let bytes = await session.next(client: client) {
            seen += bytes
            if String(decoding: seen, as: UTF8.self).components(separatedBy: text).count > times { break }
        }
        return String(decoding: seen, as: UTF8.self)
    }

    static func shell(cols: Int = 80, rows: Int = 24) throws -> TerminalSession {
        let pty = try PTYProcess(argv: ["/bin/sh"], directory: FileManager.default.temporaryDirectory.path, cols: cols, rows: rows)
        return TerminalSession(id: "t", command: ["/bin/sh"], startedMs: 0, pty: pty, scrollbackBytes: 1 << 16)
    }

    @Test func echoesWhatIsTypedAndKeepsItForTheNextClient() async throws {
        let s = try Self.shell()
        let (first, _) = await s.attach()
        let word = "hello-\(UInt32.random(in: 0...UInt32.max))"
        try await s.input(Array("echo \(word)\n".utf8))
        // The terminal's echo of the typed line, then the shell's output (after its prompt).
        let seen = await Self.read(s, client: first, until: "\(word)\r\n", times: 2)
        #expect(seen.components(separatedBy: "\(word)\r\n").count == 3, "\(seen.debugDescription)")
        await s.detach(client: first)
        let (second, replay) = await s.attach()
        #expect(String(decoding: replay, as: UTF8.self).hasPrefix(seen), "the scrollback replays what was sent")
        await s.detach(client: second)
        #expect(await s.bytesIn == UInt64("echo \(word)\n".utf8.count))
        await s.end()
        #expect(await s.hasExited)
    }

    @Test func aResizeIsSeenBySttySize() async throws {
        let s = try Self.shell(cols: 80, rows: 24)
        let (c, _) = await s.attach()
        try await s.resize(cols: 132, rows: 43)
        try await s.input(Array("stty size\n".utf8))
        #expect(await Self.read(s, client: c, until: "43 132").contains("43 132"))
        await #expect(throws: PTYError.badSize(cols: 0, rows: 10)) { try await s.resize(cols: 0, rows: 10) }
        await s.end()
    }

    @Test func reportsTheExitStatus() async throws {
        let s = try Self.shell()
        try await s.input(Array("exit 7\n".utf8))
        await s.waitUntilFinished()
        #expect(await s.exitStatus == .exited(7))
        let killed = try Self.shell()
        await killed.signal(SIGKILL)
        await killed.waitUntilFinished()
        #expect(await killed.exitStatus == .signalled(SIGKILL))
    }

    @Test func refusesWhatCannotRun() {
        #expect(throws: PTYError.emptyCommand) { try PTYProcess(argv: [], directory: "/tmp", cols: 80, rows: 24) }
        #expect(throws: PTYError.badSize(cols: 80, rows: 0)) { try PTYProcess(argv: ["/bin/sh"], directory: "/tmp", cols: 80, rows: 0) }
        #expect(throws: PTYError.workspaceMissing("/no/such/dir")) { try PTYProcess(argv: ["/bin/sh"], directory: "/no/such/dir", cols: 80, rows: 24) }
    }

    @Test func aSlowClientHoldsThePumpButLosesNoByte() async throws {
        // 300 kB through a 4 kB queue: the client reads late and still gets every byte, in order.
        let pty = try PTYProcess(argv: ["/bin/sh", "-c", "stty raw -echo; head -c 300000 /dev/zero | tr '\\0' x; printf END"],
                                 directory: "/tmp", cols: 80, rows: 24)
        let s = TerminalSession(id: "t", command: [], startedMs: 0, pty: pty, scrollbackBytes: 1024, queueLimit: 4096)
        let (c, _) = await s.attach()
        try await Task.sleep(for: .milliseconds(300))
        var total: [UInt8] = []
        while let bytes = await s.next(client: c) { total += bytes }
        let text = String(decoding: total, as: UTF8.self)
        #expect(text.hasSuffix("END"))
        #expect(text.filter { $0 == "x" }.count == 300_000)
        #expect(await s.exitStatus == .exited(0))
    }
}

@Suite struct OutboundQueueTests {
    @Test func refusesPastItsLimitButAlwaysTakesOneChunk() {
        var q = OutboundQueue(limit: 10)
        let big = q.push(Array(repeating: 1, count: 25)), late = q.push([2])
        #expect(big && !late)
        #expect(q.takeAll().count == 25 && q.isEmpty)
        let fits = [q.push([1, 2, 3]), q.push([4, 5, 6, 7]), q.push([8, 9, 10]), q.push([11])]
        #expect(fits == [true, true, true, false])
        #expect(q.count == 10)
        #expect(q.takeAll() == Array(1...10))
    }
}
