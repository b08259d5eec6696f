import MeshCore
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

/// Instant, lossless delivery among a few cores: enough to test multi-hop rules without the
/// simulator. Messages are handled in the order sent (FIFO).
struct InstantNetwork {
    var cores: [NodeID: NodeCore] = [:]
    var links: Set<[NodeID]> = []
    var delivered: [NodeID: [Delivery]] = [:]
    var rng = SeededGenerator(seed: 1)
    var now = Instant.zero

    init(_ ids: [NodeID], links pairs: [(NodeID, NodeID)], configuration: NodeCore.Configuration = .init()) {
        for id in ids { cores[id] = NodeCore(id: id, configuration: configuration) }
        for (a, b) in pairs { links.insert([a, b].sorted()) }
        for (a, b) in pairs {
            run(a, .linkUp(b))
            run(b, .linkUp(a))
        }
    }

    mutating func run(_ id: NodeID, _ input: MeshInput) {
        var queue: [(NodeID, MeshInput)] = [(id, input)]
        while !queue.isEmpty {
            let (target, input) = queue.removeFirst()
            let effects = cores[target]!.handle(input, at: now, using: &rng)
            for e in effects {
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
}
