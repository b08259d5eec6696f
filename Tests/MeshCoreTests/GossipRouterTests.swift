import Replicas
import Testing
import Wire
@testable import MeshCore

@Suite struct FloodTests {
    let a = node(1), b = node(2), c = node(3), d = node(4)

    @Test func newMessageIsDeliveredOnceAndForwardedToAllButSenderAndOrigin() {
        var r = router(a, neighbours: [b, c, d])
        let frame = GossipFrame(origin: d, seq: 0, ttl: 8, hops: 0, payload: [42])
        var effects: [MeshEffect] = []
        r.receive(.gossip(frame), from: b, at: .ms(1), effects: &effects)
        #expect(effects.deliveries.map(\.payload) == [[42]])
        #expect(effects.deliveries.first?.hops == 1)
        // Forwarded to c only: b sent it, d is its origin.
        let forwarded = effects.gossipFrames
        #expect(forwarded.map(\.1) == [c])
        #expect(forwarded.first?.0.ttl == 7)
        #expect(forwarded.first?.0.hops == 1)

        var again: [MeshEffect] = []
        r.receive(.gossip(frame), from: c, at: .ms(2), effects: &again)
        #expect(again.deliveries.isEmpty)
        #expect(again.gossipFrames.isEmpty)
        #expect(r.counters.duplicatesDropped == 1)
    }

    @Test func copyWithTTLOneIsDeliveredButNotForwarded() {
        var r = router(a, neighbours: [b, c])
        var effects: [MeshEffect] = []
        r.receive(.gossip(GossipFrame(origin: d, seq: 0, ttl: 1, hops: 7, payload: [1])), from: b, at: .ms(1), effects: &effects)
        #expect(effects.deliveries.count == 1)
        #expect(effects.deliveries.first?.hops == 8)
        #expect(effects.gossipFrames.isEmpty)
        #expect(r.storedCount == 0, "a copy that cannot travel on is not kept for repair")
    }

    /// A copy that came with its last hop is not kept, so nodes behind this one would miss the
    /// message if the better copy pushed here was lost: an announcement of a copy from nearer
    /// the origin is asked for at once (PROTOCOL.md §5.5), a worse one is not.
    @Test func aCopyWithNoHopsLeftAsksForABetterOneItHearsOf() {
        var r = router(a, neighbours: [b, c])
        let frame = GossipFrame(origin: d, seq: 0, ttl: 1, hops: 7, payload: [1])
        var effects: [MeshEffect] = []
        r.receive(.gossip(frame), from: b, at: .ms(1), effects: &effects)
        #expect(r.storedCount == 0)
        var worse: [MeshEffect] = []
        r.receive(.iHave([Announcement(id: frame.id, hops: 7)]), from: c, at: .ms(2), effects: &worse)
        #expect(worse.sent.isEmpty && r.counters.reachPulls == 0)
        var better: [MeshEffect] = []
        r.receive(.iHave([Announcement(id: frame.id, hops: 2)]), from: c, at: .ms(3), effects: &better)
        #expect(better.sent(to: c) == [.want([frame.id])])
        #expect(r.counters.reachPulls == 1)
    }

    @Test func ttlOutOfRangeIsDroppedWithItsReason() {
        var r = router(a, neighbours: [b])
        for ttl: UInt32 in [0, 17, 1000] {
            var effects: [MeshEffect] = []
            r.receive(.gossip(GossipFrame(origin: d, seq: UInt64(ttl), ttl: ttl, hops: 0, payload: [])), from: b, at: .ms(1), effects: &effects)
            #expect(effects == [.dropped(.ttlOutOfRange, from: b)])
        }
        #expect(r.counters.ttlDrops == 3)
    }

    @Test func broadcastUsesConfiguredTTLAndNewIDs() {
        var r = router(a, neighbours: [b, c]) { $0.ttl = 5 }
        var effects: [MeshEffect] = []
        r.broadcast([7], at: .ms(1), effects: &effects)
        r.broadcast([7], at: .ms(2), effects: &effects)
        let frames = effects.gossipFrames
        #expect(frames.count == 4)
        #expect(frames.allSatisfy { $0.0.ttl == 5 && $0.0.hops == 0 && $0.0.origin == a })
        #expect(frames[0].0.id != frames[2].0.id, "the same payload twice gives two messages")
        #expect(effects.contains(.persist(.nextBroadcastSeq(2))))
    }

