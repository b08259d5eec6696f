import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import MeshNode
import Services
import Synchronization
import Testing
@testable import HTTPAPI
@testable import Terminal

/// Terminals over a real socket and a real WebSocket: real shells under real pseudo-terminals.
@Suite struct TerminalRoutesTests {
    struct Login: Decodable { let token: String }
    struct Opened: Decodable { let id: String }
    struct Ended: Decodable { struct Exit: Decodable { let code: Int32?; let signal: Int32? }; let exit: Exit? }
    struct ErrorBody: Decodable { struct Inner: Decodable { let code: String; let message: String }; let error: Inner }

    /// A test node with terminals on, over a workspace in its temporary folder.
    static func node() async throws -> (TestNode, TerminalService) {
        let t = try await TestNode()
        let workspace = t.folder.appendingPathComponent("workspace").path
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        return (t, TerminalService(workspace: workspace, shell: ["/bin/sh"], services: t.services))
    }

    static func app(_ t: TestNode, _ terminals: TerminalService) -> some ApplicationProtocol {
        buildApplication(node: t.node, services: t.services, address: HostPort(host: "127.0.0.1", port: 0), terminals: terminals,
                         logger: Logger(label: "test"))
    }

    static func json(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

    static func open(_ client: some TestClientProtocol, _ headers: HTTPFields, command: String? = nil) async throws -> String {
        let body = command.map { #"{"command": "\#($0)", "cols": 80, "rows": 24}"# } ?? #"{"cols": 80, "rows": 24}"#
        return try await client.execute(uri: "/api/v1/terminal/sessions", method: .post, headers: headers, body: json(body)) { r throws in
            #expect(r.status == .created, "\(String(buffer: r.body))")
            return try JSONDecoder().decode(Opened.self, from: Data(buffer: r.body)).id
        }
    }

    final class Received: Sendable {
        private let m = Mutex<(bytes: [UInt8], texts: [String])>(([], []))
        func add(_ b: [UInt8]) { m.withLock { $0.bytes += b } }
        func add(_ t: String) { m.withLock { $0.texts.append(t) } }
        var text: String { m.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
        var texts: [String] { m.withLock { $0.texts } }
    }

    /// Attaches to `id`, sends `frames` (binary: typed; text: control) once the scrollback is in,
    /// and reads until `until` holds for what came (or 10 s pass); then detaches.
    static func attach(port: Int, id: String, headers: HTTPFields, send frames: [WebSocketMessage] = [],
                       until: @escaping @Sendable (Received) -> Bool) async throws -> Received {
        let received = Received()
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/api/v1/terminal/sessions/\(id)/attach",
                                          configuration: .init(additionalHeaders: headers), logger: Logger(label: "ws-test")) { inbound, outbound, _ in
            let started = ContinuousClock.now
            for frame in frames {
                switch frame {
                case let .binary(b): try await outbound.write(.binary(b))
                case let .text(t): try await outbound.write(.text(t))
                }
            }
            let watchdog = Task { try await Task.sleep(for: .seconds(10)); try await outbound.close(.goingAway, reason: "timeout") }
            defer { watchdog.cancel() }
            for try await message in inbound.messages(maxSize: 1 << 20) {
                switch message {
                case let .binary(b): received.add(Array(b.readableBytesView))
                case let .text(t): received.add(t)
                }
                if until(received) || ContinuousClock.now - started > .seconds(10) { break }
            }
            try? await outbound.close(.normalClosure, reason: nil)
        }
        return received
    }

    static func typed(_ s: String) -> WebSocketMessage { .binary(ByteBuffer(string: s)) }

    @Test func typedLinesComeBackAndAReattachReplaysThemAndResizeAndExitAreSeen() async throws {
        let (t, terminals) = try await Self.node()
        try await Self.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            let op = t.operatorHeaders
            let id = try await Self.open(client, op)
            let word = "hello-\(UInt32.random(in: 0...UInt32.max))"
            let first = try await Self.attach(port: client.port!, id: id, headers: op, send: [Self.typed("echo \(word)\n")]) {
                $0.text.components(separatedBy: "\(word)\r\n").count == 3
            }
            #expect(first.text.components(separatedBy: "\(word)\r\n").count == 3, "the echo and the output: \(first.text.debugDescription)")

            // Detached: the session lives on; a new attachment gets the scrollback first.
            let replay = try await Self.attach(port: client.port!, id: id, headers: op) { $0.text.contains(word) }
            #expect(replay.text.hasPrefix(first.text), "the scrollback replays what was sent")

            let sized = try await Self.attach(port: client.port!, id: id, headers: op,
                                              send: [.text(#"{"resize": {"cols": 101, "rows": 37}}"#), Self.typed("stty size\n")]) {
                $0.text.contains("37 101\r\n")
            }
            #expect(sized.text.contains("37 101\r\n"), "\(sized.text.debugDescription)")

            let ended = try await Self.attach(port: client.port!, id: id, headers: op, send: [Self.typed("exit 3\n")]) { !$0.texts.isEmpty }
            #expect(ended.texts == [#"{"exit":{"code":3}}"#])
            let info = try await client.execute(uri: "/api/v1/terminal/sessions/\(id)", method: .delete, headers: op) { r throws in
                try JSONDecoder().decode(Ended.self, from: Data(buffer: r.body))
            }
            #expect(info.exit?.code == 3)
            let audit = try t.services.audit.entries(.init(action: "terminal.end"))
            #expect(audit.contains { $0.resource.contains("\(id): ended by its owner, exited with code 3") && $0.resource.contains("B in") })
        }
    }

    @Test func aFifthSessionIsRefusedAndAnotherPersonsSessionIsNotFound() async throws {
        let (t, terminals) = try await Self.node()
        try await Self.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            let op = t.operatorHeaders
            var ids: [String] = []
            for _ in 0..<4 { ids.append(try await Self.open(client, op, command: "sleep 30")) }
            try await client.execute(uri: "/api/v1/terminal/sessions", method: .post, headers: op,
                                     body: Self.json(#"{"cols": 80, "rows": 24}"#)) { r throws in
                #expect(r.status == .conflict)
                let e = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: r.body)).error
                #expect(e.code == "too_many_sessions" && e.message.contains("4 terminal sessions"))
            }
            // The founder holds terminal.use; the operator's sessions are not the founder's.
            _ = try await client.execute(uri: "/api/v1/auth/register", method: .post, headers: op,
                                         body: Self.json(#"{"username": "ada", "password": "passphrase of ada"}"#)) { $0.status }
            let ada = try await Self.login(client, "ada")
            try await client.execute(uri: "/api/v1/terminal/sessions/\(ids[0])", method: .delete, headers: t.bearer(ada)) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/terminal/sessions", method: .get, headers: t.bearer(ada)) { r in
                #expect(r.status == .ok && String(buffer: r.body) == #"{"sessions":[]}"#)
            }
            for id in ids { _ = try await client.execute(uri: "/api/v1/terminal/sessions/\(id)", method: .delete, headers: op) { $0.status } }
        }
    }

    static func login(_ client: some TestClientProtocol, _ name: String) async throws -> String {
        try await client.execute(uri: "/api/v1/auth/login", method: .post,
                                 body: json(#"{"username": "\#(name)", "password": "passphrase of \#(name)"}"#)) { r throws in
            try JSONDecoder().decode(Login.self, from: Data(buffer: r.body)).token
        }
    }

    @Test func membersAndTeamAdminsAreRefusedUnlessGranted() async throws {
        let (t, terminals) = try await Self.node()
        let team = String(repeating: "ab", count: 32)
        let founder = try t.services.accounts.register(username: "ada", password: "passphrase of ada", by: .nodeOperator, at: t.clock.now)
        var made: [String: Int64] = [:]
        for name in ["mia", "adam", "sam"] {
            made[name] = try t.services.accounts.register(username: name, password: "passphrase of \(name)", by: .account(founder), at: t.clock.now).id
        }
        let ids = made
        try t.services.permissions.assign(account: ids["mia"]!, team: team, AccessAssignment(role: .member))
        try t.services.permissions.assign(account: ids["adam"]!, team: team, AccessAssignment(role: .admin))
        try t.services.permissions.assign(account: ids["sam"]!, team: team, AccessAssignment(role: .superAdmin))
        try await Self.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            for name in ["mia", "adam"] {
                let token = try await Self.login(client, name)
                try await client.execute(uri: "/api/v1/terminal/sessions", method: .post, headers: t.bearer(token),
                                         body: Self.json(#"{"cols": 80, "rows": 24}"#)) { r in
                    #expect(r.status == .forbidden, "\(name)")
                    #expect(String(buffer: r.body).contains("terminal.use"))
                }
                try await client.execute(uri: "/api/v1/workspace/files/a.txt", method: .get, headers: t.bearer(token)) { r in
                    #expect(r.status == .forbidden, "\(name)")
                }
            }
            let sam = try await Self.login(client, "sam")
            let id = try await Self.open(client, t.bearer(sam), command: "true")
            _ = try await client.execute(uri: "/api/v1/terminal/sessions/\(id)", method: .delete, headers: t.bearer(sam)) { $0.status }
            // Granted to the Member: allowed.
            try t.services.permissions.assign(account: ids["mia"]!, team: team,
                                              AccessAssignment(role: .member, overrides: [.terminalUse: .allowed(true)]))
            let mia = try await Self.login(client, "mia")
            let granted = try await Self.open(client, t.bearer(mia), command: "true")
            _ = try await client.execute(uri: "/api/v1/terminal/sessions/\(granted)", method: .delete, headers: t.bearer(mia)) { $0.status }
        }
    }

    @Test func theEditorSavesAndReadsBackBytesAndNeverLeavesTheWorkspace() async throws {
        let (t, terminals) = try await Self.node()
        let outside = t.folder.appendingPathComponent("outside.txt").path
        try Data("secret".utf8).write(to: URL(fileURLWithPath: outside))
        try FileManager.default.createSymbolicLink(atPath: terminals.workspace + "/link", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: terminals.workspace + "/up", withDestinationPath: t.folder.path)
        try await Self.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            let op = t.operatorHeaders
            let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try await client.execute(uri: "/api/v1/workspace/files/src%2Fmain.bin", method: .put, headers: op,
                                     body: ByteBuffer(bytes: bytes)) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/api/v1/workspace/files/src%2Fmain.bin", method: .get, headers: op) { r in
                #expect(r.status == .ok && Array(r.body.readableBytesView) == bytes)
            }
            #expect(FileManager.default.contents(atPath: terminals.workspace + "/src/main.bin") == Data(bytes))
            for path in ["..%2Foutside.txt", "src%2F..%2F..%2Foutside.txt", "%2Fetc%2Fpasswd", "link", "up%2Foutside.txt"] {
                for method in [HTTPRequest.Method.get, .put] {
                    try await client.execute(uri: "/api/v1/workspace/files/\(path)", method: method, headers: op,
                                             body: method == .put ? ByteBuffer(string: "x") : nil) { r in
                        #expect(r.status == .badRequest && String(buffer: r.body).contains("path_refused"), "\(method) \(path)")
                    }
                }
            }
            #expect(try String(contentsOfFile: outside, encoding: .utf8) == "secret")
            try await client.execute(uri: "/api/v1/workspace/files/big", method: .put, headers: op,
                                     body: ByteBuffer(repeating: 1, count: WorkspaceFileRoutes.maxBytes + 1)) { r in
                #expect(r.status == .contentTooLarge)
            }
        }
    }
}

/// Every key typed comes back, and bulk output arrives with no byte lost. The figures (echo
/// latency, throughput, memory under a slow client) come from `scripts/measure-terminal.py`
/// against a release build, not from here. `ELOHIM_TERMINAL_MB` sets the bulk size (default 8 MB).
@Suite struct TerminalBulkTests {
    /// Written by one WebSocket handler at a time, read after it returned.
    final class Tally: @unchecked Sendable {
        var latencies: [Duration] = []
        var count = 0, peak = 0
        var tail: [UInt8] = []
    }

