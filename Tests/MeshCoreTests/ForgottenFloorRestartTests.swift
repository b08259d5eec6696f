import Testing
import Wire
@testable import MeshCore

/// Forgotten floors survive a restart (issue 15, item 6, "across restarts too"): every rise is
/// persisted, a restart takes the floors back with the time they have left, and messages that
/// turned older than the seen-cache while the node was down raise their floors then.
@Suite struct ForgottenFloorRestartTests {
    let a = node(1), b = node(2), c = node(3), origin = node(9)

    func frame(_ seq: UInt64, from o: NodeID? = nil) -> GossipFrame { floorTestFrame(seq, origin: o ?? origin) }

    func receive(_ r: inout GossipRouter, _ f: GossipFrame, from peer: NodeID, at ms: Int64) -> [MeshEffect] {
        deliverAfterTimer(&r, f, from: peer, at: ms)
    }

    func floorsPersisted(_ effects: [MeshEffect]) -> [PersistRecord] {
        effects.compactMap { if case let .persist(r) = $0, case .forgottenFloor = r { r } else { nil } }
    }

    /// A restarted router: its neighbours linked, `floors` restored, at `ms`.
    func restarted(floors: [StoredFloor], at ms: Int64) -> GossipRouter {
        var r = GossipRouter(me: a, configuration: GossipConfiguration(), restoredFloors: floors, at: .ms(ms))
        var ignored: [MeshEffect] = []
        for n in [b, c] { r.linkUp(n, at: .ms(ms), effects: &ignored) }
        return r
    }

    @Test func aRiseIsPersistedOnceAndOnlyWhenTheFloorRises() {
        var r = router(a, neighbours: [b, c])
        _ = receive(&r, frame(5), from: b, at: 1_000)
        _ = receive(&r, frame(4), from: b, at: 2_000)
        let first = receive(&r, frame(6), from: b, at: 121_500)  // seq 5 ages out: the floor is 5
        #expect(floorsPersisted(first) == [.forgottenFloor(origin: origin, seq: 5)])
        let second = receive(&r, frame(7), from: b, at: 122_500)  // seq 4 ages out: below the floor
        #expect(floorsPersisted(second).isEmpty)
        #expect(r.forgottenFloors(at: .ms(122_500)) == [StoredFloor(origin: origin, seq: 5, age: .milliseconds(1_000))])
    }

    @Test func floorsExportedAndImportedRefuseWhatTheyRefusedBefore() {
        var r = router(a, neighbours: [b, c])
        _ = receive(&r, frame(5), from: b, at: 1_000)
        _ = receive(&r, frame(1, from: node(8)), from: b, at: 1_000)
        _ = receive(&r, frame(9, from: node(7)), from: b, at: 100_000)
        _ = receive(&r, frame(9, from: node(7)), from: b, at: 122_000)  // 5 and node 8's 1 age out
        let exported = r.forgottenFloors(at: .ms(130_000))
        #expect(exported.map(\.origin) == [node(8), origin], "in origin order, only what aged out")
        // The process restarts; its monotonic clock starts again from zero.
        var again = restarted(floors: exported, at: 0)
        #expect(receive(&again, frame(5), from: c, at: 1_000).deliveries.isEmpty)
        #expect(receive(&again, frame(4), from: c, at: 1_000).deliveries.isEmpty)
        #expect(receive(&again, frame(1, from: node(8)), from: c, at: 1_000).deliveries.isEmpty)
        #expect(again.counters.forgottenRefused == 3)
        #expect(receive(&again, frame(6), from: c, at: 1_000).deliveries.count == 1, "newer messages pass")
        // Without the floors, the restarted router delivered it a second time.
        var bare = restarted(floors: [], at: 0)
        #expect(receive(&bare, frame(5), from: c, at: 1_000).deliveries.count == 1)
    }

