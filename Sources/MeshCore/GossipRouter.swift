import DequeModule
import Wire

/// The gossip router of one node: a sans-IO state machine (DESIGN.md section 1).
///
/// Rules it keeps (PROTOCOL.md section 5):
/// - a message is delivered at most once per node: its ID enters the seen-cache before the
///   delivery effect, and the seen-cache is bounded by entries and age; once it lets a message
///   go, that message and every older one of its origin are refused (`ForgottenFloors`);
/// - a copy never travels more hops than its origin's TTL: a copy received with `ttl` 1 is
///   delivered but neither forwarded nor announced, and repairs carry the remaining TTL;
/// - every node within TTL hops of the origin (by the shortest path) is reached, whatever order
///   copies arrive in: a later copy with more TTL left is pushed on once more;
/// - nothing is sent to a peer the liveness core declared dead, and nothing is forwarded back
///   to the peer it came from;
/// - every queue is bounded, and a full queue is counted (`limitReached`), never grown.
/// Order: neighbours are kept sorted by node ID and caches iterate in insertion order, so the
/// effects for one input are the same in every process.
///
/// The file is split by concern: this one holds state, links, broadcast and push;
/// `GossipRouter+Repair.swift` announcements, digests and requests; `GossipRouter+Tree.swift`
/// the broadcast tree of tree mode.
public struct GossipRouter: Sendable {
    public let me: NodeID
    public let configuration: GossipConfiguration
    public internal(set) var counters = GossipCounters()

    struct Neighbour: Sendable {
        /// False while the liveness core holds the peer dead.
        var reachable = true
        /// Announcements waiting for the next lazy flush (tree mode).
        var pending: [Announcement] = []
        /// Tree mode: the neighbour's place in the tree, as it last told us.
        var advert: TreeAdvert?
        /// Tree mode: the neighbour has this node as its parent (advert or GRAFT said so).
        var isChild = false
        /// Source mode: the neighbour's routes, as it last advertised them (`GossipRouter+Routes.swift`).
        var offers: [NodeID: Offer] = [:]
    }

    struct Holder: Sendable {
        var peer: NodeID
        var hops: UInt32
    }

    struct Stored: Sendable {
        /// The copy as this node sends it on: TTL already decremented, hops incremented.
        var onward: GossipFrame
        /// Neighbours known to have the message, with the hops of their copy: not announced
        /// to, and pushed to again only when our copy would reach further than theirs.
        var holders: [Holder]
    }

    struct Missing: Sendable {
        /// Peers that announced the message, with the hops of their copy.
        var announcers: [Holder]
        var asked: [NodeID] = []
        var deadline: Instant
    }

    /// Payloads offered in digests only while young (see `init`).
    let repairedElsewhere: @Sendable ([UInt8]) -> Bool
    var neighbours = PeerTable<Neighbour>()
    /// Announcements waiting in all neighbours' queues.
    var pendingTotal = 0
    struct Seen: Sendable {
        /// Hops of the best copy this node has had (0 for a copy refused as forgotten).
        var hops: UInt32
        var origin: NodeID
        var seq: UInt64
    }

    /// Message ID → the best copy this node has had, and whose it was.
    var seen: AgedCache<MessageID, Seen>
    /// What the seen-cache let go, per origin.
    var forgotten: ForgottenFloors
    var store: AgedCache<MessageID, Stored>
    var missing: [MessageID: Missing] = [:]
    /// Deadlines of `missing`, in the order they fall due (all are `now + announcementWait`).
    var missingQueue: Deque<(deadline: Instant, id: MessageID)> = []
    var nextSeq: UInt64
    /// Messages whose reach grew, to be pushed on once their holders are known (FIFO by due time).
    var extensions: Deque<(due: Instant, id: MessageID, from: NodeID)> = []
    var lazyDue: Instant?
    var repairDue: Instant?
    /// Tree mode: this node's place in the tree and when it next re-advertises it.
    var tree: TreeAdvert
    var treeAdvertDue: Instant?
    /// Source mode: this node's route to each origin it knows, and the origins whose route
    /// changed since the last flush (in the order they changed), flushed at `routeFlushDue`.
    var routes: [NodeID: Route] = [:]
    var dirtyRoutes = Set<NodeID>()
    var dirtyRouteOrder: [NodeID] = []
    var routeFlushDue: Instant?

