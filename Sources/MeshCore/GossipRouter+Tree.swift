import Wire

/// Tree mode: epidemic broadcast trees (Plumtree: Leitão, Pereira, Rodrigues, 2007). Payloads
/// are pushed eagerly along a spanning tree and announced lazily (IHAVE) to the other
/// neighbours, whose announcements repair what the tree loses.
///
/// The tree's shape departs from Plumtree on purpose. Plumtree keeps the links over which copies
/// arrived first; when link latencies differ, that tree has no bound on its depth (measured in
/// the simulator: 16 hops in a 200-node graph of diameter 4). Here, as in a spanning-tree
/// protocol, every node follows the smallest node ID it knows of as the root and picks as parent
/// the neighbour closest to that root in hops (ties: the current parent, then the smallest ID).
/// The tree is then a breadth-first tree: its depth is at most the graph's diameter, so no
/// broadcast travels more than twice the diameter along it. GRAFT tells the new parent to push
/// to this node, PRUNE tells the old one to stop; adverts (PROTOCOL.md section 5.3) carry the
/// same facts, are resent every `treeAdvertInterval`, and so heal whatever a lost GRAFT, PRUNE
/// or advert left wrong. A dead root is forgotten when the distances advertised for it grow past
/// the largest TTL (16), the classic bound on counting to infinity.
extension GossipRouter {
    static var maximumTreeDistance: UInt32 { GossipConfiguration.maximumTTL }

    /// True when neighbour `i` is this node's parent or child in the tree.
    func isTreeNeighbour(at i: Int) -> Bool {
        tree.parent == neighbours.ids[i] || neighbours.values[i].isChild
    }

    /// Whether payloads go to `peer` eagerly: always in flood mode, tree links in tree mode.
    public func isEager(_ peer: NodeID) -> Bool {
        guard let i = neighbours.index(of: peer), neighbours.values[i].reachable else { return false }
        return configuration.mode == .flood || isTreeNeighbour(at: i)
    }

    /// This node's place in the tree.
    public var treePosition: TreeAdvert { tree }

    mutating func receiveTreeAdvert(_ advert: TreeAdvert, from peer: NodeID, at now: Instant,
                                    effects: inout [MeshEffect]) {
        guard configuration.mode != .flood, let i = neighbours.index(of: peer) else { return }
        // The first advert from a peer is answered with ours: its own may have arrived before
        // our link to it was up, and been dropped.
        let first = neighbours.values[i].advert == nil
        var shared = advert
        shared.routes = []
        neighbours.values[i].advert = shared
        neighbours.values[i].isChild = advert.parent == me
        if configuration.mode == .source && !advert.routes.isEmpty {
            receiveRoutes(advert.routes, from: i, at: now, effects: &effects)
        }
        if first { sendFullAdvert(to: peer, effects: &effects) }
        chooseTreePosition(at: now, effects: &effects)
    }

    /// GRAFT: the peer makes this node its parent, and asks for the messages listed.
    mutating func receiveGraft(_ ids: [MessageID], from peer: NodeID, effects: inout [MeshEffect]) {
        if configuration.mode != .flood { neighbours.update(peer) { $0.isChild = true } }
        serve(ids, to: peer, effects: &effects)
    }

    /// PRUNE: the peer no longer has this node as its parent.
    mutating func receivePrune(from peer: NodeID) {
        neighbours.update(peer) { $0.isChild = false }
    }

    /// A push from a peer that is neither parent nor child, and that this node did not ask
    /// for, means the peer holds a tree link this node no longer has (a PRUNE and an advert
    /// were lost): PRUNE it again.
    mutating func checkTreeLink(pushedBy peer: NodeID, id: MessageID, effects: inout [MeshEffect]) {
        guard let i = neighbours.index(of: peer), !isTreeNeighbour(at: i),
              !(missing[id]?.asked.contains(peer) ?? false) else { return }
        counters.prunesSent += 1
        effects.append(.send(.prune, to: peer))
    }

    /// An announcement from this node's parent means the parent does not know it as a child
    /// (a GRAFT and an advert were lost): GRAFT again, asking for what it announced and we lack.
    mutating func checkParentLink(announcedBy peer: NodeID, entries: [Announcement], effects: inout [MeshEffect]) {
        guard configuration.mode == .tree, tree.parent == peer else { return }
        let lacking = entries.map(\.id).filter { !seen.contains($0) }
        for id in lacking { missing[id]?.asked.append(peer) }
        counters.graftsSent += 1
        effects.append(.send(.graft(lacking), to: peer))
    }

    /// Picks root, distance and parent from the neighbours' adverts; on a change tells the old
    /// parent (PRUNE), the new one (GRAFT) and every neighbour (advert).
    mutating func chooseTreePosition(at now: Instant, effects: inout [MeshEffect]) {
        guard configuration.mode != .flood else { return }
        if treeAdvertDue == nil { treeAdvertDue = now + configuration.treeAdvertInterval }
        var best = TreeAdvert(root: me, distance: 0, parent: nil)
        for i in neighbours.indices {
            let n = neighbours.values[i]
            guard n.reachable, let a = n.advert, a.parent != me, a.distance < Self.maximumTreeDistance else { continue }
            let candidate = TreeAdvert(root: a.root, distance: a.distance + 1, parent: neighbours.ids[i])
            let better = (candidate.root, candidate.distance) < (best.root, best.distance)
            let tiedWithCurrent = candidate.root == best.root && candidate.distance == best.distance
                && candidate.parent == tree.parent
            if better || tiedWithCurrent { best = candidate }
        }
        guard best != tree else { return }
        let oldParent = tree.parent
        tree = best
        counters.treeChanges += 1
        if let oldParent, oldParent != best.parent, neighbours[oldParent]?.reachable == true {
            counters.prunesSent += 1
            effects.append(.send(.prune, to: oldParent))
        }
        if let parent = best.parent, parent != oldParent {
            counters.graftsSent += 1
            effects.append(.send(.graft([]), to: parent))
        }
        for i in neighbours.indices where neighbours.values[i].reachable {
            sendTreeAdvert(to: neighbours.ids[i], effects: &effects)
        }
    }

    /// Every `treeAdvertInterval`, every neighbour hears this node's place again: a lost
    /// advert, GRAFT or PRUNE is corrected within one interval.
    mutating func refreshTreeAdverts(at now: Instant, effects: inout [MeshEffect]) {
        let table = configuration.mode == .source ? fullRouteTable : []
        for i in neighbours.indices where neighbours.values[i].reachable {
            if table.isEmpty {
                sendTreeAdvert(to: neighbours.ids[i], effects: &effects)
            } else {
                sendRoutes(table, to: neighbours.ids[i], effects: &effects)
            }
        }
        treeAdvertDue = now + configuration.treeAdvertInterval
    }

    /// This node's place in the tree and, in source mode, its whole route table.
    mutating func sendFullAdvert(to peer: NodeID, effects: inout [MeshEffect]) {
        if configuration.mode == .source {
            sendRoutes(fullRouteTable, to: peer, effects: &effects)
        } else {
            sendTreeAdvert(to: peer, effects: &effects)
        }
    }

    mutating func sendTreeAdvert(to peer: NodeID, effects: inout [MeshEffect]) {
        counters.treeAdvertsSent += 1
        effects.append(.send(.treeAdvert(tree), to: peer))
    }
}
