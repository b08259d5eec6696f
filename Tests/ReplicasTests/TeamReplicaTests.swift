import Testing
import Wire
@testable import Replicas

@Suite struct TeamReplicaTests {
    /// A random history of valid and invalid ops from five authors.
    func history(seed: UInt64, ops count: Int) -> (genesis: SignedOp, ops: [SignedOp]) {
        var rng = TestRNG(seed)
        var f = TeamFixture(roles: [.admin, .member, .member, .guest])
        let (wf, _) = f.write(1, .defineWorkflow(name: "w", stages: [StageDefinition(name: "s", roles: [], slaSeconds: 60)]), at: 1500)
        var items: [OpID] = []
        var wall: UInt64 = 2000
        for _ in 0..<count {
            wall += UInt64.random(in: 0...3, using: &rng)
            let a = Int.random(in: 0..<f.authors.count, using: &rng)
            let op: TeamOperation
            switch Int.random(in: 0...4, using: &rng) {
            case 0: op = .createItem(workflow: wf.id, title: "i\(wall)", priority: Int32.random(in: 0...5, using: &rng))
            case 1 where !items.isEmpty:
                let item = items.randomElement(using: &rng)!
                op = .claimItem(item, base: f.replica.state.items[item]?.revision ?? item)
            case 2: op = .renameTeam(name: "n\(wall)")
            case 3: op = .setRole(f.id(Int.random(in: 1...4, using: &rng)), [.guest, .member, .admin].randomElement(using: &rng)!)
            default: op = .createInvite(role: .member, expiresWallMs: wall + 100)
            }
            let (signed, _) = f.write(a, op, at: wall)
            if case .createItem = op { items.append(signed.id) }
        }
        return (f.genesis, Array(f.replica.log.dropFirst()))
    }

    /// The fold is a function of the op set: any arrival order gives the same state.
    @Test func arrivalOrderDoesNotMatter() throws {
        for seed in 1...30 as ClosedRange<UInt64> {
            let (genesis, ops) = history(seed: seed, ops: 60)
            var inOrder = try TeamReplica(genesis: genesis)
            _ = inOrder.ingest(ops)
            var rng = TestRNG(seed ^ 0xFF)
            var shuffled = try TeamReplica(genesis: genesis)
            var pending = ops.shuffled(using: &rng)
            while !pending.isEmpty {
                let n = Int.random(in: 1...min(7, pending.count), using: &rng)
                _ = shuffled.ingest(Array(pending.prefix(n)))
                pending.removeFirst(n)
            }
            #expect(shuffled.state.digest == inOrder.state.digest, "seed \(seed)")
            #expect(shuffled.state == inOrder.state)
            #expect(shuffled.vector == inOrder.vector)
            #expect(shuffled.heldOpCount == 0)
        }
    }

    /// Merging logs (union of op sets) obeys the CRDT laws.
    @Test func mergingLogsIsCommutativeAssociativeIdempotent() throws {
        for seed in 1...15 as ClosedRange<UInt64> {
            let (genesis, ops) = history(seed: seed, ops: 40)
            var rng = TestRNG(seed)
            let parts = (0..<3).map { _ in ops.filter { _ in Bool.random(using: &rng) } }
            func replica(_ sets: [[SignedOp]]) throws -> TeamState {
                var r = try TeamReplica(genesis: genesis)
                for s in sets { _ = r.ingest(s) }
                // Ops held behind gaps are not folded: compare the folded states.
                return r.state
            }
            #expect(try replica([parts[0], parts[1]]) == replica([parts[1], parts[0]]))
            #expect(try replica([parts[0], parts[1], parts[2]]) == replica([parts[2], parts[0], parts[1]]))
            #expect(try replica([parts[0], parts[0]]) == replica([parts[0]]))
        }
    }

    @Test func gapsAreHeldThenReleased() throws {
        let (genesis, ops) = history(seed: 3, ops: 20)
        var r = try TeamReplica(genesis: genesis)
        let founder = genesis.author
        let later = ops.filter { $0.author == founder && $0.body.seq >= 3 }
        let report = r.ingest(later)
        #expect(report.admissions.allSatisfy { $0.1 == .held })
        #expect(r.heldOpCount == later.count)
        #expect(r.vector[founder] == 1)
        _ = r.ingest(ops.filter { $0.author == founder && $0.body.seq == 2 })
        #expect(r.heldOpCount == 0)
        #expect(r.vector[founder] == later.map(\.body.seq).max())
    }

