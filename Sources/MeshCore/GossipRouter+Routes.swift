import Wire

/// Source mode: per-source trees built by reverse-path forwarding (DVMRP's reverse-path
/// broadcast, with an explicit child bit instead of a guess).
///
/// Every node keeps, for every origin it has heard of, its distance in hops and its parent: the
/// neighbour with the smallest advertised distance (ties: the current parent, then the smallest
/// ID), as a distance-vector protocol does. It tells each neighbour its distances and whether
/// that neighbour is its parent (`RouteEntry.viaYou`), inside the tree adverts it already sends
/// (PROTOCOL.md section 5.3). A node then pushes a broadcast of origin O to exactly the
/// neighbours that named it their parent toward O: the copies follow the breadth-first tree
/// rooted at O, one per node, and a delivery takes as many hops as the node is far from O
/// (the shared tree of tree mode makes every broadcast climb to one root first, up to twice
/// the diameter).
///
/// Routes travel as changes, batched every `lazyFlushInterval`; every neighbour gets the whole
/// table on a new link and every `treeAdvertInterval`, which heals a lost advert. Distances
/// stop at 16 (the largest TTL): a route that grows past it is withdrawn, the classic bound on
/// counting to infinity, and a neighbour's route that runs through this node is never used
/// (split horizon). Bounds: `maxRoutes` origins in the table and from each neighbour,
/// `routesPerAdvert` entries read from one advert. A hostile neighbour that claims to be next
/// to everyone becomes the parent of its neighbours and drops their pushes; digests from their
/// other neighbours still repair every message, at the cost of time. A broadcast of an origin
/// with no route (table full, or not yet learnt) goes down the shared tree instead.
extension GossipRouter {
    struct Route: Sendable, Equatable {
        var distance: UInt32
        var parent: NodeID
    }

    /// A neighbour's advertised route to an origin.
    struct Offer: Sendable {
        var distance: UInt32
        /// The neighbour's parent toward the origin is this node: it is our child in that tree.
        var viaMe: Bool
    }

    /// Origins this node has a route to (itself excluded).
    public var routeCount: Int { routes.count }

    /// This node's distance and parent toward `origin`, if it has a route.
    public func route(to origin: NodeID) -> (distance: UInt32, parent: NodeID)? {
        routes[origin].map { ($0.distance, $0.parent) }
    }

    /// The neighbours that named this node their parent toward `origin`, in node-ID order.
    public func children(toward origin: NodeID) -> [NodeID] {
        neighbours.indices.filter { neighbours.values[$0].reachable && neighbours.values[$0].offers[origin]?.viaMe == true }
            .map { neighbours.ids[$0] }
    }

    /// Whether neighbour `i` gets `origin`'s broadcasts pushed in source mode: it named this
    /// node its parent toward the origin; for an origin without a route, it is a tree neighbour.
    func isSourceChild(at i: Int, origin: NodeID) -> Bool {
        if origin == me || routes[origin] != nil { return neighbours.values[i].offers[origin]?.viaMe == true }
        return isTreeNeighbour(at: i)
    }

    /// Takes in the routes a neighbour advertised and recomputes the routes they touch.
    mutating func receiveRoutes(_ entries: [RouteEntry], from i: Int, at now: Instant, effects: inout [MeshEffect]) {
        var touched: [NodeID] = []
        var limited = false
        for e in entries.prefix(configuration.routesPerAdvert) {
            if e.distance >= Self.maximumTreeDistance {
                guard neighbours.values[i].offers.removeValue(forKey: e.origin) != nil else { continue }
            } else {
                if neighbours.values[i].offers[e.origin] == nil && neighbours.values[i].offers.count >= configuration.maxRoutes {
                    limited = true
                    continue
                }
                neighbours.values[i].offers[e.origin] = Offer(distance: e.distance, viaMe: e.viaYou)
            }
            if e.origin != me { touched.append(e.origin) }
        }
        if limited {
            counters.limitHits += 1
            effects.append(.limitReached(.routes))
        }
        for origin in touched { recomputeRoute(origin, at: now, effects: &effects) }
    }

    /// The neighbour at `peer` went away or was declared dead: the routes through it are chosen again.
    mutating func dropRoutes(through peer: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        guard configuration.mode == .source else { return }
        let affected = routes.filter { $0.value.parent == peer }.map(\.key).sorted()
        for origin in affected { recomputeRoute(origin, at: now, effects: &effects) }
    }

    /// Picks the best route to `origin` from the neighbours' offers; a change is queued for the
    /// next route flush.
    mutating func recomputeRoute(_ origin: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        var bestDistance = Self.maximumTreeDistance
        var bestParent: NodeID?
        let current = routes[origin]
        for i in neighbours.indices {
            let n = neighbours.values[i]
            guard n.reachable, let offer = n.offers[origin], !offer.viaMe else { continue }
            let d = offer.distance + 1
            guard d < Self.maximumTreeDistance else { continue }
            // Neighbours are in ID order: the first at the smallest distance is the smallest ID,
            // unless the current parent ties.
            if d < bestDistance || (d == bestDistance && neighbours.ids[i] == current?.parent) {
                bestDistance = d
                bestParent = neighbours.ids[i]
            }
        }
        let best = bestParent.map { Route(distance: bestDistance, parent: $0) }
        guard best != current else { return }
        if let best {
            if current == nil && routes.count >= configuration.maxRoutes {
                counters.limitHits += 1
                effects.append(.limitReached(.routes))
                return
            }
            routes[origin] = best
        } else {
            routes.removeValue(forKey: origin)
        }
        counters.routeChanges += 1
        if dirtyRoutes.insert(origin).inserted { dirtyRouteOrder.append(origin) }
        if routeFlushDue == nil { routeFlushDue = now + configuration.lazyFlushInterval }
    }

    /// The entry this node advertises to `peer` for `origin` (withdrawn: distance 16).
    func routeEntry(_ origin: NodeID, for peer: NodeID) -> RouteEntry {
        if origin == me { return RouteEntry(origin: me, distance: 0, viaYou: false) }
        guard let r = routes[origin] else {
            return RouteEntry(origin: origin, distance: Self.maximumTreeDistance, viaYou: false)
        }
        return RouteEntry(origin: origin, distance: r.distance, viaYou: r.parent == peer)
    }

    /// Sends every neighbour the routes that changed since the last flush.
    mutating func flushRoutes(effects: inout [MeshEffect]) {
        routeFlushDue = nil
        let origins = dirtyRouteOrder
        dirtyRouteOrder.removeAll(keepingCapacity: true)
        dirtyRoutes.removeAll(keepingCapacity: true)
        guard !origins.isEmpty else { return }
        for i in neighbours.indices where neighbours.values[i].reachable {
            sendRoutes(origins, to: neighbours.ids[i], effects: &effects)
        }
    }

    /// Every origin this node has a route to, itself first, then in node-ID order.
    var fullRouteTable: [NodeID] { [me] + routes.keys.sorted() }

    /// Sends `origins`' entries to `peer` in adverts of at most `routesPerAdvert` entries.
    mutating func sendRoutes(_ origins: [NodeID], to peer: NodeID, effects: inout [MeshEffect]) {
        let size = max(1, configuration.routesPerAdvert)
        var start = 0
        while start < origins.count {
            let chunk = origins[start..<min(start + size, origins.count)].map { routeEntry($0, for: peer) }
            var advert = tree
            advert.routes = chunk
            counters.treeAdvertsSent += 1
            effects.append(.send(.treeAdvert(advert), to: peer))
            start += size
        }
    }
}