    static func rssKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func everyKeyEchoesAndBulkOutputArrivesWithNoByteLost() async throws {
        let (t, terminals) = try await TerminalRoutesTests.node()
        let megabytes = Int(ProcessInfo.processInfo.environment["ELOHIM_TERMINAL_MB"] ?? "") ?? 8
        let total = megabytes * 1_000_000
        try await TerminalRoutesTests.app(t, terminals).test(.live) { raw in
            let client = JSONClient(inner: raw)
            let op = t.operatorHeaders
            let id = try await TerminalRoutesTests.open(client, op, command: "stty raw; cat")
            let tally = Tally()
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(client.port!)/api/v1/terminal/sessions/\(id)/attach",
                                              configuration: .init(additionalHeaders: op), logger: Logger(label: "ws")) { inbound, outbound, _ in
                var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                try await Task.sleep(for: .milliseconds(200))  // let stty run
                for i in 0..<300 {
                    let key = UInt8(ascii: "a") + UInt8(i % 26)
                    let started = ContinuousClock.now
                    try await outbound.write(.binary(ByteBuffer(bytes: [key])))
                    // Echo (tty) comes back; wait for the key itself.
                    while let message = try await iterator.next() {
                        if case let .binary(b) = message, b.readableBytesView.contains(key) { break }
                    }
                    tally.latencies.append(ContinuousClock.now - started)
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
            _ = try await client.execute(uri: "/api/v1/terminal/sessions/\(id)", method: .delete, headers: op) { $0.status }
            #expect(tally.latencies.count == 300, "every key came back")

            // Attached before the output starts: what is written while no client is attached
            // lives only in the scrollback, which keeps the last 256 KiB.
            let bulk = try await TerminalRoutesTests.open(client, op, command: "stty raw -echo; sleep 1; head -c \(total) /dev/zero | tr '\\\\0' x; printf END")
            let before = Self.rssKiB()
            tally.peak = before
            let started = ContinuousClock.now
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(client.port!)/api/v1/terminal/sessions/\(bulk)/attach",
                                              configuration: .init(additionalHeaders: op), logger: Logger(label: "ws")) { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case let .binary(b) = message else { break }  // the exit frame
                    // Counted, not inspected byte by byte (a debug build's loop would be the figure).
                    tally.count += b.readableBytes
                    tally.tail = Array((tally.tail + b.readableBytesView.suffix(3)).suffix(3))
                    if tally.count % (1 << 20) < b.readableBytes { tally.peak = max(tally.peak, Self.rssKiB()) }
                }
                #expect(tally.tail == Array("END".utf8))
                try? await outbound.close(.normalClosure, reason: nil)
            }
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            _ = try await client.execute(uri: "/api/v1/terminal/sessions/\(bulk)", method: .delete, headers: op) { $0.status }
            print("terminal: \(megabytes) MB of output through the WebSocket in \(String(format: "%.2f", seconds)) s, \(tally.count) bytes (debug build; figures: scripts/measure-terminal.py)")
            #expect(tally.count == total + 3, "no byte lost: the x's and END")
        }
    }
}
