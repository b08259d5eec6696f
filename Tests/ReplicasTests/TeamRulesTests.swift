import Testing
import Wire
@testable import Replicas

/// Authors: 0 Super Admin (founder), 1 Admin, 2 Member, 3 Guest.
@Suite struct TeamRulesTests {
    @Test func rolesAreWhatTheOpsSaid() {
        let f = TeamFixture()
        #expect(f.replica.state.role(of: f.id(0)) == .superAdmin)
        #expect(f.replica.state.role(of: f.id(1)) == .admin)
        #expect(f.replica.state.role(of: f.id(2)) == .member)
        #expect(f.replica.state.role(of: f.id(3)) == .guest)
        #expect(f.replica.state.memberIDs.count == 4)
    }

    /// A person's name and device (PROTOCOL.md section 13): the latest AddMember that names
    /// them says; a node member has none; the digest covers them.
    @Test func aPersonsNameIsTheLatestAddMembersAndSurvivesAReplay() throws {
        var f = TeamFixture()
        let key = keys(40).publicKey, person = NodeID(publicKey: key)
        _ = f.write(1, .addMember(publicKey: key, role: .member, invite: nil, name: "Amara", device: f.id(1)), at: 2000)
        #expect(f.replica.state.members[person]?.person?.value == PersonRecord(name: "Amara", device: f.id(1)))
        #expect(f.replica.state.members[f.id(2)]?.person == nil, "a node member is no person")
        let before = f.replica.state.digest
        _ = f.write(0, .addMember(publicKey: key, role: .admin, invite: nil, name: "Amara Okafor"), at: 2001)
        #expect(f.replica.state.members[person]?.person?.value.name == "Amara Okafor")
        #expect(f.replica.state.role(of: person) == .admin)
        #expect(f.replica.state.digest != before)
        // Every replica that folds the same ops, in any arrival order, agrees.
        var other = try TeamReplica(genesis: f.genesis)
        _ = other.restore(Array(f.replica.log.dropFirst().reversed()))
        #expect(other.state == f.replica.state)
    }

    @Test func guestsOnlyRead() {
        var f = TeamFixture()
        let (_, outcome) = f.write(3, .renameTeam(name: "mine"), at: 2000)
        #expect(outcome == .rejected(.guestCannotWrite, "guests only read"))
        #expect(f.replica.state.name.value == "field team")
        #expect(f.replica.state.rejectionCounts[.guestCannotWrite] == 1)
    }

    @Test func theSuperAdminCannotBeRemovedOrDemoted() {
        var f = TeamFixture()
        let (_, removed) = f.write(1, .removeMember(f.id(0)), at: 2000)
        #expect(removed == .rejected(.protectedSuperAdmin, "the Super Admin cannot be removed or demoted"))
        let (_, demoted) = f.write(1, .setRole(f.id(0), .guest), at: 2001)
        #expect(demoted == .rejected(.protectedSuperAdmin, "the Super Admin cannot be removed or demoted"))
        let (_, crowned) = f.write(0, .setRole(f.id(1), .superAdmin), at: 2002)
        #expect(crowned == .rejected(.forbidden, "the Super Admin role is not given, only held"))
        #expect(f.replica.state.role(of: f.id(0)) == .superAdmin)
    }

    @Test func adminsManageMembersButMembersDoNot() {
        var f = TeamFixture()
        let (_, byMember) = f.write(2, .removeMember(f.id(3)), at: 2000)
        #expect(byMember == .rejected(.forbidden, "needs admin, author is member"))
        let (_, byAdmin) = f.write(1, .setRole(f.id(3), .member), at: 2001)
        #expect(byAdmin == .applied)
        #expect(f.replica.state.role(of: f.id(3)) == .member)
        let (_, removal) = f.write(1, .removeMember(f.id(2)), at: 2002)
        #expect(removal == .applied)
        #expect(f.replica.state.role(of: f.id(2)) == nil)
        // A removed member's later ops are refused everywhere.
        let (_, after) = f.write(2, .createItem(workflow: f.genesis.id, title: "x", priority: 0), at: 2003)
        #expect(after == .rejected(.notAMember, "\(f.id(2).short) is not a member"))
    }