    @Test func oversizedPayloadIsRefused() {
        var r = router(a, neighbours: [b]) { $0.maxPayloadBytes = 10 }
        var effects: [MeshEffect] = []
        r.broadcast([UInt8](repeating: 0, count: 11), at: .ms(1), effects: &effects)
        #expect(effects == [.dropped(.payloadTooLarge, from: nil)])
    }

    @Test func deadPeersAreNotSentTo() {
        var r = router(a, neighbours: [b, c])
        var effects: [MeshEffect] = []
        r.setReachable(c, false, at: .ms(1), effects: &effects)
        r.broadcast([1], at: .ms(2), effects: &effects)
        #expect(effects.gossipFrames.map(\.1) == [b])
    }

    @Test func restartedRouterStillKnowsWhatItDelivered() {
        let frame = GossipFrame(origin: d, seq: 0, ttl: 8, hops: 0, payload: [1])
        var before = router(a, neighbours: [b])
        var first: [MeshEffect] = []
        before.receive(.gossip(frame), from: b, at: .ms(1), effects: &first)
        let persisted = first.compactMap { if case let .persist(.message(f)) = $0 { f } else { nil } }
        #expect(persisted.map(\.ttl) == [7])

        var r = GossipRouter(me: a, configuration: GossipConfiguration(), restoredMessages: persisted)
        var effects: [MeshEffect] = []
        r.linkUp(c, at: .zero, effects: &effects)
        r.receive(.gossip(frame), from: c, at: .ms(1), effects: &effects)
        #expect(effects.deliveries.isEmpty)
        // And it can still repair a peer that missed the message.
        var served: [MeshEffect] = []
        r.receive(.want([frame.id]), from: c, at: .ms(2), effects: &served)
        #expect(served.gossipFrames.map(\.0.ttl) == [7])
    }
}

@Suite struct SeenCacheTests {
    @Test func boundedByEntriesWithTheLimitCounted() {
        var r = router(node(1), neighbours: [node(2)]) { $0.seenCapacity = 3 }
        var effects: [MeshEffect] = []
        for seq in 0..<5 as Range<UInt64> {
            r.receive(.gossip(GossipFrame(origin: node(9), seq: seq, ttl: 2, hops: 0, payload: [])), from: node(2),
                      at: .ms(Int64(seq)), effects: &effects)
        }
        #expect(r.seenCount == 3)
        #expect(effects.filter { $0 == .limitReached(.seenCacheEntries) }.count == 2)
    }

    @Test func boundedByAge() {
        var cache = AgedCache<Int, String>(capacity: 10, maxAge: .seconds(2))
        cache.insert(1, "a", at: .ms(0))
        cache.insert(2, "b", at: .ms(1500))
        cache.expire(at: .ms(2000))
        #expect(!cache.contains(1))
        #expect(cache[2] == "b")
        #expect(cache.evictedForAge == 1)
        #expect(cache.nextExpiry == .ms(3500))
        #expect(cache.newestFirst(limit: 5).map(\.key) == [2])
    }
}

@Suite struct TreeTests {
    let a = node(1), b = node(2), c = node(3), d = node(4)

    /// Feeds `advert` from `peer` and returns the effects.
    func advertise(_ r: inout GossipRouter, _ advert: TreeAdvert, from peer: NodeID, at t: Int64 = 1) -> [MeshEffect] {
        var effects: [MeshEffect] = []
        r.receive(.treeAdvert(advert), from: peer, at: .ms(t), effects: &effects)
        return effects
    }

