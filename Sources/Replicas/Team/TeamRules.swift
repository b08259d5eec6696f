import Sodium
import Wire

/// How the rules decided one op.
public enum RuleOutcome: Equatable, Sendable {
    case applied
    case rejected(Rejection.Reason, String)
    case conflict(Conflict)
}

extension TeamState {
    /// How the rules would decide `op` if it were folded next: the check a local write passes
    /// before it is logged. Changes nothing.
    public func check(_ op: SignedOp, cuts: RemovalCuts = RemovalCuts()) -> RuleOutcome {
        var trial = self
        return TeamRules.apply(op, to: &trial, cuts: cuts)
    }
}

/// The rules every replica applies, in fold order, to decide each op (PROTOCOL.md section 7.3).
///
/// An op is checked against the membership its author had at that point of the fold, so the
/// same op is accepted or refused everywhere; a removal or demotion its author's later ops
/// cannot be dated around holds for them wherever they sort (`RemovalCuts`). Refused ops change nothing but the rejection
/// counts; an op that lost a race (an item changed since its author looked) is a conflict.
enum TeamRules {
    typealias Outcome = RuleOutcome

    /// Applies `op` (not the team's creation) to `state`.
    static func apply(_ op: SignedOp, to state: inout TeamState, cuts: RemovalCuts) -> Outcome {
        let author = op.author
        guard var role = state.role(of: author) else {
            return record(.rejected(.notAMember, "\(author.short) is not a member"), op, &state)
        }
        if !cuts.isEmpty, let limit = cuts.limit(for: op, in: state) {
            guard let limited = limit else {
                return record(.rejected(.signedAfterRemoval,
                                        "\(author.short) was removed by an op that had not seen this one (seq \(op.body.seq))"),
                              op, &state)
            }
            role = min(role, limited)
        }
        // The Super Admin's return ends a failsafe promotion.
        if author == state.creator, state.promotion != nil { state.promotion = nil }
        state.lastHeard[author] = max(state.lastHeard[author] ?? .zero, op.body.hlc)
        guard role > .guest else {
            return record(.rejected(.guestCannotWrite, "guests only read"), op, &state)
        }
        let outcome: Outcome
        switch op.body.operation {
        case .createTeam:
            outcome = .rejected(.duplicateTeam, "a team is created once")
        case let .renameTeam(name):
            outcome = require(role, .admin) ?? {
                state.name.assign(name, stamp: op.sortKey)
                return .applied
            }()
        case let .addMember(key, newRole, invite, name, device):
            outcome = addMember(op, key: key, role: newRole, invite: invite, person: name.map { PersonRecord(name: $0, device: device) },
                                authorRole: role, state: &state)
        case let .removeMember(target, _):
            outcome = manage(target, authorRole: role, state: state) ?? {
                state.members.remove(target)
                if state.promotion?.acting == target { state.promotion = nil }
                return .applied
            }()
        case let .setRole(target, newRole, _):
            if newRole == .superAdmin { outcome = .rejected(.forbidden, "the Super Admin role is not given, only held") }
            else {
                outcome = manage(target, authorRole: role, state: state) ?? {
                    state.members.update(target) { $0.role.assign(newRole, stamp: op.sortKey) }
                    return .applied
                }()
            }
        case let .createInvite(inviteRole, expires):
            outcome = require(role, .admin) ?? (inviteRole == .superAdmin
                ? .rejected(.forbidden, "no invite to Super Admin")
                : {
                    state.invites[op.id] = Invite(id: op.id, role: inviteRole, createdBy: author, expiresWallMs: expires)
                    return .applied
                }())
        case let .revokeInvite(id):
            outcome = require(role, .admin) ?? (state.invites[id] == nil
                ? .rejected(.unknownTarget, "no invite \(id.short)")
                : {
                    state.invites[id]!.revoked = true
                    return .applied
                }())
        case .requestPromotion:
            outcome = requestPromotion(op, role: role, state: &state)
        case let .approvePromotion(request):
            outcome = approvePromotion(op, request: request, role: role, state: &state)
        case .defineWorkflow, .createItem, .claimItem, .startItem, .completeItem, .setPriority:
            outcome = WorkflowRules.apply(op, role: role, to: &state)
        case .putBlob, .deleteBlob:
            outcome = VaultRules.apply(op, role: role, to: &state)
        case .postMessage:
            outcome = MessageRules.apply(op, role: role, to: &state)
        }
        return record(outcome, op, &state)
    }

