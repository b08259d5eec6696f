import Benchmark
import Foundation
import Logging
import MeshCore
import MeshNode
import Sodium
import Wire

/// Transport figures of the Transport issue, each beside a baseline in the same run:
/// - encrypted TCP throughput between two transports on loopback, against libsodium's raw
///   ChaCha20-Poly1305 over the same bytes (the goal: at least 70% of it);
/// - small messages per second on one link, and the round-trip latency of one (p50/p99).
let messageBytes = 60_000
let bulkMessages = 64

let benchmarks: @Sendable () -> Void = {
    // The allocator settings `elohim node run` starts with, for the baseline as much as the
    // link: every figure here is measured in the process a node runs as.
    MemoryTuning.apply()
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock], maxDuration: .seconds(15), maxIterations: 50)

    Benchmark("baseline: ChaCha20-Poly1305 over 64 × 60 KB", configuration: .init(metrics: [.wallClock, .throughput])) { benchmark in
        let key = [UInt8](repeating: 1, count: 32), nonce = [UInt8](repeating: 0, count: 12)
        let chunk = [UInt8](repeating: 7, count: messageBytes)
        for _ in benchmark.scaledIterations {
            for _ in 0..<bulkMessages { blackHole(ChaChaPoly.seal(chunk, key: key, nonce: nonce)) }
        }
    }

    Benchmark("pipeline without sockets: encode, seal, open, decode 64 × 60 KB",
              configuration: .init(metrics: [.wallClock, .throughput])) { benchmark in
        let message = MeshMessage.syncOps(team: [UInt8](repeating: 9, count: 32), ops: [UInt8](repeating: 7, count: messageBytes),
                                          compressed: false, more: false, count: 0)
        var (sealer, opener) = Pipe.halves()
        for _ in benchmark.scaledIterations {
            for _ in 0..<bulkMessages {
                for frame in try! sealer.seal(message.serialized()) {
                    for m in try! opener.open(frame) { blackHole(try! MeshMessage(serialized: m)) }
                }
            }
        }
    }

    Benchmark("link: 64 × 60 KB messages, sent and received", configuration: .init(metrics: [.wallClock, .throughput])) {
        benchmark, pair in
        let message = MeshMessage.syncOps(team: [UInt8](repeating: 9, count: 32), ops: [UInt8](repeating: 7, count: messageBytes),
                                          compressed: false, more: false, count: 0)
        for _ in benchmark.scaledIterations {
            let target = pair.b.received + bulkMessages
            for _ in 0..<bulkMessages { pair.a.transport!.send(message, to: pair.b.nodeID) }
            await pair.b.wait(until: target)
        }
    } setup: { try await Pair.make() }

    Benchmark("link: 1,000 small messages, sent and received",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one)) { benchmark, pair in
        // In rounds of 100: a link holds at most 256 queued messages for a peer (the slow-peer
        // bound), so a larger burst would lose messages by design.
        for _ in benchmark.scaledIterations {
            for _ in 0..<10 {
                let target = pair.b.received + 100
                for _ in 0..<100 { pair.a.transport!.send(.prune, to: pair.b.nodeID) }
                await pair.b.wait(until: target)
            }
        }
    } setup: { try await Pair.make() }

    Benchmark("link: round trip of one small message",
              configuration: .init(metrics: [.wallClock], maxDuration: .seconds(10), maxIterations: 5000)) { benchmark, pair in
        for _ in benchmark.scaledIterations {
            let target = pair.a.wants + 1
            pair.a.transport!.send(.want([]), to: pair.b.nodeID)   // b echoes every WANT
            await pair.a.wait(wants: target)
        }
    } setup: { try await Pair.make() }
}

/// A link's two halves without sockets, from a real handshake.
enum Pipe {
    static func halves() -> (LinkSealer, LinkOpener) {
        let a = Ed25519KeyPair(seed: [UInt8](repeating: 1, count: 32))!, b = Ed25519KeyPair(seed: [UInt8](repeating: 2, count: 32))!
        let sa = NoiseKeyPair(privateKey: [UInt8](repeating: 3, count: 32)), sb = NoiseKeyPair(privateKey: [UInt8](repeating: 4, count: 32))
        var i = try! LinkSession(initiatorWith: LinkHello(identity: a, noiseStatic: sa.publicKey, listenPort: 0), noiseStatic: sa,
                                 ephemeralPrivateKey: [UInt8](repeating: 5, count: 32), knownResponderStatic: sb.publicKey)
        var r = LinkSession(responderWith: LinkHello(identity: b, noiseStatic: sb.publicKey, listenPort: 0), noiseStatic: sb,
                            ephemeralPrivateKey: [UInt8](repeating: 6, count: 32))
        guard case let .established(_, reply?) = try! r.receive(try! i.firstFrame()) else { fatalError() }
        _ = try! i.receive(reply)
        return (i.halves!.sealer, r.halves!.opener)
    }
}

