import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Issue 15, item 4: ops of a team this node does not hold yet wait for its creating op, but not
/// forever and not at the cost of later ones: they expire, and a full room lets the oldest go.
@Suite struct OrphanOpTests {
    let wall: UInt64 = 1_800_000_000_000

    /// A team made on `a`, with `count` renames after its creating op: (genesis, renames), as broadcast.
    func team(_ name: String, renames count: Int, nonce: UInt8) -> (genesis: [UInt8], ops: [[UInt8]]) {
        var a = Replication(keyPair: identity(Int(nonce) + 10), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = a.createTeam(name: name, nonce: [nonce], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { fatalError("no team") }
        for i in 0..<count {
            _ = a.write(.renameTeam(name: "\(name) \(i)"), team: genesis.id, wallMs: wall + UInt64(i), broadcasts: &broadcasts, effects: &effects)
        }
        return (broadcasts[0], Array(broadcasts.dropFirst()))
    }

    func receiver(room: Int = 10_000) -> Replication {
        var c = ReplicationConfiguration()
        c.maxOrphanOps = room
        return Replication(keyPair: identity(1), configuration: c)
    }

    @Test func orphansWaitForTheirTeamThenJoinIt() {
        let t = team("crew", renames: 3, nonce: 1)
        var r = receiver()
        var effects: [MeshEffect] = []
        for op in t.ops { _ = r.receiveBroadcast(op, wallMs: wall, effects: &effects) }
        #expect(r.orphanOpCount == 3)
        _ = r.receiveBroadcast(t.genesis, wallMs: wall + 1_000, effects: &effects)
        #expect(r.orphanOpCount == 0)
        #expect(teamName(r) == "crew 2", "the waiting renames were applied")
    }

    @Test func orphansOlderThanTheirAgeAreLetGo() {
        let junk = team("junk", renames: 5, nonce: 2)
        let later = team("later", renames: 1, nonce: 3)
        var r = receiver()
        var effects: [MeshEffect] = []
        for op in junk.ops { _ = r.receiveBroadcast(op, wallMs: wall, effects: &effects) }
        #expect(r.orphanOpCount == 5)
        // Ten minutes on, the next orphan finds the old ones gone.
        _ = r.receiveBroadcast(later.ops[0], wallMs: wall + ReplicationConfiguration().orphanMaxAgeMs, effects: &effects)
        #expect(r.orphanOpCount == 1)
        #expect(r.counters.orphansExpired == 5)
        // The junk team's creating op now starts a team without its expired ops (sync brings them).
        _ = r.receiveBroadcast(junk.genesis, wallMs: wall + ReplicationConfiguration().orphanMaxAgeMs + 1, effects: &effects)
        #expect(teamName(r, named: "junk") == "junk")
    }

    @Test func orphansExpireOnTheTimerWithNoNewOrphanArriving() {
        let junk = team("junk", renames: 3, nonce: 6)
        var r = receiver()
        var effects: [MeshEffect] = []
        var rng = SystemRandomNumberGenerator()
        for op in junk.ops { _ = r.receiveBroadcast(op, wallMs: wall, effects: &effects) }
        let age = ReplicationConfiguration().orphanMaxAgeMs
        r.timer(at: .zero, reachable: [], wallMs: wall + age - 1, using: &rng, effects: &effects)
        #expect(r.orphanOpCount == 3, "not yet")
        r.timer(at: .zero, reachable: [], wallMs: wall + age, using: &rng, effects: &effects)
        #expect(r.orphanOpCount == 0 && r.counters.orphansExpired == 3)
    }

    @Test func aFullRoomLetsTheOldestGoSoAFloodCannotKeepATeamOut() {
        let flood = team("flood", renames: 6, nonce: 4)
        let real = team("real", renames: 2, nonce: 5)
        var r = receiver(room: 4)
        var effects: [MeshEffect] = []
        for op in flood.ops { _ = r.receiveBroadcast(op, wallMs: wall, effects: &effects) }
        #expect(r.orphanOpCount == 4)
        #expect(r.counters.orphansEvicted == 2)
        #expect(effects.filter { $0 == .limitReached(.orphanOps) }.count == 2)
        for op in real.ops { _ = r.receiveBroadcast(op, wallMs: wall + 1, effects: &effects) }
        #expect(r.orphanOpCount == 4)
        _ = r.receiveBroadcast(real.genesis, wallMs: wall + 2, effects: &effects)
        #expect(teamName(r, named: "real") == "real 1", "the real team's ops were kept and applied")
        #expect(r.orphanOpCount == 2)
    }

    /// An old place left by orphans that joined their team does not make a young orphan expire.
    @Test func onlyTheAgeOfAnOrphanStillWaitingDecides() {
        let early = team("early", renames: 2, nonce: 6)
        let young = team("young", renames: 1, nonce: 7)
        let other = team("other", renames: 1, nonce: 8)
        var r = receiver()
        var effects: [MeshEffect] = []
        for op in early.ops { _ = r.receiveBroadcast(op, wallMs: wall, effects: &effects) }
        _ = r.receiveBroadcast(early.genesis, wallMs: wall + 1, effects: &effects)  // they join it
        let age = ReplicationConfiguration().orphanMaxAgeMs
        _ = r.receiveBroadcast(young.ops[0], wallMs: wall + age - 1_000, effects: &effects)
        _ = r.receiveBroadcast(other.ops[0], wallMs: wall + age, effects: &effects)
        #expect(r.orphanOpCount == 2, "the young orphan waits on")
        #expect(r.counters.orphansExpired == 0)
    }

    /// The name of the one team whose name starts with `prefix`.
    func teamName(_ r: Replication, named prefix: String = "") -> String? {
        r.teamIDs.compactMap { r.replica($0)?.state.name.value }.first { $0.hasPrefix(prefix) }
    }
}
