import Foundation
import Synchronization
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Real processes on loopback, linked in a line A–B–C by --peer (the Transport issue).
@Suite(.serialized) struct MeshProcessTests {
    struct Peer: Decodable { let nodeId: String; let state: String; let linked: Bool }
    struct Peers: Decodable { let peers: [Peer] }
    struct Notice: Decodable { let origin: String; let text: String; let hops: UInt32 }
    struct Notices: Decodable { let notices: [Notice] }

    /// A node process with its ports and folder.
    final class MeshNode {
        let name: String
        let data: String
        let mesh: Int
        let http: Int
        var process: ElohimProcess?
        var id = ""

        init(_ name: String, root: String) {
            self.name = name
            data = root + "/" + name
            mesh = freePort()
            http = freePort()
        }

        func start(peers: [MeshNode], extra: [String] = []) async throws {
            var args = ["node", "run", "--data-dir", data, "--listen", "127.0.0.1:\(mesh)", "--http", "127.0.0.1:\(http)",
                        "--dead-after", "3"]
            for p in peers { args += ["--peer", "127.0.0.1:\(p.mesh)"] }
            let p = try ElohimProcess(args + extra)
            process = p
            let banner = try await p.waitForOutput { $0.contains("http:") }
            id = banner.split(separator: "\n").first { $0.contains("node ID:") }!.split(separator: " ").last.map(String.init)!
        }

        /// A request to this node's API as its operator (the data folder's api-token).
        func request(_ path: String) throws -> URLRequest {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(http)\(path)")!)
            let token = try String(contentsOfFile: data + "/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            return request
        }

        func get<T: Decodable>(_ path: String, as: T.Type) async throws -> T {
            let (data, _) = try await URLSession.shared.data(for: try request(path))
            return try JSONDecoder().decode(T.self, from: data)
        }

        func notice(_ text: String) async throws -> Int {
            var request = try request("/api/v1/p2p/notices")
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONEncoder().encode(["text": text])
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as! HTTPURLResponse).statusCode
        }

        func state(of other: MeshNode) async throws -> String? {
            try await get("/api/v1/p2p/peers", as: Peers.self).peers.first { $0.nodeId == other.id }.map {
                $0.linked ? $0.state : "unlinked(\($0.state))"
            }
        }
    }

    /// Polls `condition` every 200 ms for up to `seconds`; returns how long it took.
    @discardableResult
    func eventually(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws -> Double {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if (try? await condition()) == true { return Date().timeIntervalSince(start) }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("not within \(seconds) s: \(what)")
        throw ProcessTestError.timeout(stdout: what, stderr: "")
    }

    @Test func lineOfThreeDeliversDetectsAKilledNodeAndResumes() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-mesh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = MeshNode("a", root: root), b = MeshNode("b", root: root), c = MeshNode("c", root: root)
        try await b.start(peers: [a, c])
        try await a.start(peers: [b])
        try await c.start(peers: [b])
        try await eventually("A and C linked to B", seconds: 45) {
            let sa = try await a.state(of: b), sc = try await c.state(of: b)
            return sa == "alive" && sc == "alive"
        }
        #expect(try await a.state(of: c) == nil, "A and C have no link")

        // A broadcast from A reaches C through B.
        #expect(try await a.notice("from A") == 202)
        try await eventually("A's notice at C", seconds: 10) {
            try await c.get("/api/v1/p2p/notices", as: Notices.self).notices.contains { $0.text == "from A" && $0.origin == a.id && $0.hops == 2 }
        }

        // kill -9 B: A and C mark it dead within the dead timeout (3 s) plus a probe cycle.
        b.process!.signal(SIGKILL)
        _ = try await b.process!.waitForExit()
        let detection = try await eventually("A and C see B dead", seconds: 12) {
            let sa = try await a.state(of: b), sc = try await c.state(of: b)
            return (sa == "dead" || sa == "unlinked(dead)") && (sc == "dead" || sc == "unlinked(dead)")
        }
        #expect(detection < 12)

        // B restarts on its folder: links come back and broadcasts flow again, both ways.
        try await b.start(peers: [a, c])
        try await eventually("B linked and alive again", seconds: 30) {
            let sa = try await a.state(of: b), sc = try await c.state(of: b)
            return sa == "alive" && sc == "alive"
        }
        #expect(try await c.notice("from C") == 202)
        try await eventually("C's notice at A", seconds: 10) {
            try await a.get("/api/v1/p2p/notices", as: Notices.self).notices.contains { $0.text == "from C" }
        }
        for n in [a, b, c] { n.process?.signal(SIGTERM) }
        for n in [a, b, c] { #expect(try await n.process!.waitForExit() == 0, "\(n.name) exits cleanly") }
    }

    @Test func anUntrustedNodeIsRefused() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-mesh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = MeshNode("a", root: root), stranger = MeshNode("s", root: root)
        try await a.start(peers: [])
        try await stranger.start(peers: [a])
        try await eventually("A refuses the stranger", seconds: 10) {
            a.process!.standardError.contains("is not trusted")
        }
        #expect(try await a.state(of: stranger) == nil)
        for n in [a, stranger] { n.process?.signal(SIGTERM) }
        for n in [a, stranger] { _ = try await n.process!.waitForExit() }
    }
}

/// A TCP port free at the time of asking, for a node this test starts.
///
/// Taken below Linux's ephemeral range (32768–60999), one after another from a random start: a
/// port the kernel hands out (bind to 0) can be handed out again at once as the local port of
/// some other test's outgoing connection, and a node then failed "Address already in use" (a
/// fresh-clone run of 4d07873). Ports this process hands out never repeat.
func freePort() -> Int {
    for _ in 0..<1_000 {
        let port = nextPortToTry.withLock { next -> Int in
            defer { next = next >= 32_000 ? 20_000 : next + 1 }
            return next
        }
        if canBind(port) { return port }
    }
    return 0
}

private let nextPortToTry = Mutex(Int.random(in: 20_000..<32_000))

/// Whether a TCP socket can be bound to 127.0.0.1:`port` now.
private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } == 0
}