    @Test func followsTheSmallestRootThroughTheClosestNeighbour() {
        var r = router(d, neighbours: [b, c], mode: .tree)
        #expect(r.treePosition == TreeAdvert(root: d, distance: 0, parent: nil))
        _ = advertise(&r, TreeAdvert(root: a, distance: 3, parent: node(9)), from: c)
        #expect(r.treePosition == TreeAdvert(root: a, distance: 4, parent: c))
        let effects = advertise(&r, TreeAdvert(root: a, distance: 1, parent: a), from: b)
        #expect(r.treePosition == TreeAdvert(root: a, distance: 2, parent: b))
        // The new parent is grafted, the old one pruned, and every neighbour told.
        #expect(effects.sent(to: b).contains(.graft([])))
        #expect(effects.sent(to: c).contains(.prune))
        #expect(effects.sent(to: c).contains(.treeAdvert(TreeAdvert(root: a, distance: 2, parent: b))))
        #expect(r.isEager(b) && !r.isEager(c))
    }

    @Test func anEqualRouteDoesNotMoveTheTree() {
        var r = router(d, neighbours: [b, c], mode: .tree)
        _ = advertise(&r, TreeAdvert(root: a, distance: 1, parent: a), from: c)
        let effects = advertise(&r, TreeAdvert(root: a, distance: 1, parent: a), from: b)
        #expect(r.treePosition.parent == c, "ties keep the current parent")
        // Only the answer to b's first advert goes out: no GRAFT, no PRUNE.
        #expect(effects.sent.map(\.0) == [.treeAdvert(TreeAdvert(root: a, distance: 2, parent: c))])
    }

    @Test func aChildIsPushedToAndANonTreeNeighbourGetsAnAnnouncement() {
        var r = router(b, neighbours: [a, c, d], mode: .tree)
        _ = advertise(&r, TreeAdvert(root: a, distance: 0, parent: nil), from: a)
        _ = advertise(&r, TreeAdvert(root: a, distance: 2, parent: b), from: c)
        _ = advertise(&r, TreeAdvert(root: a, distance: 1, parent: a), from: d)
        var effects: [MeshEffect] = []
        r.broadcast([5], at: .ms(10), effects: &effects)
        #expect(effects.gossipFrames.map(\.1) == [a, c], "parent a and child c; d is off the tree")
        var rng = SeededGenerator(seed: 1)
        var flush: [MeshEffect] = []
        r.timer(at: .ms(60), using: &rng, effects: &flush)
        guard case let .iHave(entries)? = flush.sent(to: d).first else {
            Issue.record("no IHAVE to the neighbour off the tree: \(flush)")
            return
        }
        #expect(entries.map(\.hops) == [0])
    }

    @Test func graftAndPruneSetTheChildLink() {
        var r = router(a, neighbours: [b], mode: .tree)
        #expect(!r.isEager(b))
        var effects: [MeshEffect] = []
        r.receive(.graft([]), from: b, at: .ms(1), effects: &effects)
        #expect(r.isEager(b))
        r.receive(.prune, from: b, at: .ms(2), effects: &effects)
        #expect(!r.isEager(b))
    }

    @Test func missingMessageIsRequestedFromTheClosestAnnouncerFirst() {
        var r = router(a, neighbours: [b, c], mode: .tree)
        let id = MessageID(high: 1, low: 2)
        var effects: [MeshEffect] = []
        r.receive(.iHave([Announcement(id: id, hops: 5)]), from: b, at: .ms(0), effects: &effects)
        r.receive(.iHave([Announcement(id: id, hops: 2)]), from: c, at: .ms(10), effects: &effects)
        #expect(effects.sent.isEmpty, "the push gets announcementWait to arrive first")
        var rng = SeededGenerator(seed: 1)
        var first: [MeshEffect] = []
        r.timer(at: .ms(250), using: &rng, effects: &first)
        #expect(first.sent(to: c) == [.want([id])])
        var second: [MeshEffect] = []
        r.timer(at: .ms(500), using: &rng, effects: &second)
        #expect(second.sent(to: b) == [.want([id])])
        var none: [MeshEffect] = []
        r.timer(at: .ms(750), using: &rng, effects: &none)
        #expect(none.sent.filter { if case .want = $0.0 { true } else { false } }.isEmpty)
        #expect(r.missingCount == 0)
    }