    /// - Parameters:
    ///   - nextBroadcastSeq: the persisted sequence counter, so a restarted node never reuses an ID.
    ///   - restoredMessages: messages persisted before a restart (`PersistRecord.message`), oldest
    ///     first: they stay duplicates, and those that may travel on are served to peers again.
    ///   - restoredFloors: forgotten floors persisted before a restart (`PersistRecord.forgottenFloor`),
    ///     with their age: they refuse what is older than the restored messages.
    ///   - repairedElsewhere: true for payloads another layer repairs: they are delivered,
    ///     forwarded and served on request as any other, but offered in digests only while
    ///     younger than `handOverAge`.
    public init(me: NodeID, configuration: GossipConfiguration, nextBroadcastSeq: UInt64 = 0,
                restoredMessages: [GossipFrame] = [], restoredFloors: [StoredFloor] = [], at now: Instant = .zero,
                repairedElsewhere: @escaping @Sendable (_ payload: [UInt8]) -> Bool = { _ in false }) {
        precondition((1...GossipConfiguration.maximumTTL).contains(configuration.ttl), "ttl must be 1...16")
        self.me = me
        self.repairedElsewhere = repairedElsewhere
        self.configuration = configuration
        self.nextSeq = nextBroadcastSeq
        self.tree = TreeAdvert(root: me, distance: 0, parent: nil)
        seen = AgedCache(capacity: configuration.seenCapacity, maxAge: configuration.seenMaxAge)
        forgotten = ForgottenFloors(capacity: configuration.forgottenOriginsCapacity,
                                    lifetime: configuration.forgottenFloorLifetime)
        forgotten.restore(restoredFloors.filter { $0.origin != me }, at: now)
        store = AgedCache(capacity: configuration.storeCapacity, maxAge: configuration.seenMaxAge)
        // Restored copies are stored as already past `handOverAge`: the gap a restart leaves
        // is anti-entropy's to fill (see `recentAnnouncements`), not a flood of old copies.
        let restoredAt = now - configuration.handOverAge
        for frame in restoredMessages.suffix(configuration.seenCapacity) {
            let id = frame.id
            seen.insert(id, Seen(hops: frame.hops, origin: frame.origin, seq: frame.seq), at: now)
            if frame.ttl >= 1 { store.insert(id, Stored(onward: frame, holders: []), at: restoredAt) }
        }
    }

    // MARK: Introspection (tests, invariants, metrics)

    public var seenCount: Int { seen.count }
    public var storedCount: Int { store.count }
    public var missingCount: Int { missing.count }
    public var pendingAnnouncementCount: Int { pendingTotal }
    public var neighbourIDs: [NodeID] { neighbours.ids }
    /// Neighbours not held dead, in node-ID order.
    public var reachableNeighbours: [NodeID] {
        neighbours.indices.filter { neighbours.values[$0].reachable }.map { neighbours.ids[$0] }
    }
    public func isReachable(_ peer: NodeID) -> Bool { neighbours[peer]?.reachable ?? false }
    public func hasSeen(_ id: MessageID) -> Bool { seen.contains(id) }
    /// Origins with a forgotten floor.
    public var forgottenOriginCount: Int { forgotten.count }
    /// The forgotten floors in force at `now`, in origin order, as a restart takes them back.
    public func forgottenFloors(at now: Instant) -> [StoredFloor] { forgotten.stored(at: now) }

    /// The earliest instant at which `timer` has work to do.
    public var nextDeadline: Instant? {
        var d = repairDue
        for t in [lazyDue, missingQueue.first?.deadline, treeAdvertDue, extensions.first?.due, routeFlushDue] {
            if let t { d = min(d ?? t, t) }
        }
        return d
    }

    // MARK: Links

    /// A link to `peer` came up (or came up again). Starts anti-entropy with it at once: it may
    /// have missed messages while the link was down.
    public mutating func linkUp(_ peer: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        guard peer != me else { return }
        if let i = neighbours.index(of: peer) {
            neighbours.values[i].reachable = true
        } else {
            guard neighbours.count < configuration.maxNeighbours else {
                counters.limitHits += 1
                effects.append(.limitReached(.neighbours))
                return
            }
            neighbours.insert(peer, Neighbour())
        }
        greet(peer, at: now, effects: &effects)
        if repairDue == nil { repairDue = now + configuration.repairInterval }
    }

