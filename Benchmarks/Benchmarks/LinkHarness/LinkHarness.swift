import Foundation
import Logging
import MeshCore
import MeshNode
import Sodium
import Wire

/// What the transport benchmarks and the link profiler share: a link without sockets, and two
/// transports on loopback with a link between them.

/// A link's two halves without sockets, from a real handshake.
public enum Pipe {
    public static func halves() -> (LinkSealer, LinkOpener) {
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

/// Two transports on loopback with a link between them: node 1 (`a`) dials node 2 (`b`).
public struct Pair: Sendable {
    public let a: CountingEndpoint
    public let b: CountingEndpoint

    public static func make() async throws -> Pair {
        let (b, port) = try await listen()
        let a = try await dial(port: port)
        await b.waitForLink()
        return Pair(a: a, b: b)
    }

    static var logger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return logger
    }

    /// Node 2: listens on loopback, trusting node 1; returns once bound, with the port.
    public static func listen() async throws -> (CountingEndpoint, port: Int) {
        let b = try CountingEndpoint(seed: 2)
        let trust = try TrustStore(database: b.database)
        trust.trust(CountingEndpoint.nodeID(seed: 1), source: .pinned)
        var configuration = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0))
        configuration.discovery = false
        let port = PortBox()
        let transport = Transport(configuration: configuration, endpoint: b, trust: trust, logger: logger)
        Task { try await transport.serve { await port.set($0) } }
        return (b, await port.get())
    }

    /// Node 1: dials node 2 at `port`; returns once linked.
    public static func dial(port: Int) async throws -> CountingEndpoint {
        let a = try CountingEndpoint(seed: 1)
        let b = CountingEndpoint.nodeID(seed: 2)
        let trust = try TrustStore(database: a.database)
        trust.trust(b, source: .pinned)
        var configuration = Transport.Configuration(listen: HostPort(host: "127.0.0.1", port: 0),
                                                    peers: [PeerAddress(address: HostPort(host: "127.0.0.1", port: port), pinned: b)])
        configuration.discovery = false
        let transport = Transport(configuration: configuration, endpoint: a, trust: trust, logger: logger)
        Task { try await transport.serve { _ in } }
        await a.waitForLink()
        return a
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
public final class CountingEndpoint: MeshEndpoint, @unchecked Sendable {
    public let identity: Ed25519KeyPair
    public let nodeID: NodeID
    public let database: NodeDatabase
    private let lock = NSLock()
    /// Messages received, WANTs among them, links come up: counts a caller can wait for.
    private var messages = Tally(), wantsReceived = Tally(), links = Tally()
    public private(set) var transport: Transport?

    /// Whether this endpoint answers a WANT with a WANT (one side only, or they would play ping-pong).
    let echoes: Bool

    /// The node ID an endpoint made with `seed` has, in any process.
    public static func nodeID(seed: UInt8) -> NodeID {
        NodeID(publicKey: Ed25519KeyPair(seed: [UInt8](repeating: seed, count: 32))!.publicKey)
    }

    init(seed: UInt8) throws {
        echoes = seed == 2
        identity = Ed25519KeyPair(seed: [UInt8](repeating: seed, count: 32))!
        nodeID = NodeID(publicKey: identity.publicKey)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        database = try NodeDatabase(path: folder.appendingPathComponent("db.sqlite").path)
    }

    public var received: Int { lock.withLock { messages.count } }
    public var wants: Int { lock.withLock { wantsReceived.count } }

    public func attach(_ transport: Transport) async { lock.withLock { self.transport = transport } }

    public func linkEstablished(_ peer: NodeID) async {
        for w in lock.withLock({ links.add() }) { w.resume() }
    }

    public func linkLost(_ peer: NodeID) async {}

    public func receiveFromPeer(_ message: MeshMessage, from peer: NodeID) async {
        // A node's endpoint is an actor: every message crosses into one, as here.
        await ActorOfTheNode.shared.take(message)
        var isWant = false
        if case .want = message {
            isWant = true
            if echoes, let t = lock.withLock({ transport }) { t.send(message, to: peer) }
        }
        let ready = lock.withLock { messages.add() + (isWant ? wantsReceived.add() : []) }
        for w in ready { w.resume() }
    }

    public func wait(until target: Int) async { await wait(\.messages, reaching: target) }
    public func wait(wants target: Int) async { await wait(\.wantsReceived, reaching: target) }
    public func waitForLink() async { await wait(\.links, reaching: 1) }

    private func wait(_ tally: ReferenceWritableKeyPath<CountingEndpoint, Tally>, reaching target: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if self[keyPath: tally].count >= target { return true }
                self[keyPath: tally].waiters.append((target, c))
                return false
            }
            if now { c.resume() }
        }
    }
}

/// A count, and who waits for it to reach what.
private struct Tally {
    var count = 0
    var waiters: [(Int, CheckedContinuation<Void, Never>)] = []

    /// Counts one; returns the waiters now due (to resume outside the lock).
    mutating func add() -> [CheckedContinuation<Void, Never>] {
        count += 1
        let due = waiters.filter { $0.0 <= count }.map(\.1)
        waiters.removeAll { $0.0 <= count }
        return due
    }
}

/// A steady stream of bulk messages from node 1 to node 2: each step sends one batch and waits
/// for the batch before it, so the sender stays one batch ahead and the link never drains
/// between steps (two batches of 64 wait at most, within the outbox's 256). The count lives
/// here, not in a step, because a benchmark harness calls its closure once per iteration.
public final class BulkStream: @unchecked Sendable {
    private let sender: CountingEndpoint
    private let receiver: NodeID
    /// Waits until the `n`th batch has arrived (1-based; 0 returns at once).
    private let arrived: @Sendable (_ n: Int) async -> Void
    /// Whether each batch ends with a WANT for node 2 to echo (when its count is out of reach).
    private let marked: Bool
    private var batches = 0

    /// Both ends in this process: node 2's count says what arrived.
    public init(pair: Pair, batch: Int) {
        sender = pair.a
        receiver = pair.b.nodeID
        let base = pair.b.received
        arrived = { n in await pair.b.wait(until: base + n * batch) }
        marked = false
    }

    /// Node 2 in another process: it echoes the WANT that ends each batch, after the batch.
    public init(sender: CountingEndpoint, to receiver: NodeID) {
        self.sender = sender
        self.receiver = receiver
        let base = sender.wants
        arrived = { n in await sender.wait(wants: base + n) }
        marked = true
    }

    public func step(_ message: MeshMessage, batch: Int) async {
        for _ in 0..<batch { sender.transport!.send(message, to: receiver) }
        if marked { sender.transport!.send(.want([]), to: receiver) }
        batches += 1
        await arrived(batches - 1)
    }
}

/// Stands for the node's actor: the transport hands each message to an actor, and the cost of
/// getting there (a hop to its executor and back) belongs in the figures.
actor ActorOfTheNode {
    static let shared = ActorOfTheNode()
    private(set) var taken = 0
    func take(_ message: MeshMessage) { taken += 1 }
}
