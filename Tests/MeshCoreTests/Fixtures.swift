import MeshCore
import Sodium
import Wire

/// Node IDs whose order is their number, so tests read naturally.
func node(_ n: UInt8) -> NodeID { NodeID(bytes: [UInt8](repeating: 0, count: 19) + [n])! }

extension Instant {
    static func ms(_ v: Int64) -> Instant { .milliseconds(v) }
}

extension Array where Element == MeshEffect {
    /// The messages sent, as (message, peer) pairs.
    var sent: [(MeshMessage, NodeID)] {
        compactMap { if case let .send(m, p) = $0 { (m, p) } else { nil } }
    }

    func sent(to peer: NodeID) -> [MeshMessage] { sent.filter { $0.1 == peer }.map(\.0) }

    var deliveries: [Delivery] { compactMap { if case let .deliver(d) = $0 { d } else { nil } } }

    var gossipFrames: [(GossipFrame, NodeID)] {
        sent.compactMap { if case let .gossip(f) = $0.0 { (f, $0.1) } else { nil } }
    }

    var statuses: [(NodeID, PeerStatus)] {
        compactMap { if case let .peerStatus(p, s) = $0 { (p, s) } else { nil } }
    }
}

/// A gossip router with its neighbours already linked.
func router(_ me: NodeID, neighbours: [NodeID], mode: GossipConfiguration.Mode = .flood,
            configure: (inout GossipConfiguration) -> Void = { _ in }) -> GossipRouter {
    var config = GossipConfiguration()
    config.mode = mode
    configure(&config)
    var r = GossipRouter(me: me, configuration: config)
    var ignored: [MeshEffect] = []
    for n in neighbours { r.linkUp(n, at: .zero, effects: &ignored) }
    return r
}

/// The key pair of test node `n`.
func identity(_ n: Int) -> Ed25519KeyPair { Ed25519KeyPair(seed: [UInt8](repeating: UInt8(n), count: 32))! }

/// Instant, lossless delivery among a few cores: enough to test multi-hop rules without the
/// simulator. Messages are handled in the order sent (FIFO). Nodes are numbered 0..<count.
struct InstantNetwork {
    var ids: [NodeID]
    var cores: [NodeID: NodeCore] = [:]
    var links: Set<[NodeID]> = []
    var delivered: [NodeID: [Delivery]] = [:]
    var effects: [NodeID: [MeshEffect]] = [:]
    var rng = SeededGenerator(seed: 1)
    var now = Instant.zero

    init(count: Int, links pairs: [(Int, Int)], configuration: NodeCore.Configuration = .init()) {
        ids = (0..<count).map { NodeID(publicKey: identity($0 + 1).publicKey) }
        for i in 0..<count { cores[ids[i]] = NodeCore(identity: identity(i + 1), configuration: configuration) }
        for (a, b) in pairs { links.insert([ids[a], ids[b]].sorted()) }
        for (a, b) in pairs {
            run(ids[a], .linkUp(ids[b]))
            run(ids[b], .linkUp(ids[a]))
        }
    }

    mutating func run(_ id: NodeID, _ input: MeshInput) {
        var queue: [(NodeID, MeshInput)] = [(id, input)]
        while !queue.isEmpty {
            let (target, input) = queue.removeFirst()
            let produced = cores[target]!.handle(input, at: now, wallMs: 1_800_000_000_000 + UInt64(now.nanoseconds / 1_000_000), using: &rng)
            effects[target, default: []].append(contentsOf: produced)
            for e in produced {
                switch e {
                case let .send(m, to):
                    if links.contains([target, to].sorted()) { queue.append((to, .received(m, from: target))) }
                case let .deliver(d):
                    delivered[target, default: []].append(d)
                default: break
                }
            }
        }
    }

    /// Runs timers of every node until `end`, in time order.
    mutating func advance(to end: Instant) {
        while let (id, t) = ids.compactMap({ id in cores[id]!.nextDeadline.map { (id, $0) } }).min(by: { $0.1 < $1.1 }), t <= end {
            now = t
            run(id, .timer)
        }
        now = end
    }
}

/// Origin `origin`'s broadcast `seq` (TTL 4, one hop so far): the frames the floor tests send.
func floorTestFrame(_ seq: UInt64, origin: NodeID) -> GossipFrame {
    GossipFrame(origin: origin, seq: seq, ttl: 4, hops: 1, payload: [UInt8(seq & 0xFF)])
}

/// Delivers `f` from `peer` at `ms`, the router's timer first (so its caches age as in a node);
/// the effects of both.
func deliverAfterTimer(_ r: inout GossipRouter, _ f: GossipFrame, from peer: NodeID, at ms: Int64) -> [MeshEffect] {
    var rng = SeededGenerator(seed: 1)
    var effects: [MeshEffect] = []
    r.timer(at: .ms(ms), using: &rng, effects: &effects)
    r.receive(.gossip(f), from: peer, at: .ms(ms), effects: &effects)
    return effects
}