    /// The link to `peer` is gone: it is no longer routed to.
    public mutating func linkDown(_ peer: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        guard let gone = neighbours.remove(peer) else { return }
        pendingTotal -= gone.pending.count
        chooseTreePosition(at: now, effects: &effects)
        dropRoutes(through: peer, at: now, effects: &effects)
    }

    /// The liveness core's verdict changed: a dead peer is skipped; one that comes back is
    /// greeted like a new link. Repeating a verdict changes nothing.
    public mutating func setReachable(_ peer: NodeID, _ reachable: Bool, at now: Instant, effects: inout [MeshEffect]) {
        guard let i = neighbours.index(of: peer), neighbours.values[i].reachable != reachable else { return }
        neighbours.values[i].reachable = reachable
        if reachable {
            greet(peer, at: now, effects: &effects)
        } else {
            pendingTotal -= neighbours.values[i].pending.count
            neighbours.values[i].pending.removeAll()
            neighbours.values[i].advert = nil
            neighbours.values[i].isChild = false
            neighbours.values[i].offers = [:]
            chooseTreePosition(at: now, effects: &effects)
            dropRoutes(through: peer, at: now, effects: &effects)
        }
    }

    /// A peer (re)joined: a digest, even an empty one, so what either side missed flows, and in
    /// tree mode this node's place in the tree.
    private mutating func greet(_ peer: NodeID, at now: Instant, effects: inout [MeshEffect]) {
        sendDigest(to: peer, evenIfEmpty: true, at: now, effects: &effects)
        if configuration.mode != .flood {
            sendFullAdvert(to: peer, effects: &effects)
            chooseTreePosition(at: now, effects: &effects)
        }
    }

    // MARK: Broadcast

    /// Broadcasts `payload` as a new message from this node.
    public mutating func broadcast(_ payload: [UInt8], at now: Instant, effects: inout [MeshEffect]) {
        guard payload.count <= configuration.maxPayloadBytes else {
            effects.append(.dropped(.payloadTooLarge, from: nil))
            return
        }
        let frame = GossipFrame(origin: me, seq: nextSeq, ttl: configuration.ttl, hops: 0, payload: payload)
        nextSeq += 1
        effects.append(.persist(.nextBroadcastSeq(nextSeq)))
        let id = frame.id
        counters.broadcastsOriginated += 1
        effects.append(.persist(.message(frame)))
        remember(id, Seen(hops: 0, origin: me, seq: frame.seq), at: now, effects: &effects)
        storeForRepair(id, Stored(onward: frame, holders: []), at: now, effects: &effects)
        push(frame, id: id, except: nil, at: now, effects: &effects)
    }

    // MARK: Receiving

    /// Handles one router message from `peer`. Liveness messages are not for the router.
    public mutating func receive(_ message: MeshMessage, from peer: NodeID, at now: Instant,
                                 effects: inout [MeshEffect]) {
        switch message {
        case let .gossip(frame): receiveGossip(frame, from: peer, at: now, effects: &effects)
        case let .iHave(entries): receiveAnnouncements(entries, from: peer, at: now, effects: &effects)
        case let .graft(ids): receiveGraft(ids, from: peer, effects: &effects)
        case .prune: receivePrune(from: peer)
        case let .want(ids): serve(ids, to: peer, effects: &effects)
        case let .digest(entries): receiveDigest(entries, from: peer, at: now, effects: &effects)
        case let .treeAdvert(advert): receiveTreeAdvert(advert, from: peer, at: now, effects: &effects)
        default: break
        }
    }