    @Test func deadParentIsReplaced() {
        var r = router(d, neighbours: [b, c], mode: .tree)
        _ = advertise(&r, TreeAdvert(root: a, distance: 1, parent: a), from: b)
        _ = advertise(&r, TreeAdvert(root: a, distance: 2, parent: node(9)), from: c)
        #expect(r.treePosition.parent == b)
        var effects: [MeshEffect] = []
        r.setReachable(b, false, at: .ms(5), effects: &effects)
        #expect(r.treePosition == TreeAdvert(root: a, distance: 3, parent: c))
        #expect(effects.sent(to: c).contains(.graft([])))
    }

    @Test func aStaleRootIsForgotten() {
        // x and y agree on the smaller ID as root; then that node hears a stale advert, as if
        // the other still followed a root that is gone. Poisoned reverse (a route through
        // oneself is ignored) lets the other refuse it, and its correction brings the tree back.
        var config = NodeCore.Configuration()
        config.gossip.mode = .tree
        var net = InstantNetwork(count: 2, links: [(0, 1)], configuration: config)
        let root = net.ids.min()!, other = net.ids.max()!
        #expect(net.cores[other]!.router.treePosition == TreeAdvert(root: root, distance: 1, parent: root))
        let ghost = NodeID(bytes: [UInt8](repeating: 0, count: 20))!
        net.run(root, .received(.treeAdvert(TreeAdvert(root: ghost, distance: 14, parent: node(9))), from: other))
        #expect(net.cores[root]!.router.treePosition == TreeAdvert(root: root, distance: 0, parent: nil))
        #expect(net.cores[other]!.router.treePosition == TreeAdvert(root: root, distance: 1, parent: root))
    }

    @Test func routesLongerThanTheLargestTTLAreIgnored() {
        var r = router(d, neighbours: [b], mode: .tree)
        _ = advertise(&r, TreeAdvert(root: a, distance: 16, parent: node(9)), from: b)
        #expect(r.treePosition.root == d)
        _ = advertise(&r, TreeAdvert(root: a, distance: 15, parent: node(9)), from: b)
        #expect(r.treePosition == TreeAdvert(root: a, distance: 16, parent: b))
    }
}

@Suite struct AntiEntropyTests {
    let a = node(1), b = node(2), c = node(3)

    @Test func linkUpSendsADigestAndTheGapIsRepaired() {
        var r = router(a, neighbours: [])
        var effects: [MeshEffect] = []
        r.broadcast([1], at: .ms(0), effects: &effects)
        effects.removeAll()
        r.linkUp(b, at: .ms(5), effects: &effects)
        guard case let .digest(entries)? = effects.sent(to: b).first, entries.count == 1 else {
            Issue.record("no digest on link up: \(effects)")
            return
        }
        let ids = entries.map(\.id)
        // b lacks it and asks; a serves it.
        var peer = router(b, neighbours: [a])
        var asked: [MeshEffect] = []
        peer.receive(.digest(entries), from: a, at: .ms(6), effects: &asked)
        #expect(asked.sent(to: a) == [.want(ids)])
        var served: [MeshEffect] = []
        r.receive(.want(ids), from: b, at: .ms(7), effects: &served)
        #expect(served.gossipFrames.count == 1)
        #expect(r.counters.repairCopiesSent == 1)
    }

    @Test func digestIsPushPull() {
        var r = router(a, neighbours: [b])
        var effects: [MeshEffect] = []
        r.broadcast([1], at: .ms(0), effects: &effects)
        effects.removeAll()
        r.receive(.digest([]), from: b, at: .ms(1), effects: &effects)
        guard case let .iHave(entries)? = effects.sent(to: b).first else {
            Issue.record("a digest without our message must be answered with IHAVE")
            return
        }
        #expect(entries.count == 1)
    }
}

/// Ops are repaired by replication's anti-entropy once they are older than `handOverAge`; the
/// router's digests offer them only while young, and everything else at any age.
@Suite struct HandOverTests {
    let a = node(1), b = node(2)
    /// Payloads starting with 0x0A are "repaired elsewhere" here, as a node's ops are.
    let opLike: [UInt8] = [0x0A, 1], noticeLike: [UInt8] = [0x12, 1]

