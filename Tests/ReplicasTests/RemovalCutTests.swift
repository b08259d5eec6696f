import Testing
import Wire
@testable import Replicas

/// Issue 15 item 2: an op is judged where its author's HLC places it, so before this rule a
/// removed Admin could sign `AddMember(puppet, Admin)` dated just before its removal and the
/// puppet was an Admin everywhere. Authors: 0 Super Admin, 1 Admin, 2 Member, 3 Guest.
@Suite struct RemovalCutTests {
    /// The fixture's team plus a workflow members may work in, and one op by the Admin that
    /// every later removal has seen.
    private func team() -> (TeamFixture, workflow: SignedOp, seen: SignedOp) {
        var f = TeamFixture()
        let (workflow, _) = f.write(0, .defineWorkflow(name: "reports", stages: [
            StageDefinition(name: "field", roles: [.member], slaSeconds: nil)]), at: 1500)
        let (seen, outcome) = f.write(1, .renameTeam(name: "seen before the removal"), at: 2000)
        #expect(outcome == .applied)
        return (f, workflow, seen)
    }

    @Test func aRemovedAdminCannotBackDateAnAddMember() throws {
        var (f, _, seen) = team()
        var before = f.replica
        let (removal, removed) = f.write(0, .removeMember(f.id(1)), at: 3000)
        #expect(removed == .applied)
        guard case let .removeMember(_, seenSeq) = removal.body.operation else { Issue.record("not a removal"); return }
        #expect(seenSeq == seen.body.seq, "the writer records how far it had seen the member")
        // The removed Admin signs after the removal, dated between its last seen op and it.
        let puppet = keys(40).publicKey
        let forged = f.authors[1].write(.addMember(publicKey: puppet, role: .admin, invite: nil), in: f.replica, wallMs: 2500)
        #expect(forged.sortKey < removal.sortKey, "the HLC places it before the removal")
        let report = f.replica.ingest([forged])
        #expect(report.outcomes[forged.id] == .rejected(.signedAfterRemoval,
                                                        "\(f.id(1).short) was removed by an op that had not seen this one (seq \(forged.body.seq))"))
        #expect(f.replica.state.role(of: NodeID(publicKey: puppet)) == nil)
        // Another replica that gets the forged op first applies it until the removal arrives,
        // then judges it the same way: both replicas end in one state.
        _ = before.ingest([forged])
        #expect(before.state.role(of: NodeID(publicKey: puppet)) == .admin)
        let late = before.ingest([removal])
        #expect(late.refolded)
        #expect(before.state.role(of: NodeID(publicKey: puppet)) == nil)
        #expect(before.state == f.replica.state)
    }

    @Test func opsTheWriterHadSeenStand() {
        var (f, _, seen) = team()
        _ = f.write(0, .removeMember(f.id(1)), at: 3000)
        #expect(f.replica.state.name.value == "seen before the removal")
        #expect(f.replica.state.rejectionCounts[.signedAfterRemoval] == nil)
        #expect(f.replica.log.contains { $0.id == seen.id })
    }

    @Test func aDemotedAdminsLaterOpsAreJudgedWithTheLowerRole() {
        var (f, workflow, _) = team()
        let (_, demoted) = f.write(0, .setRole(f.id(1), .member), at: 3000)
        #expect(demoted == .applied)
        let rename = f.authors[1].write(.renameTeam(name: "back-dated"), in: f.replica, wallMs: 2500)
        #expect(f.replica.ingest([rename]).outcomes[rename.id] == .rejected(.forbidden, "needs admin, author is member"))
        let item = f.authors[1].write(.createItem(workflow: workflow.id, title: "still a member", priority: 0),
                                      in: f.replica, wallMs: 2600)
        #expect(f.replica.ingest([item]).outcomes[item.id] == .applied, "what a member may do, the demoted Admin still may")
        #expect(f.replica.state.name.value == "seen before the removal")
    }

    @Test func aCutWrittenByAMemberCountsForNothing() {
        var (f, _, _) = team()
        // A Member claims to remove the Admin, having seen none of its ops, dated far ahead.
        let (fake, outcome) = f.write(2, .removeMember(f.id(1), seenSeq: 0), at: 9000)
        #expect(outcome == .rejected(.forbidden, "needs admin, author is member"))
        #expect(fake.sortKey > f.replica.log[1].sortKey)
        #expect(f.replica.state.name.value == "seen before the removal", "the Admin's op stands")
        #expect(f.replica.state.role(of: f.id(1)) == .admin)
    }

    @Test func aCutBackDatedByARemovedAdminCountsForNothing() {
        var (f, workflow, _) = team()
        // The Member files an item; the founder removes the Admin, who then back-dates a
        // demotion of the Member (as if it had seen none of its ops) to before the item.
        let (item, filed) = f.write(2, .createItem(workflow: workflow.id, title: "report", priority: 0), at: 2600)
        #expect(filed == .applied)
        _ = f.write(0, .removeMember(f.id(1)), at: 3000)
        let demote = f.authors[1].write(.setRole(f.id(2), .guest, seenSeq: 0), in: f.replica, wallMs: 2700)
        let report = f.replica.ingest([demote])
        #expect(report.outcomes[demote.id] == .rejected(.signedAfterRemoval,
                                                        "\(f.id(1).short) was removed by an op that had not seen this one (seq \(demote.body.seq))"))
        #expect(f.replica.state.items[item.id] != nil, "the Member's item stands")
        #expect(f.replica.state.role(of: f.id(2)) == .member)
    }

    @Test func aCutCannotTouchTheSuperAdmin() {
        var (f, _, _) = team()
        let rename = f.authors[0].write(.renameTeam(name: "founder's"), in: f.replica, wallMs: 2500)
        let fake = f.authors[1].write(.removeMember(f.id(0), seenSeq: 0), in: f.replica, wallMs: 3000)
        _ = f.replica.ingest([fake, rename])
        #expect(f.replica.state.name.value == "founder's")
    }

    /// Whatever order the ops arrive in, every replica ends in the same state (cuts are a
    /// function of the log).
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func arrivalOrderDoesNotMatterWithCuts(seed: UInt64) throws {
        var (f, workflow, _) = team()
        var rng = TestRNG(seed)
        var ops: [SignedOp] = []
        func add(_ a: Int, _ op: TeamOperation, _ at: UInt64) {
            let signed = f.authors[a].write(op, in: f.replica, wallMs: at)
            _ = f.replica.ingest([signed])
            ops.append(signed)
        }
        add(2, .createItem(workflow: workflow.id, title: "a", priority: 0), 2100)
        add(0, .removeMember(f.id(1)), 3000)
        add(1, .addMember(publicKey: keys(41).publicKey, role: .admin, invite: nil), 2500)
        add(1, .setRole(f.id(2), .guest, seenSeq: 0), 2550)
        add(2, .createItem(workflow: workflow.id, title: "b", priority: 1), 2800)
        add(0, .setRole(f.id(2), .guest), 3500)
        add(2, .createItem(workflow: workflow.id, title: "c", priority: 2), 3200)
        let final = f.replica.state
        for _ in 0..<4 {
            var r = try TeamReplica(genesis: f.genesis)
            let base = f.replica.log.filter { op in !ops.contains { $0.id == op.id } }
            _ = r.ingest(Array(base.dropFirst()))
            var shuffled = ops
            shuffled.shuffle(using: &rng)
            // In two batches, so some arrive after the ops they judge.
            let cut = Int.random(in: 0...shuffled.count, using: &rng)
            _ = r.ingest(Array(shuffled[..<cut]))
            _ = r.ingest(Array(shuffled[cut...]))
            #expect(r.state == final)
        }
        #expect(final.role(of: NodeID(publicKey: keys(41).publicKey)) == nil)
        #expect(final.items.values.map(\.title).sorted() == ["a", "b"], "c was signed after the demotion to guest")
    }

    @Test func anAuthorsClockMustRiseWithItsSequenceNumbers() {
        var (f, _, _) = team()
        // The same key with a clock set back: its next op is dated before its previous one.
        var rewound = OpAuthor(keyPair: f.authors[1].keyPair)
        let back = rewound.write(.renameTeam(name: "dated back"), in: f.replica, wallMs: 1800)
        #expect(back.body.seq == f.replica.vector[f.id(1)] + 1)
        let report = f.replica.ingest([back])
        guard case .refused? = report.admissions.first?.1 else { Issue.record("accepted: \(report.admissions)"); return }
        #expect(f.replica.counters.hlcNotRising == 1)
        #expect(f.replica.state.name.value == "seen before the removal")
        // Held behind a gap, the same op is refused when the gap closes.
        var g = TeamFixture()
        let first = g.authors[1].write(.renameTeam(name: "one"), in: g.replica, wallMs: 5000)
        var other = g.replica
        _ = other.ingest([first])
        var rewound2 = OpAuthor(keyPair: g.authors[1].keyPair)
        let second = rewound2.write(.renameTeam(name: "two"), in: other, wallMs: 4000)
        #expect(g.replica.ingest([second]).admissions.first?.1 == .held)
        _ = g.replica.ingest([first])
        #expect(g.replica.heldOpCount == 0)
        #expect(g.replica.vector[g.id(1)] == first.body.seq)
        #expect(g.replica.counters.hlcNotRising == 1)
    }

    @Test func heldOpsExpire() {
        var f = TeamFixture()
        var ahead = f.replica
        let first = f.authors[1].write(.renameTeam(name: "one"), in: ahead, wallMs: 5000)
        _ = ahead.ingest([first])
        let second = f.authors[1].write(.renameTeam(name: "two"), in: ahead, wallMs: 5001)
        #expect(f.replica.ingest([second], atMs: 100_000).admissions.first?.1 == .held)
        let limit = f.replica.limits.maxHeldAgeMs
        #expect(f.replica.dropHeld(at: 100_000 + limit) == 0, "not older than the limit yet")
        #expect(f.replica.heldOpCount == 1)
        #expect(f.replica.dropHeld(at: 100_001 + limit) == 1)
        #expect(f.replica.heldOpCount == 0)
        #expect(f.replica.counters.heldExpired == 1)
        // It comes back by sync, in order.
        _ = f.replica.ingest([first, second], atMs: 200_000 + limit)
        #expect(f.replica.state.name.value == "two")
        // A wall clock set back does not expire anything.
        #expect(f.replica.dropHeld(at: 0) == 0)
    }

    @Test func removalsRecordWhatTheyHadSeenOnTheWire() throws {
        let f = TeamFixture()
        for operation in [TeamOperation.removeMember(f.id(2), seenSeq: 0), .removeMember(f.id(2), seenSeq: 7),
                          .setRole(f.id(2), .guest, seenSeq: 3), .removeMember(f.id(2)), .setRole(f.id(2), .admin)] {
            var author = f.authors[0]
            let op = author.write(operation, in: f.replica, wallMs: 5000)
            let read = try SignedOp(serialized: op.serialized)
            #expect(read.body.operation == op.body.operation)
            if case let .removeMember(_, seen) = read.body.operation { #expect(seen != nil, "OpAuthor fills it in") }
            if case let .setRole(_, _, seen) = read.body.operation { #expect(seen != nil, "OpAuthor fills it in") }
        }
    }
}
