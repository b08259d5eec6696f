import MeshCore
import Testing
import Wire

/// Routers alone on a fixed graph, with instant FIFO delivery and a lossless network unless a
/// test drops a message: enough to count exactly what one broadcast costs.
struct RouterGraph {
    var ids: [NodeID]
    var adjacency: [[Int]]
    var routers: [GossipRouter]
    var now = Instant.zero
    var rng = SeededGenerator(seed: 7)
    /// Every message sent, by kind name, since the last `resetCounts`.
    var sentByKind: [String: Int] = [:]
    var deliveries: [[Delivery]]
    /// Returns true to lose a message (from, to, message).
    var drop: (Int, Int, MeshMessage) -> Bool = { _, _, _ in false }

    init(nodes: Int, edges: [(Int, Int)], mode: GossipConfiguration.Mode) {
        ids = (0..<nodes).map { node(UInt8($0 + 1)) }
        adjacency = Array(repeating: [], count: nodes)
        for (a, b) in edges {
            adjacency[a].append(b)
            adjacency[b].append(a)
        }
        var config = GossipConfiguration()
        config.mode = mode
        config.ttl = GossipConfiguration.maximumTTL
        routers = ids.map { GossipRouter(me: $0, configuration: config) }
        deliveries = Array(repeating: [], count: nodes)
        var queue: [(Int, [MeshEffect])] = []
        for (a, b) in edges {
            for (x, y) in [(a, b), (b, a)] {
                var effects: [MeshEffect] = []
                routers[x].linkUp(ids[y], at: now, effects: &effects)
                queue.append((x, effects))
            }
        }
        settle(queue)
    }

    func index(_ id: NodeID) -> Int { ids.firstIndex(of: id)! }

    mutating func settle(_ initial: [(Int, [MeshEffect])]) {
        var queue = initial
        while !queue.isEmpty {
            let (from, effects) = queue.removeFirst()
            for e in effects {
                switch e {
                case let .send(m, to):
                    sentByKind[m.kindName, default: 0] += 1
                    let t = index(to)
                    guard !drop(from, t, m) else { continue }
                    var out: [MeshEffect] = []
                    routers[t].receive(m, from: ids[from], at: now, effects: &out)
                    queue.append((t, out))
                case let .deliver(d):
                    deliveries[from].append(d)
                default: break
                }
            }
        }
    }

    /// Runs every router's timer at each deadline up to `until`.
    mutating func advance(to until: Instant) {
        while let next = routers.compactMap(\.nextDeadline).min(), next <= until {
            now = next
            var queue: [(Int, [MeshEffect])] = []
            for i in routers.indices where routers[i].nextDeadline.map({ $0 <= now }) ?? false {
                var out: [MeshEffect] = []
                routers[i].timer(at: now, using: &rng, effects: &out)
                queue.append((i, out))
            }
            settle(queue)
        }
        now = until
    }

    mutating func broadcast(from i: Int, _ payload: [UInt8]) {
        var out: [MeshEffect] = []
        routers[i].broadcast(payload, at: now, effects: &out)
        settle([(i, out)])
    }

    /// Hops from `source` to every node (breadth-first).
    func distances(from source: Int) -> [Int] {
        var d = Array(repeating: -1, count: ids.count)
        d[source] = 0
        var frontier = [source]
        while !frontier.isEmpty {
            var next: [Int] = []
            for u in frontier { for v in adjacency[u] where d[v] < 0 { d[v] = d[u] + 1; next.append(v) } }
            frontier = next
        }
        return d
    }

    var payloadCopies: Int { routers.map(\.counters.payloadCopiesSent).reduce(0, +) }
}

/// A 4 × 4 grid (diameter 6) with two chords, so shortest paths are not all unique.
let gridEdges: [(Int, Int)] = {
    var e: [(Int, Int)] = []
    for r in 0..<4 { for c in 0..<4 {
        let i = r * 4 + c
        if c < 3 { e.append((i, i + 1)) }
        if r < 3 { e.append((i, i + 4)) }
    } }
    return e + [(0, 5), (10, 15)]
}()

@Suite struct SourceTreeTests {
    @Test func everyOriginHasAShortestPathTreeAfterTheRoutesSettle() {
        var g = RouterGraph(nodes: 16, edges: gridEdges, mode: .source)
        g.advance(to: .ms(2_000))
        for i in g.ids.indices {
            let d = g.distances(from: i)
            for j in g.ids.indices where j != i {
                let route = g.routers[j].route(to: g.ids[i])
                #expect(route.map { Int($0.distance) } == d[j], "node \(j) toward \(i)")
                if let parent = route?.parent {
                    #expect(d[g.index(parent)] == d[j] - 1)
                    #expect(g.routers[g.index(parent)].children(toward: g.ids[i]).contains(g.ids[j]))
                }
            }
        }
    }

