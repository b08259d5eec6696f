import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Issue 15 (hostile peers): integers a paired device sends must not trap a node, now or at its
/// next start, nor drag its clock to the end of time.
@Suite struct HostilePeerTests {
    let me = node(1), peer = node(2)
    let wall: UInt64 = 1_800_000_000_000

    // MARK: Liveness incarnations

    /// `Suspect {target: me, incarnation: UInt64.max}` trapped at `+ 1`; with `max − 1` the
    /// value was persisted and every restart trapped. A claim above what this node could have
    /// sent is dropped, and nothing is persisted.
    @Test(arguments: [UInt64.max, UInt64.max - 1, Liveness.maxIncarnationStep + 1])
    func aSuspicionAboveAnyIncarnationThisNodeHadIsDropped(claim: UInt64) {
        var l = Liveness(me: me, configuration: LivenessConfiguration(), persistedIncarnation: nil)
        var effects: [MeshEffect] = []
        l.receive(.suspect(target: me, incarnation: claim), from: peer, at: .ms(1), effects: &effects)
        #expect(effects == [.dropped(.incarnationOutOfRange, from: peer)])
        #expect(l.incarnation == 0)
    }

    /// A node restored from an old backup is suspected at an incarnation above its own: within
    /// `maxIncarnationStep` it still refutes.
    @Test func aSuspicionWithinTheStepIsRefuted() {
        var l = Liveness(me: me, configuration: LivenessConfiguration(), persistedIncarnation: 6)
        var effects: [MeshEffect] = []
        l.receive(.suspect(target: me, incarnation: 7 + Liveness.maxIncarnationStep), from: peer, at: .ms(1), effects: &effects)
        #expect(l.incarnation == 8 + Liveness.maxIncarnationStep)
        #expect(effects == [.persist(.incarnation(8 + Liveness.maxIncarnationStep)),
                            .send(.alive(target: me, incarnation: 8 + Liveness.maxIncarnationStep), to: peer)])
    }

    /// A value persisted at the end of the range (by an older version) starts without trapping,
    /// and a suspicion at the end of the range is answered without trapping.
    @Test(arguments: [UInt64.max, UInt64.max - 1])
    func aPersistedIncarnationAtTheEndOfTheRangeDoesNotTrap(persisted: UInt64) {
        var l = Liveness(me: me, configuration: LivenessConfiguration(), persistedIncarnation: persisted)
        #expect(l.incarnation == .max)
        #expect(l.startRecord == .incarnation(.max))
        var effects: [MeshEffect] = []
        l.receive(.suspect(target: me, incarnation: .max), from: peer, at: .ms(1), effects: &effects)
        #expect(effects == [.send(.alive(target: me, incarnation: .max), to: peer)])
    }

    // MARK: HLC far ahead

    func forged(author n: Int, in replica: TeamReplica, at hlc: HLCTimestamp) -> SignedOp {
        var author = OpAuthor(keyPair: identity(n), clock: HybridLogicalClock(last: hlc))
        // The clock is already past `wall`: the tick adds one to the logical counter.
        return author.write(.renameTeam(name: "from the future"), in: replica, wallMs: wall)
    }

    /// An op dated (max, max) was adopted by the receiver's clock, and its next local write
    /// trapped. Now it is refused at receive (counted), and the clock does not move.
    @Test func anOpDatedAtTheEndOfTimeIsRefusedAndTheClockStays() throws {
        var a = Replication(keyPair: identity(1), configuration: ReplicationConfiguration())
        var b = Replication(keyPair: identity(2), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = a.createTeam(name: "crew", nonce: [1], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects),
              case let .applied(own) = b.createTeam(name: "own", nonce: [2], wallMs: wall, broadcasts: &broadcasts,
                                                     effects: &effects) else { Issue.record("no teams"); return }
        let evil = forged(author: 1, in: a.replica(genesis.id)!, at: HLCTimestamp(wallMs: .max, logical: .max - 1))
        #expect(evil.body.hlc == HLCTimestamp(wallMs: .max, logical: .max))
        var out: [MeshEffect] = []
        #expect(b.receiveBroadcast(GossipPayloadCoding.encode(genesis), wallMs: wall, effects: &out))
        out.removeAll()
        #expect(b.receiveBroadcast(GossipPayloadCoding.encode(evil), wallMs: wall, effects: &out))
        #expect(out == [.dropped(.opTooFarAhead, from: nil)])
        #expect(b.replica(genesis.id)?.opCount == 1)
        #expect(b.counters.opsTooFarAhead == 1)
        #expect(b.author.clock.last.wallMs < wall + HybridLogicalClock.maxLeadMs)
        // The next local write is dated by the local clock.
        let next = b.write(.renameTeam(name: "still here"), team: own.id, wallMs: wall + 1, broadcasts: &broadcasts, effects: &out)
        guard case let .applied(op) = next else { Issue.record("\(next)"); return }
        #expect(op.body.hlc == HLCTimestamp(wallMs: wall + 1, logical: 0))
    }

    /// An op dated two days ahead is refused by sync now; a batch that brought nothing else
    /// ends the pull instead of paging on (the same batch would come back forever), and the op
    /// is taken in when it is offered again once the local clock is within a day of it.
    @Test func anOpDatedTooFarAheadIsTakenInWhenSyncOffersItAgainLater() throws {
        var a = Replication(keyPair: identity(1), configuration: ReplicationConfiguration())
        var b = Replication(keyPair: identity(2), configuration: ReplicationConfiguration())
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = a.createTeam(name: "crew", nonce: [1], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { Issue.record("no team"); return }
        let twoDays: UInt64 = 2 * 86_400_000
        let ahead = forged(author: 1, in: a.replica(genesis.id)!, at: HLCTimestamp(wallMs: wall + twoDays, logical: 0))
        var out: [MeshEffect] = []
        _ = b.receiveBroadcast(GossipPayloadCoding.encode(genesis), wallMs: wall, effects: &out)
        let batch = MeshMessage.syncOps(team: genesis.id.bytes, ops: OpBatchCoding.encode([ahead]), compressed: false, more: true,
                                        count: 1)
        out.removeAll()
        b.receive(batch, from: a.me, at: .ms(5), wallMs: wall, effects: &out)
        #expect(out == [.dropped(.opTooFarAhead, from: a.me)], "no vector back: the pull ends")
        #expect(b.replica(genesis.id)?.opCount == 1)
        // A day and a minute later the op is within a day of the local clock.
        out.removeAll()
        b.receive(batch, from: a.me, at: .ms(10), wallMs: wall + twoDays - 86_400_000 + 60_000, effects: &out)
        #expect(b.replica(genesis.id)?.opCount == 2)
        #expect(b.replica(genesis.id)?.state.name.value == "from the future")
        #expect(out.contains { if case .send(.syncVector, _) = $0 { true } else { false } }, "news: it pages on")
    }
}