    private static func record(_ outcome: Outcome, _ op: SignedOp, _ state: inout TeamState) -> Outcome {
        switch outcome {
        case .applied:
            state.appliedOps += 1
        case let .rejected(reason, detail):
            state.rejectionCounts[reason, default: 0] += 1
            state.recentRejections.append(Rejection(op: op.id, author: op.author, action: op.body.operation.name,
                                                    reason: reason, detail: detail))
            if state.recentRejections.count > TeamState.recentRejectionLimit { state.recentRejections.removeFirst() }
        case let .conflict(c):
            state.conflicts.append(c)
        }
        return outcome
    }

    static func require(_ role: Role, _ needed: Role) -> Outcome? {
        role >= needed ? nil : .rejected(.forbidden, "needs \(needed), author is \(role)")
    }

    /// Admins manage members, never the Super Admin (nor themselves out of the team).
    private static func manage(_ target: NodeID, authorRole: Role, state: TeamState) -> Outcome? {
        if let r = require(authorRole, .admin) { return r }
        guard let targetRole = state.role(of: target) else { return .rejected(.unknownTarget, "\(target.short) is not a member") }
        if targetRole == .superAdmin { return .rejected(.protectedSuperAdmin, "the Super Admin cannot be removed or demoted") }
        return nil
    }

    private static func addMember(_ op: SignedOp, key: Ed25519PublicKey, role: Role, invite: OpID?, person: PersonRecord?,
                                  authorRole: Role, state: inout TeamState) -> Outcome {
        if let r = require(authorRole, .admin) { return r }
        if role == .superAdmin { return .rejected(.forbidden, "the Super Admin role is not given, only held") }
        let node = NodeID(publicKey: key)
        if state.role(of: node) == .superAdmin { return .rejected(.protectedSuperAdmin, "already the Super Admin") }
        if let invite {
            guard let i = state.invites[invite] else { return .rejected(.unknownTarget, "no invite \(invite.short)") }
            guard !i.revoked, i.usedBy == nil else { return .rejected(.invalid, "invite \(invite.short) is used or revoked") }
            guard op.body.hlc.wallMs <= i.expiresWallMs else { return .rejected(.invalid, "invite \(invite.short) expired") }
            guard role == i.role else { return .rejected(.invalid, "invite \(invite.short) is for \(i.role)") }
            state.invites[invite]!.usedBy = node
        }
        // A member added again (after a removal, or by two Admins at once) takes the newer role.
        state.members.put(node, MemberRecord(publicKey: key, role: LWWRegister(role, stamp: op.sortKey),
                                             person: person.map { LWWRegister($0, stamp: op.sortKey) }), tag: op.id)
        return .applied
    }

    private static func requestPromotion(_ op: SignedOp, role: Role, state: inout TeamState) -> Outcome {
        guard role == .admin else { return .rejected(.forbidden, "only an Admin may ask for the failsafe") }
        let silence = UInt64(state.failsafeSilenceDays) * 86_400_000
        let heard = state.lastHeard[state.creator]?.wallMs ?? 0
        // Both times come from signed ops (a creator's HLC may be near the end of time): the sum
        // saturates, and a silence that cannot end has not ended.
        let (silentUntil, overflow) = heard.addingReportingOverflow(silence)
        guard !overflow, op.body.hlc.wallMs >= silentUntil else {
            return .rejected(.invalid, "the Super Admin was heard less than \(state.failsafeSilenceDays) days ago")
        }
        state.promotionRequests[op.id] = PromotionRequest(id: op.id, requester: op.author, at: op.body.hlc)
        return .applied
    }

    private static func approvePromotion(_ op: SignedOp, request: OpID, role: Role, state: inout TeamState) -> Outcome {
        guard role >= .admin else { return .rejected(.forbidden, "only an Admin may approve the failsafe") }
        guard let r = state.promotionRequests[request] else { return .rejected(.unknownTarget, "no request \(request.short)") }
        guard r.requester != op.author else { return .rejected(.forbidden, "another Admin must approve") }
        guard state.role(of: r.requester) == .admin else { return .rejected(.invalid, "the requester is no longer an Admin") }
        let heard = state.lastHeard[state.creator] ?? .zero
        guard heard < r.at else { return .rejected(.invalid, "the Super Admin has been heard since the request") }
        state.promotion = Promotion(acting: r.requester, approvedBy: op.author, since: op.body.hlc)
        state.promotionRequests[request] = nil
        return .applied
    }
}
