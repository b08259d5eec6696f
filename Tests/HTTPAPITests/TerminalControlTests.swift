import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import Services
import Testing
@testable import HTTPAPI
@testable import Terminal

/// Signals by name over the attachment, I/O transcripts with their retention, the workspace's
/// file list, and starts that fail closed (issue 22): real shells under real pseudo-terminals.
@Suite struct TerminalControlTests {
    typealias R = TerminalRoutesTests

    @Test func aSignalByNameInterruptsTheForegroundProgramAndAnUnknownNameIsRefused() async throws {
        let (t, terminals) = try await R.node()
        try await R.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            let op = t.operatorHeaders
            let id = try await R.open(client, op)
            // The shell runs sleep in the foreground; without the signal "done-5" cannot come within the 10 s watchdog.
            _ = try await R.attach(port: client.port!, id: id, headers: op, send: [R.typed("sleep 30\n")]) { $0.text.contains("sleep 30\r\n") }
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            let after = try await R.attach(port: client.port!, id: id, headers: op,
                                           send: [.text(#"{"signal": "sigint"}"#), R.typed("echo done-$((2+3))\n"), .text(#"{"signal": "BOOM"}"#)]) {
                $0.text.contains("done-5\r\n") && !$0.texts.isEmpty
            }
            #expect(after.text.contains("done-5\r\n"), "the shell answered after the interrupt: \(after.text.debugDescription)")
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(after.texts.count == 1 && after.texts[0].contains("unknown signal 'BOOM'") && after.texts[0].contains("INT"), "\(after.texts)")
        }
    }

    @Test func signalNamesAreAFixedList() {
        #expect(TerminalSignal.named("INT") == .int && TerminalSignal.named("sigterm") == .term && TerminalSignal.named("Kill") == .kill)
        #expect(TerminalSignal.named("9") == nil && TerminalSignal.named("SEGV") == nil && TerminalSignal.named("") == nil)
        #expect(TerminalSignal.int.number == SIGINT && TerminalSignal.kill.number == SIGKILL)
    }

    @Test func withLoggingOnEachSessionWritesAnOwnerOnlyTranscriptOfWhatWentInAndOut() async throws {
        let t = try await TestNode()
        let workspace = t.folder.appendingPathComponent("workspace").path
        let logs = t.folder.appendingPathComponent("terminal-logs").path
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        let terminals = TerminalService(workspace: workspace, shell: ["/bin/sh"], transcripts: .init(folder: logs, days: 2), services: t.services)
        try await R.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            let op = t.operatorHeaders
            let id = try await R.open(client, op)
            _ = try await R.attach(port: client.port!, id: id, headers: op,
                                   send: [.text(#"{"resize": {"cols": 90, "rows": 20}}"#), R.typed("echo logged-$((3*3))\n")]) { $0.text.contains("logged-9\r\n") }
            try await client.execute(uri: "/api/v1/terminal/sessions/\(id)", method: .delete, headers: op) { #expect($0.status == .ok) }
            let path = logs + "/\(id).cast"
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            #expect(header["version"] as? Int == 2 && header["width"] as? Int == 80 && header["height"] as? Int == 24)
            let events = try lines.dropFirst().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Any]) }
            let kinds = events.map { $0[1] as? String ?? "" }
            let times = events.map { $0[0] as? Double ?? -1 }
            #expect(times == times.sorted() && times.allSatisfy { $0 >= 0 }, "asciicast times never go back")
            #expect(events.contains { $0[1] as? String == "i" && ($0[2] as? String)?.contains("echo logged-$((3*3))") == true })
            #expect(events.contains { $0[1] as? String == "o" && ($0[2] as? String)?.contains("logged-9") == true })
            #expect(events.contains { $0[1] as? String == "r" && $0[2] as? String == "90x20" })
            #expect(kinds.last == "m", "the end is marked")
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let audit = try t.services.audit.entries(.init(action: "terminal.start"))
            #expect(audit.contains { $0.resource.contains("I/O logged to \(id).cast") })

            // Retention: a transcript older than 2 days goes at the next sweep; the fresh one stays.
            let old = logs + "/0000000000000000.cast"
            try Data("{}\n".utf8).write(to: URL(fileURLWithPath: old))
            // File times against the node's clock (a test clock here, the wall clock in a node).
            let now = Date(timeIntervalSince1970: Double(t.clock.now) / 1000)
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-3 * 86_400)], ofItemAtPath: old)
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-86_400)], ofItemAtPath: path)
            await terminals.sweep()
            #expect(!FileManager.default.fileExists(atPath: old) && FileManager.default.fileExists(atPath: path))
            // The folder is looked at once an hour, not at every 30-second sweep.
            try Data("{}\n".utf8).write(to: URL(fileURLWithPath: old))
            try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-3 * 86_400)], ofItemAtPath: old)
            await terminals.sweep()
            #expect(FileManager.default.fileExists(atPath: old), "not an hour since the last look")
            t.clock.advance(ms: TerminalService.pruneEveryMs)
            await terminals.sweep()
            #expect(!FileManager.default.fileExists(atPath: old))
        }
    }

    @Test func aTranscriptThatCannotBeMadeStopsTheSessionFromStarting() async throws {
        let t = try await TestNode()
        let workspace = t.folder.appendingPathComponent("workspace").path
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        let blocker = t.folder.appendingPathComponent("not-a-folder").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let terminals = TerminalService(workspace: workspace, shell: ["/bin/sh"], transcripts: .init(folder: blocker + "/logs", days: 1), services: t.services)
        try await R.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            try await client.execute(uri: "/api/v1/terminal/sessions", method: .post, headers: t.operatorHeaders,
                                     body: R.json(#"{"cols": 80, "rows": 24}"#)) { r throws in
                #expect(r.status == .serviceUnavailable && String(buffer: r.body).contains("transcript_unavailable"), "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/api/v1/terminal/sessions", method: .get, headers: t.operatorHeaders) { r in
                #expect(String(buffer: r.body) == #"{"sessions":[]}"#)
            }
        }
    }

    @Test func aStartTheAuditCannotRecordIsRefusedAndLeavesNoProcess() async throws {
        let (t, terminals) = try await R.node()
        try await t.node.database.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(FAIL, 'disk full'); END")
        }
        let caller = try await t.services.caller(bearer: t.services.operatorToken)
        await #expect(throws: TerminalServiceError.auditUnavailable) {
            _ = try await terminals.open(for: caller, command: "sleep 60", cols: 80, rows: 24)
        }
        #expect(await terminals.list(for: caller).isEmpty)
        let sleepers = try String(contentsOfFile: "/proc/self/task/\(getpid())/children", encoding: .utf8)
            .split(separator: " ").filter { (try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8))?.hasPrefix("sleep\u{0}60") == true }
        #expect(sleepers.isEmpty, "no sleep 60 left running")
    }

    @Test func theWorkspaceListIsSortedBoundedAndLeavesLinksOut() async throws {
        let (t, terminals) = try await R.node()
        let w = terminals.workspace
        for p in ["b.txt", "a/z.md", "a/b/c.py", "A.txt"] {
            try FileManager.default.createDirectory(atPath: (w + "/" + p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(p.utf8).write(to: URL(fileURLWithPath: w + "/" + p))
        }
        try FileManager.default.createSymbolicLink(atPath: w + "/link.txt", withDestinationPath: w + "/b.txt")
        try FileManager.default.createSymbolicLink(atPath: w + "/up", withDestinationPath: t.folder.path)
        try await R.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            try await client.execute(uri: "/api/v1/workspace/files", method: .get, headers: t.operatorHeaders) { r throws in
                let listing = try JSONDecoder().decode(WorkspaceListing.self, from: Data(buffer: r.body))
                #expect(listing.files.map(\.path) == ["A.txt", "a/b/c.py", "a/z.md", "b.txt"] && !listing.truncated)
                #expect(listing.files.first { $0.path == "a/b/c.py" }?.size == 8)
            }
        }
        let few = WorkspaceListing.list(root: w, maxEntries: 2)
        #expect(few.files.count == 2 && few.truncated)
        let shallow = WorkspaceListing.list(root: w, maxDepth: 2)
        #expect(shallow.files.map(\.path) == ["A.txt", "a/z.md", "b.txt"] && shallow.truncated)
    }
}