    private mutating func receiveGossip(_ frame: GossipFrame, from peer: NodeID, at now: Instant,
                                        effects: inout [MeshEffect]) {
        guard (1...GossipConfiguration.maximumTTL).contains(frame.ttl),
              frame.hops < GossipConfiguration.maximumTTL,
              frame.payload.count <= configuration.maxPayloadBytes else {
            counters.ttlDrops += 1
            effects.append(.dropped(frame.payload.count > configuration.maxPayloadBytes ? .payloadTooLarge : .ttlOutOfRange,
                                    from: peer))
            return
        }
        let id = frame.id
        let onward = GossipFrame(origin: frame.origin, seq: frame.seq, ttl: frame.ttl - 1, hops: frame.hops + 1,
                                 payload: frame.payload)
        if configuration.mode == .tree { checkTreeLink(pushedBy: peer, id: id, effects: &effects) }
        guard !seen.contains(id) else {
            counters.duplicatesDropped += 1
            addHolder(peer, of: id, hops: frame.hops)
            extendReach(onward, id: id, from: peer, at: now, effects: &effects)
            return
        }
        // Older than what the seen-cache already let go, or one of this node's own that came back.
        if forgotten.isForgotten(origin: frame.origin, seq: frame.seq, at: now) || (frame.origin == me && frame.seq < nextSeq) {
            // Older than what the seen-cache already let go: it may have been delivered here.
            // Remembered (hops 0: never a reason to push on), so announcements of it are not
            // answered with requests while its holders keep it.
            counters.duplicatesDropped += 1
            counters.forgottenRefused += 1
            remember(id, Seen(hops: 0, origin: frame.origin, seq: frame.seq), at: now, effects: &effects)
            missing.removeValue(forKey: id)
            return
        }
        remember(id, Seen(hops: onward.hops, origin: frame.origin, seq: frame.seq), at: now, effects: &effects)
        missing.removeValue(forKey: id)
        counters.delivered += 1
        effects.append(.persist(.message(onward)))
        effects.append(.deliver(Delivery(id: id, origin: frame.origin, payload: frame.payload, hops: onward.hops)))
        guard onward.ttl >= 1 else { return }
        storeForRepair(id, Stored(onward: onward, holders: [Holder(peer: peer, hops: frame.hops)]), at: now,
                       effects: &effects)
        push(onward, id: id, except: peer, at: now, effects: &effects)
    }

    /// The first copy of a message is not always the one that came the shortest way: a
    /// duplicate may have more TTL left than the copy that was delivered. Then it replaces the
    /// stored copy (it is not delivered again) and, one `lazyFlushInterval` later, is pushed on
    /// to the neighbours not known by then to hold as good a copy, so every node within TTL hops
    /// of the origin is reached whatever order copies arrive in. The wait lets the neighbours'
    /// own copies arrive first, which spares most of these pushes.
    private mutating func extendReach(_ onward: GossipFrame, id: MessageID, from peer: NodeID, at now: Instant,
                                      effects: inout [MeshEffect]) {
        guard onward.ttl >= 1, let hops = seen[id]?.hops, onward.hops < hops else { return }
        if store.contains(id) {
            store.update(id) { $0.onward = onward }
        } else {
            storeForRepair(id, Stored(onward: onward, holders: [Holder(peer: peer, hops: onward.hops - 1)]), at: now,
                           effects: &effects)
        }
        seen.update(id) { $0.hops = onward.hops }
        if extensions.count < configuration.storeCapacity {
            extensions.append((now + configuration.lazyFlushInterval, id, peer))
        } else {
            counters.limitHits += 1
            effects.append(.limitReached(.storedMessages))
        }
    }

    private mutating func pushExtensions(at now: Instant, effects: inout [MeshEffect]) {
        while let first = extensions.first, first.due <= now {
            extensions.removeFirst()
            guard let stored = store[first.id] else { continue }
            counters.reachExtensions += 1
            push(stored.onward, id: first.id, except: first.from, at: now, effects: &effects)
        }
    }

    // MARK: Timer

    /// Does whatever has fallen due: lazy announcements, requests for missing messages, tree
    /// adverts, the periodic digest and cache expiry.
    public mutating func timer<R: RandomNumberGenerator>(at now: Instant, using rng: inout R,
                                                         effects: inout [MeshEffect]) {
        if let first = extensions.first, first.due <= now { pushExtensions(at: now, effects: &effects) }
        if let due = lazyDue, due <= now { flushAnnouncements(effects: &effects) }
        if let first = missingQueue.first, first.deadline <= now { requestMissing(at: now, effects: &effects) }
        if let due = routeFlushDue, due <= now { flushRoutes(effects: &effects) }
        if let due = treeAdvertDue, due <= now { refreshTreeAdverts(at: now, effects: &effects) }
        if let due = repairDue, due <= now {
            var gone: [Seen] = []
            seen.expire(at: now) { _, g in gone.append(g) }
            for g in gone { noteForgotten(g, at: now, effects: &effects) }
            store.expire(at: now)
            let reachable = neighbours.indices.filter { neighbours.values[$0].reachable }.map { neighbours.ids[$0] }
            if let peer = reachable.randomElement(using: &rng) { sendDigest(to: peer, evenIfEmpty: false, at: now, effects: &effects) }
            repairDue = now + configuration.repairInterval
        }
    }