    @Test func invitesAreSingleUseAndExpire() {
        var f = TeamFixture()
        let (invite, _) = f.write(1, .createInvite(role: .member, expiresWallMs: 10_000), at: 2000)
        let joiner = keys(20).publicKey, other = keys(21).publicKey
        let (_, first) = f.write(1, .addMember(publicKey: joiner, role: .member, invite: invite.id), at: 3000)
        #expect(first == .applied)
        let (_, again) = f.write(1, .addMember(publicKey: other, role: .member, invite: invite.id), at: 3001)
        #expect(again == .rejected(.invalid, "invite \(invite.id.short) is used or revoked"))
        let (late, _) = f.write(1, .createInvite(role: .guest, expiresWallMs: 4000), at: 3002)
        let (_, expired) = f.write(1, .addMember(publicKey: other, role: .guest, invite: late.id), at: 5000)
        #expect(expired == .rejected(.invalid, "invite \(late.id.short) expired"))
    }

    @Test func failsafePromotesAnAdminAfterSilenceAndApproval() {
        var f = TeamFixture(roles: [.admin, .admin, .member])
        let day: UInt64 = 86_400_000
        let (early, earlyOutcome) = f.write(1, .requestPromotion, at: 10 * day)
        #expect(earlyOutcome == .rejected(.invalid, "the Super Admin was heard less than 30 days ago"))
        _ = early
        let (request, asked) = f.write(1, .requestPromotion, at: 31 * day)
        #expect(asked == .applied)
        let (_, selfApproved) = f.write(1, .approvePromotion(request: request.id), at: 31 * day + 1)
        #expect(selfApproved == .rejected(.forbidden, "another Admin must approve"))
        let (_, approved) = f.write(2, .approvePromotion(request: request.id), at: 31 * day + 2)
        #expect(approved == .applied)
        #expect(f.replica.state.role(of: f.id(1)) == .superAdmin)
        // The promoted Admin now does what only a Super Admin may: demote another Admin.
        let (_, demote) = f.write(1, .setRole(f.id(2), .member), at: 31 * day + 3)
        #expect(demote == .applied)
        // The Super Admin returns: the promotion ends.
        f.write(0, .renameTeam(name: "back"), at: 32 * day)
        #expect(f.replica.state.role(of: f.id(1)) == .admin)
    }
}

@Suite struct WorkflowRulesTests {
    func withWorkflow() -> (TeamFixture, OpID) {
        var f = TeamFixture(roles: [.admin, .member, .member, .guest])
        let (wf, outcome) = f.write(1, .defineWorkflow(name: "repairs", stages: [
            StageDefinition(name: "triage", roles: [.member, .admin], slaSeconds: 100),
            StageDefinition(name: "review", roles: [.admin], slaSeconds: nil),
        ]), at: 2000)
        #expect(outcome == .applied)
        return (f, wf.id)
    }

    @Test func itemGoesThroughStagesToCompleted() {
        var (f, wf) = withWorkflow()
        let (item, _) = f.write(2, .createItem(workflow: wf, title: "pump", priority: 5), at: 3000)
        let (claim, c) = f.write(2, .claimItem(item.id, base: item.id), at: 3001)
        #expect(c == .applied)
        let (start, s) = f.write(2, .startItem(item.id, base: claim.id), at: 3002)
        #expect(s == .applied)
        let (done1, d) = f.write(2, .completeItem(item.id, base: start.id), at: 3003)
        #expect(d == .applied)
        var state = f.replica.state.items[item.id]!
        #expect(state.stage == 1 && state.status == .queued && state.assignee == nil)
        // Stage two is for Admins only.
        let (_, memberClaim) = f.write(2, .claimItem(item.id, base: done1.id), at: 3004)
        #expect(memberClaim == .rejected(.forbidden, "stage 'review' is for admin and above; you are member"))
        let (adminClaim, _) = f.write(1, .claimItem(item.id, base: done1.id), at: 3005)
        f.write(1, .completeItem(item.id, base: adminClaim.id), at: 3006)
        state = f.replica.state.items[item.id]!
        #expect(state.status == .completed)
        #expect(state.history.map(\.action) == ["create", "claim", "start", "complete", "claim", "complete"])
    }

    /// The CLI issue: "the founder may do everything", yet a Super Admin was refused a claim in a
    /// Member stage. One rule now: a stage admits its roles and every role above them.
    @Test func aStageAdmitsItsRolesAndEveryRoleAbove() {
        let member = StageDefinition(name: "fix", roles: [.member], slaSeconds: nil)
        #expect(member.admits(.member) && member.admits(.admin) && member.admits(.superAdmin))
        #expect(!member.admits(.guest))
        let admin = StageDefinition(name: "review", roles: [.admin], slaSeconds: nil)
        #expect(!admin.admits(.member) && admin.admits(.superAdmin))
        let anyone = StageDefinition(name: "open", roles: [], slaSeconds: nil)
        #expect(anyone.admits(.member) && !anyone.admits(.guest))
        #expect(!StageDefinition(name: "g", roles: [.guest], slaSeconds: nil).admits(.guest), "guests never write")

        var (f, wf) = withWorkflow()
        let (item, _) = f.write(2, .createItem(workflow: wf, title: "pump", priority: 5), at: 3000)
        // The creator (Super Admin) claims in the Members' first stage.
        let (_, claimed) = f.write(0, .claimItem(item.id, base: item.id), at: 3001)
        #expect(claimed == .applied)
        #expect(f.replica.state.items[item.id]?.assignee == f.id(0))
        #expect(f.replica.state.queue(role: .superAdmin).contains { $0.id == item.id })
    }