    /// The lifetime counts from the last rise, not from the restart: a floor raised 200 s
    /// before the restart has 40 s left (240 s in all).
    @Test func aRestoredFloorKeepsOnlyTheLifetimeItHadLeft() {
        var r = restarted(floors: [StoredFloor(origin: origin, seq: 5, age: .seconds(200))], at: 0)
        #expect(receive(&r, frame(5), from: c, at: 39_000).deliveries.isEmpty)
        #expect(receive(&r, frame(4), from: c, at: 41_000).deliveries.count == 1, "the floor's lifetime is over")
        let expired = restarted(floors: [StoredFloor(origin: origin, seq: 5, age: .seconds(240))], at: 0)
        #expect(expired.forgottenOriginCount == 0)
    }

    /// Wall-clock times read back: a clock that went back since the rise gives age 0 (the floor
    /// lasts its lifetime from the restart, never more); one that jumped forward ages it.
    @Test func wallClockJumpsNeverLengthenAFloor() {
        #expect(StoredFloor(origin: origin, seq: 1, raisedAtMs: 50_000, nowMs: 10_000).age == .zero)
        #expect(StoredFloor(origin: origin, seq: 1, raisedAtMs: 10_000, nowMs: 50_000).age == .seconds(40))
        #expect(StoredFloor(origin: origin, seq: 1, raisedAtMs: 0, nowMs: .max).age > .seconds(240))
        var r = restarted(floors: [StoredFloor(origin: origin, seq: 5, raisedAtMs: 50_000, nowMs: 10_000)], at: 0)
        #expect(receive(&r, frame(5), from: c, at: 239_000).deliveries.isEmpty)
        #expect(receive(&r, frame(4), from: c, at: 241_000).deliveries.count == 1)
    }

    /// A message whose seen-cache entry aged out while the node was down left no floor: its
    /// persisted copy raises one at the restart, dated when it turned `seenMaxAge` old.
    @Test func aMessageThatAgedOutWhileTheNodeWasDownRaisesItsFloorAtTheRestart() {
        let young = StoredFloor(agedOut: frame(5), storedAtMs: 100_000, nowMs: 150_000, seenMaxAge: .seconds(120))
        #expect(young == nil, "younger than the seen-cache: restored as seen instead")
        let old = StoredFloor(agedOut: frame(5), storedAtMs: 100_000, nowMs: 250_000, seenMaxAge: .seconds(120))
        #expect(old == StoredFloor(origin: origin, seq: 5, age: .seconds(30)))
        var r = restarted(floors: [old!], at: 0)
        #expect(receive(&r, frame(5), from: c, at: 1_000).deliveries.isEmpty)
        var later = restarted(floors: [old!], at: 0)
        #expect(receive(&later, frame(5), from: c, at: 211_000).deliveries.count == 1, "240 s after it aged out")
    }

    @Test func restoredFloorsAreBoundedAndTheYoungestKept() {
        var config = GossipConfiguration()
        config.forgottenOriginsCapacity = 2
        let stored = (10..<15 as Range<UInt8>).map { StoredFloor(origin: node($0), seq: 1, age: .seconds(Int64($0))) }
        let r = GossipRouter(me: a, configuration: config, restoredFloors: stored.reversed(), at: .zero)
        #expect(r.forgottenFloors(at: .zero).map(\.origin) == [node(10), node(11)])
        // Two rows for one origin: the higher floor, the later rise.
        let merged = GossipRouter(me: a, configuration: config, restoredFloors: [
            StoredFloor(origin: origin, seq: 3, age: .seconds(10)), StoredFloor(origin: origin, seq: 7, age: .seconds(100))], at: .zero)
        #expect(merged.forgottenFloors(at: .zero) == [StoredFloor(origin: origin, seq: 7, age: .seconds(10))])
        // The node's own origin needs no floor (its counter refuses its own old broadcasts).
        let own = GossipRouter(me: a, configuration: config, restoredFloors: [StoredFloor(origin: a, seq: 3, age: .zero)], at: .zero)
        #expect(own.forgottenOriginCount == 0)
    }
}
