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