    // MARK: Push

    /// Sends `frame` on: flood to every reachable neighbour; tree mode to the tree neighbours,
    /// with announcements queued for the others; source mode to the neighbours whose parent
    /// toward the origin is this node, announcing nothing (digests repair). Never back to
    /// `except` or to the origin, nor to a holder whose own copy reaches at least as far.
    mutating func push(_ frame: GossipFrame, id: MessageID, except: NodeID?, at now: Instant,
                       effects: inout [MeshEffect]) {
        let holders = store[id]?.holders ?? []
        for i in neighbours.indices {
            let peer = neighbours.ids[i]
            guard peer != except && peer != frame.origin && neighbours.values[i].reachable else { continue }
            if holders.contains(where: { $0.peer == peer && $0.hops <= frame.hops + 1 }) { continue }
            let eager: Bool
            switch configuration.mode {
            case .flood: eager = true
            case .tree: eager = isTreeNeighbour(at: i)
            case .source: eager = isSourceChild(at: i, origin: frame.origin)
            }
            if eager {
                counters.payloadCopiesSent += 1
                effects.append(.send(.gossip(frame), to: peer))
            } else if configuration.mode == .tree {
                guard neighbours.values[i].pending.count < configuration.pendingAnnouncementsPerPeer else {
                    counters.limitHits += 1
                    effects.append(.limitReached(.pendingAnnouncements))
                    continue
                }
                neighbours.values[i].pending.append(Announcement(id: id, hops: frame.hops))
                pendingTotal += 1
                if lazyDue == nil { lazyDue = now + configuration.lazyFlushInterval }
            }
        }
    }

    // MARK: Bookkeeping

    mutating func remember(_ id: MessageID, _ entry: Seen, at now: Instant, effects: inout [MeshEffect]) {
        let before = seen.evictedForCapacity
        // Entries that aged out raise floors; entries evicted to make room do not.
        var gone: [Seen] = []
        seen.expire(at: now) { _, g in gone.append(g) }
        for g in gone { noteForgotten(g, at: now, effects: &effects) }
        seen.insert(id, entry, at: now)
        if seen.evictedForCapacity > before {
            counters.limitHits += 1
            effects.append(.limitReached(.seenCacheEntries))
        }
    }

    /// A seen-cache entry aged out: its origin's floor rises to it, and the rise is persisted so
    /// a restart keeps refusing what the node forgot before it.
    mutating func noteForgotten(_ entry: Seen, at now: Instant, effects: inout [MeshEffect]) {
        guard entry.origin != me else { return }
        switch forgotten.forgot(origin: entry.origin, seq: entry.seq, at: now) {
        case .raised:
            effects.append(.persist(.forgottenFloor(origin: entry.origin, seq: entry.seq)))
        case .unchanged:
            break
        case .untracked:
            counters.limitHits += 1
            effects.append(.limitReached(.forgottenOrigins))
        }
    }

    mutating func storeForRepair(_ id: MessageID, _ stored: Stored, at now: Instant, effects: inout [MeshEffect]) {
        let before = store.evictedForCapacity
        store.insert(id, stored, at: now)
        if store.evictedForCapacity > before {
            counters.limitHits += 1
            effects.append(.limitReached(.storedMessages))
        }
    }

    mutating func addHolder(_ peer: NodeID, of id: MessageID, hops: UInt32) {
        let limit = configuration.maxNeighbours
        store.update(id) { s in
            if let i = s.holders.firstIndex(where: { $0.peer == peer }) {
                s.holders[i].hops = min(s.holders[i].hops, hops)
            } else if s.holders.count < limit {
                s.holders.append(Holder(peer: peer, hops: hops))
            }
        }
    }
}
