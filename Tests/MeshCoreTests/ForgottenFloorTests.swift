import Testing
import Wire
@testable import MeshCore

/// A message that comes back after the seen-cache let it go is not delivered again (issue 15,
/// "no duplicate delivery"): its origin's floor refuses it, and every older one of that origin.
@Suite struct ForgottenFloorTests {
    let a = node(1), b = node(2), c = node(3), origin = node(9)

    func frame(_ seq: UInt64, from o: NodeID? = nil) -> GossipFrame { floorTestFrame(seq, origin: o ?? origin) }

    func receive(_ r: inout GossipRouter, _ f: GossipFrame, from peer: NodeID, at ms: Int64) -> [MeshEffect] {
        deliverAfterTimer(&r, f, from: peer, at: ms)
    }

    @Test func aCopyThatComesBackAfterTheCacheForgotItIsNotDeliveredAgain() {
        var r = router(a, neighbours: [b, c])
        #expect(receive(&r, frame(5), from: b, at: 1_000).deliveries.count == 1)
        // Two minutes later the seen-cache lets it go; c, which stored it later, offers it back.
        let back = receive(&r, frame(5), from: c, at: 1_000 + 121_000)
        #expect(back.deliveries.isEmpty)
        #expect(back.gossipFrames.isEmpty, "not pushed on either")
        #expect(r.counters.forgottenRefused == 1)
        // An older message of the same origin is refused too; a newer one is delivered.
        #expect(receive(&r, frame(3), from: c, at: 123_000).deliveries.isEmpty)
        #expect(receive(&r, frame(6), from: c, at: 124_000).deliveries.count == 1)
        // Another origin is not affected.
        #expect(receive(&r, frame(1, from: node(8)), from: c, at: 125_000).deliveries.count == 1)
    }

    @Test func aRefusedCopyIsRememberedSoAnnouncementsOfItAreNotRequested() {
        var r = router(a, neighbours: [b, c])
        _ = receive(&r, frame(5), from: b, at: 1_000)
        _ = receive(&r, frame(5), from: c, at: 130_000)
        #expect(r.hasSeen(frame(5).id))
        var effects: [MeshEffect] = []
        r.receive(.digest([Announcement(id: frame(5).id, hops: 1)]), from: c, at: .ms(130_500), effects: &effects)
        var rng = SeededGenerator(seed: 1)
        r.timer(at: .ms(131_000), using: &rng, effects: &effects)
        #expect(!effects.contains { if case .send(.want, _) = $0 { return true } else { return false } })
    }

    @Test func evictionForRoomRaisesNoFloor() {
        var r = router(a, neighbours: [b]) { $0.seenCapacity = 2 }
        for seq in 0..<3 as Range<UInt64> { _ = receive(&r, frame(seq), from: b, at: Int64(seq)) }
        // seq 0 left to make room, seconds after it came: a flood must not turn it into a floor.
        #expect(r.forgottenOriginCount == 0)
        #expect(receive(&r, frame(0), from: b, at: 10).deliveries.count == 1)
    }

    /// Frames' origin and seq are not signed: a forged `seq = UInt64.max` (or an origin whose
    /// counter went back) silences that origin only for the floor's lifetime, 2 × the seen-cache's.
    @Test func aFloorLastsTwiceTheSeenCachesLifetimeAfterItsLastRise() {
        var r = router(a, neighbours: [b, c])
        _ = receive(&r, frame(.max), from: b, at: 0)
        _ = receive(&r, frame(.max), from: b, at: 121_000)  // aged out: the floor is max
        #expect(receive(&r, frame(7), from: c, at: 130_000).deliveries.isEmpty)
        #expect(receive(&r, frame(8), from: c, at: 121_000 + 239_000).deliveries.isEmpty)
        #expect(receive(&r, frame(9), from: c, at: 121_000 + 241_000).deliveries.count == 1, "the floor is gone")
    }

    @Test func theOriginTableIsBoundedAndItsLimitCounted() {
        var r = router(a, neighbours: [b]) { $0.forgottenOriginsCapacity = 2 }
        var effects: [MeshEffect] = []
        for o in 10..<15 as Range<UInt8> { effects += receive(&r, frame(0, from: node(o)), from: b, at: Int64(o)) }
        effects += receive(&r, frame(1), from: b, at: 121_000)  // the five age out together
        #expect(r.forgottenOriginCount == 2)
        #expect(effects.filter { $0 == .limitReached(.forgottenOrigins) }.count == 3)
        // Once their lifetime is over, old floors make room for new ones.
        effects = receive(&r, frame(0, from: node(20)), from: b, at: 122_000)
        effects += receive(&r, frame(5), from: b, at: 121_000 + 250_000)
        #expect(!effects.contains(.limitReached(.forgottenOrigins)))
    }

    @Test func ownBroadcastsThatComeBackAreNotDelivered() {
        var r = router(a, neighbours: [b])
        var effects: [MeshEffect] = []
        r.broadcast([1], at: .ms(0), effects: &effects)
        let own = GossipFrame(origin: a, seq: 0, ttl: 4, hops: 3, payload: [1])
        #expect(receive(&r, own, from: b, at: 200_000).deliveries.isEmpty)
    }

    @Test func ownBroadcastsNeedNoFloor() {
        var r = router(a, neighbours: [b]) { $0.seenCapacity = 1 }
        var effects: [MeshEffect] = []
        r.broadcast([1], at: .ms(0), effects: &effects)
        r.broadcast([2], at: .ms(1), effects: &effects)
        #expect(r.forgottenOriginCount == 0)
    }
}