    /// Issue 15: one author's ops far ahead of its log cannot fill the room every author's
    /// gaps share; they are refused (sync brings them in order), and what is held is released.
    @Test func anAuthorCanHoldOnlyOpsNearItsLog() throws {
        var f = TeamFixture()
        for i in 0..<12 { _ = f.write(0, .renameTeam(name: "n\(i)"), at: 3000 + UInt64(i)) }
        let founder = f.genesis.author
        let ops = f.replica.log.dropFirst().filter { $0.author == founder }
        var limits = TeamReplica.Limits()
        limits.maxHeldAhead = 4
        var r = try TeamReplica(genesis: f.genesis, limits: limits)
        let have = r.vector[founder]
        let ahead = Array(ops.filter { $0.body.seq >= have + 2 })
        let report = r.ingest(ahead)
        let held = report.admissions.filter { $0.1 == .held }.count
        #expect(held == 3, "only seq have+2 ... have+4 are held")
        #expect(r.heldOpCount == 3)
        #expect(r.counters.heldDropped == ahead.count - 3)
        _ = r.ingest(ops.filter { $0.body.seq == have + 1 })
        #expect(r.heldOpCount == 0)
        #expect(r.vector[founder] == have + 4)
        _ = r.ingest(Array(ops))
        #expect(r.vector[founder] == ops.map(\.body.seq).max())
    }

    @Test func equivocationIsRefused() throws {
        var f = TeamFixture()
        let a = f.authors[1].write(.renameTeam(name: "a"), in: f.replica, wallMs: 3000)
        let b = f.authors[1].write(.renameTeam(name: "b"), in: f.replica, wallMs: 3001)   // same seq
        _ = f.replica.ingest([a])
        let report = f.replica.ingest([b])
        #expect(report.admissions.first?.1 == .refused("equivocation: \(f.id(1).short) signed two ops with sequence number \(b.body.seq)"))
        #expect(f.replica.counters.equivocations == 1)
    }

    @Test func opsOfAnotherTeamAreRefused() throws {
        var f = TeamFixture()
        var g = TeamFixture(roles: [], nonce: [4, 5, 6])
        let alien = g.authors[0].write(.renameTeam(name: "x"), in: g.replica, wallMs: 3000)
        #expect(f.replica.ingest([alien]).admissions.first?.1 == .refused("op belongs to another team"))
    }

    @Test func missingOpsAreExactlyTheDifference() throws {
        let (genesis, ops) = history(seed: 5, ops: 50)
        var full = try TeamReplica(genesis: genesis)
        _ = full.ingest(ops)
        var partial = try TeamReplica(genesis: genesis)
        _ = partial.ingest(Array(ops.prefix(20)))
        let (missing, complete) = full.ops(missingFrom: partial.vector)
        #expect(complete)
        #expect(Set(missing.map(\.id)) == Set(ops.map(\.id)).subtracting(partial.log.map(\.id)))
        _ = partial.ingest(missing)
        #expect(partial.state == full.state)
        // A byte budget cuts the batch but never returns nothing.
        let (some, more) = full.ops(missingFrom: VersionVector(), maxBytes: 1)
        #expect(some.count == 1 && !more)
    }

    @Test func lateMembershipChangesRefoldTheRules() throws {
        var f = TeamFixture(roles: [.admin, .member])
        // The member renames... no: members cannot. Make them admin first, but deliver the
        // promotion after the rename: the rename is refused until the promotion arrives.
        let promote = f.authors[1].write(.setRole(f.id(2), .admin), in: f.replica, wallMs: 3000)
        var other = f.replica
        _ = other.ingest([promote])
        let rename = f.authors[2].write(.renameTeam(name: "late"), in: other, wallMs: 4000)
        let first = f.replica.ingest([rename])
        #expect(first.outcomes[rename.id] == .rejected(.forbidden, "needs admin, author is member"))
        let second = f.replica.ingest([promote])
        #expect(second.refolded)
        #expect(f.replica.state.name.value == "late")
    }
}
