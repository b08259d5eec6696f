import Sodium
import Testing
import Wire
@testable import Replicas

/// Issue 15 item 3 (a first part): ops by keys no `AddMember` names never enter a team's log or
/// its version vector. Before, every stranger's op was logged and synced forever: enough of
/// them filled the 2M-op log (members could no longer write) and ~39k one-op authors pushed a
/// sync vector past 1 MiB. Authors: 0 Super Admin, 1 Admin, 2 Member, 3 Guest.
@Suite struct StrangerOpTests {
    /// The `n`th stranger's key (none of the fixture's).
    func strangerKey(_ n: Int) -> Ed25519KeyPair {
        var seed = [UInt8](repeating: 0xAB, count: 32)
        seed[0] = UInt8(n & 0xFF)
        seed[1] = UInt8(n >> 8)
        return Ed25519KeyPair(seed: seed)!
    }

    @Test func aStrangersOpsWaitApartAndNeverEnterTheLogOrTheVector() {
        var f = TeamFixture()
        let before = (f.replica.opCount, f.replica.vector)
        var ops: [SignedOp] = []
        for n in 0..<1_500 {
            var stranger = OpAuthor(keyPair: strangerKey(n))
            ops.append(stranger.write(.renameTeam(name: "junk \(n)"), in: f.replica, wallMs: 5_000 + UInt64(n)))
        }
        _ = f.replica.ingest(ops, atMs: 1_000)
        #expect(f.replica.opCount == before.0)
        #expect(f.replica.vector == before.1, "no stranger in the vector")
        #expect(f.replica.counters.strangerOps == 1_500)
        // The room is bounded: past it they are refused (sync would bring a real member's later).
        #expect(f.replica.strangerOpCount == f.replica.limits.maxStrangerOps)
        #expect(f.replica.counters.strangersDropped == 500)
        // They are let go with age.
        _ = f.replica.dropHeld(at: 1_000 + f.replica.limits.maxHeldAgeMs)
        #expect(f.replica.strangerOpCount == 1_000, "not older than the limit yet")
        _ = f.replica.dropHeld(at: 1_001 + f.replica.limits.maxHeldAgeMs)
        #expect(f.replica.strangerOpCount == 0)
        #expect(f.replica.state.name.value == "field team")
    }

    @Test func aNewMembersOpsThatOutranTheirAddMemberJoinWhenItArrives() throws {
        var f = TeamFixture()
        var newcomer = OpAuthor(keyPair: keys(60))
        var ahead = f.replica
        let add = f.authors[1].write(.addMember(publicKey: newcomer.keyPair.publicKey, role: .admin, invite: nil), in: ahead, wallMs: 3_000)
        _ = ahead.ingest([add])
        let first = newcomer.write(.renameTeam(name: "first"), in: ahead, wallMs: 3_100)
        _ = ahead.ingest([first])
        let second = newcomer.write(.renameTeam(name: "second"), in: ahead, wallMs: 3_200)
        _ = ahead.ingest([second])
        // Gossip brings the newcomer's ops before the op that adds it.
        #expect(f.replica.ingest([second, first]).admissions.allSatisfy { $0.1 == .held })
        #expect(f.replica.strangerOpCount == 2 && f.replica.vector[newcomer.id] == 0)
        let report = f.replica.ingest([add])
        #expect(report.logged.count == 3)
        #expect(f.replica.strangerOpCount == 0)
        #expect(f.replica.state == ahead.state)
        #expect(f.replica.state.name.value == "second")
    }

    /// A sync page never holds an author's op before the op that added it, even one its author
    /// dated before being added, so a receiver logs every page in full.
    @Test func syncPagesPutEachAuthorAfterItsAddMember() throws {
        var f = TeamFixture()
        // The Admin adds A; A (made Admin) adds B; B back-dates an op to before its own add.
        var a = OpAuthor(keyPair: keys(70)), b = OpAuthor(keyPair: keys(71))
        _ = f.write(1, .addMember(publicKey: a.keyPair.publicKey, role: .admin, invite: nil), at: 3_000)
        _ = f.replica.ingest([a.write(.addMember(publicKey: b.keyPair.publicKey, role: .member, invite: nil), in: f.replica, wallMs: 3_100)])
        let backDated = b.write(.renameTeam(name: "from before"), in: f.replica, wallMs: 2_000)
        _ = f.replica.ingest([backDated])
        for i in 0..<20 {
            _ = f.replica.ingest([b.write(.createInvite(role: .guest, expiresWallMs: 9_999), in: f.replica, wallMs: 3_200 + UInt64(i))])
            _ = f.replica.ingest([a.write(.renameTeam(name: "a\(i)"), in: f.replica, wallMs: 3_200 + UInt64(i))])
        }
        let (all, complete) = f.replica.ops(missingFrom: VersionVector())
        #expect(complete && all.count == f.replica.opCount)
        // Page through with a tiny budget: every page is logged whole.
        var receiver = try TeamReplica(genesis: f.genesis)
        var pages = 0
        while receiver.vector != f.replica.vector {
            let (page, _) = f.replica.ops(missingFrom: receiver.vector, maxBytes: 300)
            let report = receiver.ingest(page)
            #expect(report.logged.count == page.filter { $0.id != f.genesis.id }.count,
                    "page \(pages) logged whole: \(report.admissions.map { "\($0.1)" }) \(page.map { "\($0.author.short)#\($0.body.seq)@\($0.body.hlc)" })")
            if report.logged.isEmpty { break }
            pages += 1
            if pages > 500 { Issue.record("paging does not end"); break }
        }
        #expect(pages > 10)
        #expect(receiver.strangerOpCount == 0 && receiver.counters.strangerOps == 0)
        #expect(receiver.state == f.replica.state)
    }

    @Test func aRestoredLogKeepsEveryAuthorWhateverOrderItIsReadIn() throws {
        var f = TeamFixture()
        var newcomer = OpAuthor(keyPair: keys(80))
        for i in 0..<5 { _ = f.write(1, .renameTeam(name: "admin \(i)"), at: 2_000 + UInt64(i)) }
        _ = f.write(1, .addMember(publicKey: newcomer.keyPair.publicKey, role: .member, invite: nil), at: 3_000)
        _ = f.replica.ingest([newcomer.write(.createInvite(role: .guest, expiresWallMs: 1), in: f.replica, wallMs: 3_100)])
        // Read back by seq, the newcomer's seq 1 comes before the Admin's add (its seq 6).
        var restored = try TeamReplica(genesis: f.genesis)
        _ = restored.restore(Array(f.replica.log.dropFirst()).reversed())
        #expect(restored.vector == f.replica.vector)
        #expect(restored.state == f.replica.state)
    }
}