/// Two transports on loopback with a link between them.
struct Pair: Sendable {
    let a: CountingEndpoint
    let b: CountingEndpoint

    static func make() async throws -> Pair {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let a = try CountingEndpoint(seed: 1), b = try CountingEndpoint(seed: 2)
        let trustA = try TrustStore(database: a.database), trustB = try TrustStore(database: b.database)
        trustA.trust(b.nodeID, source: .pinned)
        trustB.trust(a.nodeID, source: .pinned)
        var configB = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0))
        configB.discovery = false
        let port = PortBox()
        let tb = Transport(configuration: configB, endpoint: b, trust: trustB, logger: logger) { await port.set($0) }
        Task { try await tb.serve { await port.set($0) } }
        let bPort = await port.get()
        var configA = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0),
                                              peers: [PeerAddress(address: HostPort(host: "127.0.0.1", port: bPort), pinned: b.nodeID)])
        configA.discovery = false
        let ta = Transport(configuration: configA, endpoint: a, trust: trustA, logger: logger)
        Task { try await ta.serve { _ in } }
        await a.waitForLink()
        await b.waitForLink()
        return Pair(a: a, b: b)
    }
}

actor PortBox {
    var port: Int?
    var waiters: [CheckedContinuation<Int, Never>] = []
    func set(_ p: Int) {
        port = p
        for w in waiters { w.resume(returning: p) }
        waiters = []
    }
    func get() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiters.append($0) }
    }
}

/// An endpoint that counts what arrives; endpoint 2 echoes WANT messages.
final class CountingEndpoint: MeshEndpoint, @unchecked Sendable {
    let identity: Ed25519KeyPair
    let nodeID: NodeID
    let database: NodeDatabase
    private let lock = NSLock()
    private var count = 0
    private var wantCount = 0
    private var linked = false
    private var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private var wantWaiters: [(Int, CheckedContinuation<Void, Never>)] = []
    private var linkWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var transport: Transport?

    /// Whether this endpoint answers a WANT with a WANT (one side only, or they would play ping-pong).
    let echoes: Bool

    init(seed: UInt8) throws {
        echoes = seed == 2
        identity = Ed25519KeyPair(seed: [UInt8](repeating: seed, count: 32))!
        nodeID = NodeID(publicKey: identity.publicKey)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        database = try NodeDatabase(path: folder.appendingPathComponent("db.sqlite").path)
    }

    var received: Int { lock.withLock { count } }
    var wants: Int { lock.withLock { wantCount } }

    func attach(_ transport: Transport) async { lock.withLock { self.transport = transport } }

    func linkEstablished(_ peer: NodeID) async {
        let ready = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            linked = true
            defer { linkWaiters = [] }
            return linkWaiters
        }
        for w in ready { w.resume() }
    }

    func linkLost(_ peer: NodeID) async {}

    func receiveFromPeer(_ message: MeshMessage, from peer: NodeID) async {
        var isWant = false
        if case .want = message {
            isWant = true
            if echoes, let t = lock.withLock({ transport }) { t.send(message, to: peer) }
        }
        let ready = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            count += 1
            if isWant { wantCount += 1 }
            let due = waiters.filter { $0.0 <= count } + wantWaiters.filter { $0.0 <= wantCount }
            waiters.removeAll { $0.0 <= count }
            wantWaiters.removeAll { $0.0 <= wantCount }
            return due.map(\.1)
        }
        for w in ready { w.resume() }
    }

    func wait(until target: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if count >= target { return true }
                waiters.append((target, c))
                return false
            }
            if now { c.resume() }
        }
    }

    func wait(wants target: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if wantCount >= target { return true }
                wantWaiters.append((target, c))
                return false
            }
            if now { c.resume() }
        }
    }

    func waitForLink() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if linked { return true }
                linkWaiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