    @Test func concurrentClaimsPickOneOwnerAndRecordTheOther() {
        var (f, wf) = withWorkflow()
        let (item, _) = f.write(1, .createItem(workflow: wf, title: "gate", priority: 0), at: 3000)
        // Members 2 and 3 both claim against the same revision, at nearly the same time.
        let a = f.authors[2].write(.claimItem(item.id, base: item.id), in: f.replica, wallMs: 4000)
        let b = f.authors[3].write(.claimItem(item.id, base: item.id), in: f.replica, wallMs: 4000)
        let report = f.replica.ingest([b, a])
        let winner = min(a.sortKey, b.sortKey) == a.sortKey ? a : b
        let loser = winner == a ? b : a
        #expect(report.outcomes[winner.id] == .applied)
        guard case let .conflict(c)? = report.outcomes[loser.id] else {
            Issue.record("the second claim must be a conflict")
            return
        }
        #expect(c.winner == winner.author && c.author == loser.author && c.item == item.id)
        #expect(f.replica.state.items[item.id]!.assignee == winner.author)
        #expect(f.replica.state.conflicts.count == 1)
    }

    @Test func slaStates() {
        #expect(SLAState.of(enteredMs: 0, slaSeconds: 100, nowMs: 79_999, completed: false) == .ok)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: 100, nowMs: 80_000, completed: false) == .warning)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: 100, nowMs: 100_000, completed: false) == .overdue)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: nil, nowMs: .max, completed: false) == .ok)
        #expect(SLAState.of(enteredMs: 0, slaSeconds: 100, nowMs: 500_000, completed: true) == .done)
    }

    @Test func queueOrdersByPriorityAndFiltersByRole() {
        var (f, wf) = withWorkflow()
        let (low, _) = f.write(2, .createItem(workflow: wf, title: "low", priority: 1), at: 3000)
        let (high, _) = f.write(2, .createItem(workflow: wf, title: "high", priority: 9), at: 3001)
        #expect(f.replica.state.queue(workflow: wf, role: .member).map(\.id) == [high.id, low.id])
        #expect(f.replica.state.queue(workflow: wf, role: .guest).isEmpty)
        f.write(2, .setPriority(low.id, 10), at: 3002)
        #expect(f.replica.state.queue(workflow: wf).first?.id == low.id)
    }
}

@Suite struct VaultRulesTests {
    func meta(_ n: UInt8, size: UInt64 = 10, chunkSize: UInt32 = 4) -> BlobMetadata {
        let chunks = (0..<Int((size + UInt64(chunkSize) - 1) / UInt64(chunkSize))).map { OpID(bytes: [UInt8](repeating: UInt8($0), count: 32))! }
        return BlobMetadata(blob: OpID(bytes: [UInt8](repeating: n, count: 32))!, name: "b\(n)", size: size, chunks: chunks, chunkSize: chunkSize)
    }

    @Test func putDeleteAndOwnership() {
        var f = TeamFixture(roles: [.admin, .member, .member])
        #expect(f.write(2, .putBlob(meta(1)), at: 2000).1 == .applied)
        #expect(f.replica.state.vault[meta(1).blob]?.owner == f.id(2))
        #expect(f.write(3, .deleteBlob(meta(1).blob), at: 2001).1 == .rejected(.forbidden, "only its owner or an Admin deletes a blob"))
        #expect(f.write(1, .deleteBlob(meta(1).blob), at: 2002).1 == .applied)
        #expect(f.replica.state.vault[meta(1).blob] == nil)
    }

    @Test func chunkCountMustFitTheSize() {
        var f = TeamFixture()
        var bad = meta(2)
        bad.chunks.removeLast()
        #expect(f.write(2, .putBlob(bad), at: 2000).1 == .rejected(.invalid, "2 chunks for 10 bytes in chunks of 4"))
        #expect(f.write(2, .putBlob(meta(3, size: 10, chunkSize: VaultLimits.maxChunkBytes + 1)), at: 2001).1
                == .rejected(.invalid, "chunk size must be 1...\(VaultLimits.maxChunkBytes) bytes"))
    }
}
