import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

@Suite struct ReplicationTests {
    let wall: UInt64 = 1_800_000_000_000

    /// A replication core for test node `n` with a team of its own (when `withTeam`).
    func core(_ n: Int, configure: (inout ReplicationConfiguration) -> Void = { _ in }) -> Replication {
        var config = ReplicationConfiguration()
        configure(&config)
        return Replication(keyPair: identity(n), configuration: config)
    }

    func createTeam(_ r: inout Replication) -> TeamID {
        var broadcasts: [[UInt8]] = [], effects: [MeshEffect] = []
        guard case let .applied(genesis) = r.createTeam(name: "crew", nonce: [1], wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { fatalError() }
        return genesis.id
    }

    @discardableResult
    func write(_ r: inout Replication, _ op: TeamOperation, team: TeamID, at offset: UInt64 = 0,
               effects: inout [MeshEffect], broadcasts: inout [[UInt8]]) -> WriteOutcome {
        r.write(op, team: team, wallMs: wall + offset, broadcasts: &broadcasts, effects: &effects)
    }

    @Test func aWriteIsPersistedBeforeItIsAnsweredOrSent() throws {
        var r = core(1)
        let team = createTeam(&r)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        let outcome = write(&r, .renameTeam(name: "new"), team: team, effects: &effects, broadcasts: &broadcasts)
        guard case let .applied(op) = outcome else { Issue.record("\(outcome)"); return }
        #expect(effects.first == .persistOps(team: team, ops: [op]))
        #expect(broadcasts.count == 1)
        #expect(try GossipPayloadCoding.decode(broadcasts[0]) == op)
        #expect(r.replica(team)?.state.name.value == "new")
    }

    @Test func aRefusedWriteIsNeverLogged() {
        var r = core(1)
        let team = createTeam(&r)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        let outcome = write(&r, .setRole(NodeID(publicKey: identity(1).publicKey), .guest), team: team, effects: &effects,
                            broadcasts: &broadcasts)
        #expect(outcome == .refused(.protectedSuperAdmin, "the Super Admin cannot be removed or demoted"))
        #expect(effects.isEmpty && broadcasts.isEmpty)
        #expect(r.replica(team)?.opCount == 1)
        #expect(write(&r, .renameTeam(name: "x"), team: OpID(bytes: [UInt8](repeating: 0, count: 32))!, effects: &effects,
                      broadcasts: &broadcasts) == .noSuchTeam(OpID(bytes: [UInt8](repeating: 0, count: 32))!))
    }

    /// The edges issue: a write that breaks a limit is refused before it is signed, so the node
    /// never holds an op it would refuse to read back (and that peers would refuse).
    @Test func aWriteOverALimitIsNeverSignedNorLogged() {
        var r = core(1)
        let team = createTeam(&r)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        let outcome = write(&r, .renameTeam(name: "e" + String(repeating: "\u{0301}", count: 1500)), team: team, effects: &effects,
                            broadcasts: &broadcasts)
        #expect(outcome == .invalid(OpLimitViolation(field: "name", limit: "1 to 200 bytes (UTF-8)", found: "3001 bytes")))
        #expect(effects.isEmpty && broadcasts.isEmpty)
        #expect(r.replica(team)?.opCount == 1)
        #expect(r.replica(team)?.vector[r.me] == 1, "no sequence number was used")
        var created: [MeshEffect] = []
        #expect(r.createTeam(name: "", nonce: [1], wallMs: wall, broadcasts: &broadcasts, effects: &created)
            == .invalid(OpLimitViolation(field: "name", limit: "1 to 200 bytes (UTF-8)", found: "empty")))
        #expect(created.isEmpty && r.teamIDs == [team])
    }

    /// Sends every `.send` in `effects` from `from` to `to` and returns what `to` produced.
    func deliver(_ effects: [MeshEffect], from: (NodeID, Replication), to: inout Replication) -> [MeshEffect] {
        var out: [MeshEffect] = []
        for case let .send(m, _) in effects { to.receive(m, from: from.0, at: .zero, wallMs: wall, effects: &out) }
        return out
    }

    @Test func antiEntropySendsExactlyTheMissingOpsAndPagesThroughBigGaps() {
        var a = core(1) { $0.batchBytes = 2000 }
        var b = core(2) { $0.batchBytes = 2000 }
        let team = createTeam(&a)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        write(&a, .addMember(publicKey: identity(2).publicKey, role: .member, invite: nil), team: team, effects: &effects,
              broadcasts: &broadcasts)
        for k in 0..<40 {
            write(&a, .renameTeam(name: "name \(k)"), team: team, at: UInt64(k + 1), effects: &effects, broadcasts: &broadcasts)
        }
        let idA = NodeID(publicKey: identity(1).publicKey), idB = NodeID(publicKey: identity(2).publicKey)
        // a greets b: b holds nothing, asks for everything, and pages through.
        var toB: [MeshEffect] = []
        a.peerUp(idB, at: .zero, effects: &toB)
        var rounds = 0
        while !toB.isEmpty, rounds < 50 {
            let toA = deliver(toB, from: (idA, a), to: &b)
            toB = deliver(toA, from: (idB, b), to: &a)
            rounds += 1
        }
        #expect(b.replica(team)?.state == a.replica(team)?.state)
        #expect(b.replica(team)?.vector == a.replica(team)?.vector)
        #expect(a.counters.batchesSent > 2, "the 2,000-byte batch limit forced paging")
        #expect(b.counters.syncOpBytesLogged == a.replica(team)!.log.reduce(0) { $0 + $1.size })
        #expect(a.counters.syncOpBytesSent == b.counters.syncOpBytesLogged, "nothing was sent twice")
        // In step now: a new vector exchange sends no ops, only the empty batch that ends the pull.
        var again: [MeshEffect] = []
        a.peerUp(idB, at: .milliseconds(60_000), effects: &again)
        let answer = deliver(again, from: (idA, a), to: &b)
        #expect(answer == [.send(.syncOps(team: team.bytes, ops: [], compressed: false, more: false, count: 0), to: idA)])
    }

    @Test func bigBatchesAreCompressed() {
        var a = core(1), b = core(2)
        let team = createTeam(&a)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        for k in 0..<30 { write(&a, .renameTeam(name: "the same long name again \(k % 2)"), team: team, at: UInt64(k), effects: &effects, broadcasts: &broadcasts) }
        var request: [MeshEffect] = []
        b.receive(.syncVector(team: team.bytes, entries: [], reply: false), from: NodeID(publicKey: identity(1).publicKey),
                  at: .zero, wallMs: wall, effects: &request)
        var reply: [MeshEffect] = []
        a.receive(request.compactMap { if case let .send(m, _) = $0 { m } else { nil } }.first!, from: b.me, at: .zero, wallMs: wall, effects: &reply)
        guard case let .send(.syncOps(_, bytes, compressed, _, count), _)? = reply.first else { Issue.record("\(reply)"); return }
        #expect(compressed)
        #expect(count == 31)
        #expect(bytes.count < a.counters.syncOpBytesSent)
    }

    @Test func gossipedOpsBeforeTheirTeamWaitForIt() throws {
        var a = core(1), b = core(2)
        let team = createTeam(&a)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        write(&a, .renameTeam(name: "later"), team: team, effects: &effects, broadcasts: &broadcasts)
        let genesis = a.replica(team)!.log[0]
        var out: [MeshEffect] = []
        #expect(b.receiveBroadcast(broadcasts[0], wallMs: wall, effects: &out))
        #expect(b.replica(team) == nil)
        #expect(b.receiveBroadcast(GossipPayloadCoding.encode(genesis), wallMs: wall, effects: &out))
        #expect(b.replica(team)?.state.name.value == "later")
        #expect(!b.receiveBroadcast([1, 2, 3, 4], wallMs: wall, effects: &out), "not an op: for the services")
    }

    @Test func aCorruptBatchIsDroppedAndCounted() {
        var b = core(2)
        var out: [MeshEffect] = []
        let peer = NodeID(publicKey: identity(1).publicKey)
        b.receive(.syncOps(team: [UInt8](repeating: 1, count: 32), ops: [9, 9, 9], compressed: true, more: false, count: 1),
                  from: peer, at: .zero, wallMs: wall, effects: &out)
        #expect(out == [.dropped(.malformedBatch, from: peer)])
        #expect(b.counters.badBatches == 1)
    }

    /// Found by a fresh simulation seed (team-partition 2396418723): a node whose own log did
    /// not know it as a member wrote unchecked; the op was set aside as a stranger's yet
    /// acknowledged. Now it is refused, nothing is persisted or sent, no sequence number is used.
    @Test func aWriteByAnAuthorTheLogDoesNotKnowIsRefusedNotAcknowledged() {
        var a = core(1)
        let team = createTeam(&a)
        var b = core(2)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        #expect(b.receiveBroadcast(GossipPayloadCoding.encode(a.replica(team)!.log[0]), wallMs: wall, effects: &effects))
        #expect(b.replica(team) != nil)
        effects = []
        let outcome = b.write(.renameTeam(name: "forged"), team: team, wallMs: wall, unchecked: true, broadcasts: &broadcasts, effects: &effects)
        guard case .refused(.notAMember, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(effects.isEmpty && broadcasts.isEmpty)
        #expect(b.replica(team)?.vector[b.me] == 0 && b.replica(team)?.opCount == 1)
    }

    @Test func restoredLogsRebuildTheSameStateAndTheClockMovesOn() {
        var a = core(1)
        let team = createTeam(&a)
        var effects: [MeshEffect] = [], broadcasts: [[UInt8]] = []
        write(&a, .renameTeam(name: "before"), team: team, at: 5000, effects: &effects, broadcasts: &broadcasts)
        let log = a.replica(team)!.log
        var restarted = Replication(keyPair: identity(1), configuration: ReplicationConfiguration(), restoredLogs: [log])
        #expect(restarted.replica(team)?.state == a.replica(team)?.state)
        // The clock is behind the wall time it had: the next op must still sort after.
        guard case let .applied(next) = restarted.write(.renameTeam(name: "after"), team: team, wallMs: wall, broadcasts: &broadcasts,
                                                        effects: &effects) else { Issue.record("write failed"); return }
        #expect(next.body.hlc > log.last!.body.hlc)
        #expect(restarted.replica(team)?.state.name.value == "after")
    }
}