    /// The point of source mode: with no loss a broadcast costs exactly N − 1 payload copies,
    /// no control message at all, and every node gets it over a shortest path.
    @Test func aBroadcastCostsNMinusOneCopiesNoControlAndShortestHops() {
        var g = RouterGraph(nodes: 16, edges: gridEdges, mode: .source)
        g.advance(to: .ms(2_000))
        for origin in [0, 6, 15] {
            let copiesBefore = g.payloadCopies
            g.sentByKind = [:]
            g.deliveries = Array(repeating: [], count: 16)
            g.broadcast(from: origin, [UInt8(origin)])
            // Past a lazy flush and an announcement wait, before the next digest or refresh.
            g.advance(to: g.now + .milliseconds(200))
            #expect(g.payloadCopies - copiesBefore == 15, "origin \(origin)")
            #expect(g.sentByKind.keys.sorted() == ["gossip"], "origin \(origin): \(g.sentByKind)")
            let d = g.distances(from: origin)
            for j in g.ids.indices where j != origin {
                #expect(g.deliveries[j].count == 1)
                #expect(g.deliveries[j].first.map { Int($0.hops) } == d[j], "node \(j) from \(origin)")
            }
        }
    }

    /// The same graph in tree mode: the broadcast climbs to the root, so some node is reached
    /// over more hops than its distance, and lazy neighbours get announcements.
    @Test func theSharedTreeTakesLongerPathsAndAnnounces() {
        var g = RouterGraph(nodes: 16, edges: gridEdges, mode: .tree)
        g.advance(to: .ms(2_000))
        g.sentByKind = [:]
        g.broadcast(from: 15, [1])
        g.advance(to: g.now + .milliseconds(200))
        let d = g.distances(from: 15)
        #expect(g.ids.indices.contains { j in j != 15 && Int(g.deliveries[j].first?.hops ?? 0) > d[j] })
        #expect((g.sentByKind["ihave"] ?? 0) > 0)
    }

    /// A lost push is repaired by the digests, and the repaired node pushes on to its own
    /// children: everyone gets it once, within one hop of the shortest path.
    @Test func aLostPushIsRepairedByDigestsWithinOneExtraHop() {
        var g = RouterGraph(nodes: 16, edges: gridEdges, mode: .source)
        g.advance(to: .ms(2_000))
        // Node 10 (3 hops from 0) loses every push of this broadcast, and so its children.
        g.drop = { _, to, m in if case .gossip = m { return to == 10 } else { return false } }
        g.broadcast(from: 0, [9])
        #expect(g.deliveries[10].isEmpty)
        g.drop = { _, _, _ in false }
        g.advance(to: g.now + .seconds(4))
        let d = g.distances(from: 0)
        for j in 1..<16 {
            #expect(g.deliveries[j].count == 1, "node \(j)")
            let hops = g.deliveries[j].first.map { Int($0.hops) } ?? 99
            #expect(hops <= d[j] + 1, "node \(j): \(hops) hops, distance \(d[j])")
        }
    }

    @Test func aDeadParentIsReplacedAndTheNewParentLearnsItsChild() {
        var g = RouterGraph(nodes: 16, edges: gridEdges, mode: .source)
        g.advance(to: .ms(2_000))
        let origin = g.ids[0], j = 3
        let oldParent = g.routers[j].route(to: origin)!.parent
        var out: [MeshEffect] = []
        g.routers[j].setReachable(oldParent, false, at: g.now, effects: &out)
        g.settle([(j, out)])
        let route = g.routers[j].route(to: origin)!
        #expect(route.parent != oldParent && route.distance == 4)
        g.advance(to: g.now + .milliseconds(100))
        #expect(g.routers[g.index(route.parent)].children(toward: origin).contains(g.ids[j]))
    }

    /// A neighbour may advertise any number of origins; the table keeps at most `maxRoutes`,
    /// counts the limit, and reads at most `routesPerAdvert` entries of one advert.
    @Test func theRouteTableIsBounded() {
        var r = router(node(1), neighbours: [node(2)], mode: .source) {
            $0.maxRoutes = 10
            $0.routesPerAdvert = 50
        }
        let fakes = (0..<200).map { i in
            RouteEntry(origin: NodeID(bytes: [0xEE] + [UInt8](repeating: 0, count: 17) + [UInt8(i / 256), UInt8(i % 256)])!,
                       distance: 0, viaYou: false)
        }
        var effects: [MeshEffect] = []
        r.receive(.treeAdvert(TreeAdvert(root: node(2), distance: 0, parent: nil, routes: fakes)), from: node(2),
                  at: .ms(1), effects: &effects)
        #expect(r.routeCount == 10)
        #expect(r.counters.limitHits > 0)
        #expect(effects.contains(.limitReached(.routes)))
        #expect(r.route(to: fakes[0].origin)?.distance == 1)
        #expect(r.route(to: fakes[60].origin) == nil, "past routesPerAdvert: not read")
    }

    @Test func routesLongerThanTheLargestTTLAreWithdrawn() {
        var r = router(node(1), neighbours: [node(2)], mode: .source)
        let far = node(9)
        var effects: [MeshEffect] = []
        r.receive(.treeAdvert(TreeAdvert(root: node(2), distance: 0, parent: nil,
                                         routes: [RouteEntry(origin: far, distance: 14, viaYou: false)])),
                  from: node(2), at: .ms(1), effects: &effects)
        #expect(r.route(to: far)?.distance == 15)
        r.receive(.treeAdvert(TreeAdvert(root: node(2), distance: 0, parent: nil,
                                         routes: [RouteEntry(origin: far, distance: 15, viaYou: false)])),
                  from: node(2), at: .ms(2), effects: &effects)
        #expect(r.route(to: far) == nil)
    }
}