    func handingOver(_ neighbours: [NodeID], restored: [GossipFrame] = [], at now: Instant = .zero) -> GossipRouter {
        var r = GossipRouter(me: a, configuration: GossipConfiguration(), restoredMessages: restored, at: now,
                             repairedElsewhere: { $0.first == 0x0A })
        var ignored: [MeshEffect] = []
        for n in neighbours { r.linkUp(n, at: now, effects: &ignored) }
        return r
    }

    func digest(_ effects: [MeshEffect], to peer: NodeID) -> [MessageID]? {
        for case let .digest(entries) in effects.sent(to: peer) { return entries.map(\.id) }
        return nil
    }

    @Test func opsAreOfferedWhileYoungAndOtherMessagesAtAnyAge() {
        var r = handingOver([])
        var effects: [MeshEffect] = []
        r.broadcast(opLike, at: .ms(0), effects: &effects)
        r.broadcast(noticeLike, at: .ms(0), effects: &effects)
        let frames = effects.compactMap { if case let .persist(.message(f)) = $0 { f } else { nil } }
        #expect(frames.count == 2)
        let (op, notice) = (frames[0].id, frames[1].id)

        var young: [MeshEffect] = []
        r.linkUp(b, at: .ms(2_999), effects: &young)
        #expect(Set(digest(young, to: b) ?? []) == [op, notice], "a lost copy of a young op is still repaired here")

        var old: [MeshEffect] = []
        r.receive(.digest([]), from: b, at: .ms(3_001), effects: &old)
        guard case let .iHave(entries)? = old.sent(to: b).first else {
            Issue.record("the notice must still be announced: \(old)")
            return
        }
        #expect(entries.map(\.id) == [notice], "an op older than handOverAge is left to anti-entropy")
        // Asked for by ID, the old op is still served: only offering it stops.
        var served: [MeshEffect] = []
        r.receive(.want([op]), from: b, at: .ms(3_002), effects: &served)
        #expect(served.gossipFrames.map(\.0.id) == [op])
    }

    @Test func restoredOpsAreNotOfferedAfterARestart() {
        let op = GossipFrame(origin: node(9), seq: 0, ttl: 7, hops: 1, payload: opLike)
        let notice = GossipFrame(origin: node(9), seq: 1, ttl: 7, hops: 1, payload: noticeLike)
        var r = handingOver([], restored: [op, notice], at: .ms(60_000))
        var effects: [MeshEffect] = []
        r.linkUp(b, at: .ms(60_000), effects: &effects)
        #expect(digest(effects, to: b) == [notice.id])
    }

    @Test func theNodesClassifierKnowsAnOpFromANotice() throws {
        let keys = identity(1)
        var author = OpAuthor(keyPair: keys)
        let genesis = author.createTeam(name: "crew", nonce: [1], wallMs: 1_800_000_000_000)
        #expect(GossipPayloadCoding.carriesOp(GossipPayloadCoding.encode(genesis)))
        #expect(!GossipPayloadCoding.carriesOp(GossipPayloadCoding.encode(notice: "hello")))
        #expect(!GossipPayloadCoding.carriesOp([]))
    }
}

@Suite struct MultiHopTests {
    @Test func messageFromAReachesCThroughB() {
        for mode in GossipConfiguration.Mode.allCases {
            var config = NodeCore.Configuration()
            config.gossip.mode = mode
            var net = InstantNetwork(count: 3, links: [(0, 1), (1, 2)], configuration: config)
            let (a, b, c) = (net.ids[0], net.ids[1], net.ids[2])
            net.run(a, .broadcast([1, 2, 3]))
            #expect(net.delivered[c]?.map(\.payload) == [[1, 2, 3]], "mode \(mode)")
            #expect(net.delivered[c]?.first?.hops == 2)
            #expect(net.delivered[c]?.first?.origin == a)
            #expect(net.delivered[b]?.count == 1)
        }
    }

    @Test func ttlBoundsTheHops() {
        var config = NodeCore.Configuration()
        config.gossip.ttl = 2
        var net = InstantNetwork(count: 5, links: [(0, 1), (1, 2), (2, 3), (3, 4)], configuration: config)
        net.run(net.ids[0], .broadcast([1]))
        #expect(net.delivered[net.ids[2]]?.count == 1)
        #expect(net.delivered[net.ids[3]] == nil, "three hops away with a TTL of two")
    }
}
