import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Issue 15, item 4: an op waiting behind a sequence gap is let go on the replication timer
/// once it has waited longer than the replica's `maxHeldAgeMs`, with no other op arriving.
@Suite struct HeldOpExpiryTests {
    let wall: UInt64 = 1_800_000_000_000

    @Test func heldOpsExpireOnTheTimerAndComeBackBySync() {
        var a = Replication(keyPair: identity(20), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = a.createTeam(name: "crew", nonce: [9], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { Issue.record("no team"); return }
        for i in 0..<3 {
            _ = a.write(.renameTeam(name: "crew \(i)"), team: genesis.id, wallMs: wall + UInt64(i), broadcasts: &broadcasts, effects: &effects)
        }
        var b = Replication(keyPair: identity(21), configuration: ReplicationConfiguration())
        var rng = SystemRandomNumberGenerator()
        _ = b.receiveBroadcast(broadcasts[0], wallMs: wall, effects: &effects)
        // The first rename is lost: the next two wait behind the gap.
        for op in broadcasts[2...] { _ = b.receiveBroadcast(op, wallMs: wall, effects: &effects) }
        #expect(b.replica(genesis.id)?.heldOpCount == 2)
        let age = TeamReplica.Limits().maxHeldAgeMs
        b.timer(at: .zero, reachable: [], wallMs: wall + age, using: &rng, effects: &effects)
        #expect(b.replica(genesis.id)?.heldOpCount == 2, "not older than the limit yet")
        b.timer(at: .zero, reachable: [], wallMs: wall + age + 1, using: &rng, effects: &effects)
        #expect(b.replica(genesis.id)?.heldOpCount == 0)
        #expect(b.counters.heldExpired == 2)
        // Sync brings all three, in order.
        for op in broadcasts[1...] { _ = b.receiveBroadcast(op, wallMs: wall + age + 2, effects: &effects) }
        #expect(b.replica(genesis.id)?.state.name.value == "crew 2")
    }
}

/// A stranger's ops waiting apart expire on the timer too, with no op held behind a gap.
@Suite struct StrangerExpiryTests {
    @Test func strangersOpsExpireOnTheTimer() {
        let wall: UInt64 = 1_800_000_000_000
        var a = Replication(keyPair: identity(40), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = a.createTeam(name: "crew", nonce: [4], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { Issue.record("no team"); return }
        var stranger = OpAuthor(keyPair: identity(41))
        let op = stranger.write(.renameTeam(name: "junk"), in: a.replica(genesis.id)!, wallMs: wall)
        _ = a.receiveBroadcast(GossipPayloadCoding.encode(op), wallMs: wall, effects: &effects)
        #expect(a.replica(genesis.id)?.strangerOpCount == 1 && a.replica(genesis.id)?.heldOpCount == 0)
        var rng = SystemRandomNumberGenerator()
        a.timer(at: .zero, reachable: [], wallMs: wall + TeamReplica.Limits().maxHeldAgeMs + 1, using: &rng, effects: &effects)
        #expect(a.replica(genesis.id)?.strangerOpCount == 0)
    }
}

/// A member whose only reachable neighbours are relays (non-members) pulls from one of them on
/// the periodic sync: before, it pulled only from members, and a fresh seed of team-pairing
/// (1015758980) left a restarted member without the ops its one relay neighbour held.
@Suite struct RelayOnlySyncTests {
    @Test func aMemberWithOnlyRelaysAroundPullsFromOne() {
        let wall: UInt64 = 1_800_000_000_000
        var a = Replication(keyPair: identity(30), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case .applied = a.createTeam(name: "crew", nonce: [3], wallMs: wall, broadcasts: &broadcasts, effects: &effects)
        else { Issue.record("no team"); return }
        let relay = NodeID(publicKey: identity(31).publicKey)
        var rng = SeededGenerator(seed: 7)
        var up: [MeshEffect] = []
        a.peerUp(relay, at: .zero, effects: &up)
        #expect(up.sent(to: relay).isEmpty, "a relay's link coming up starts no pull")
        var out: [MeshEffect] = []
        a.timer(at: .zero + ReplicationConfiguration().syncInterval, reachable: [relay], wallMs: wall, using: &rng, effects: &out)
        #expect(out.sent(to: relay).contains { if case .syncVector(_, _, true) = $0 { true } else { false } }, "\(out)")
    }
}
