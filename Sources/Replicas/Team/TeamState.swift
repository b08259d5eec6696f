import Sodium
import Wire

/// Everything one team shares, as materialized from its op log: the team itself, its
/// workflows and work items, its vault index, and the conflicts and rejections its ops met.
///
/// It is a pure function of the set of ops: `TeamReplica` folds them in the total order of
/// `OpSortKey`, and `TeamRules` decides each op against the state the ops before it made.
/// Replicas with the same ops therefore hold equal states, which `digest` makes comparable.
public struct TeamState: Equatable, Sendable {
    public let id: TeamID
    public internal(set) var name: LWWRegister<String>
    public let creator: NodeID
    /// Days the Super Admin must be silent before the failsafe may promote an Admin.
    public let failsafeSilenceDays: UInt32
    public internal(set) var members: ORMap<NodeID, MemberRecord>
    public internal(set) var invites: [OpID: Invite] = [:]
    public internal(set) var promotionRequests: [OpID: PromotionRequest] = [:]
    /// An Admin acting as Super Admin through the failsafe, until the Super Admin is heard again.
    public internal(set) var promotion: Promotion?
    /// The HLC of each member's latest op: silence is measured from it.
    public internal(set) var lastHeard: [NodeID: HLCTimestamp] = [:]
    public internal(set) var workflows: [OpID: Workflow] = [:]
    public internal(set) var items: [OpID: WorkItem] = [:]
    public internal(set) var vault: ORMap<BlobID, VaultEntry> = ORMap()
    /// Every message the rules accepted, in sort-key order (the same order on every replica).
    public internal(set) var messages: [TeamMessage] = []
    /// Changes that lost a race (a claim of an item another member claimed first), in fold order.
    public internal(set) var conflicts: [Conflict] = []
    /// Ops refused by the rules, counted by reason; the latest few kept for display.
    public internal(set) var rejectionCounts: [Rejection.Reason: Int] = [:]
    public internal(set) var recentRejections: [Rejection] = []
    public internal(set) var appliedOps = 0

    /// How many rejections are kept for display.
    public static let recentRejectionLimit = 100

    init(genesis op: SignedOp, name: String, failsafeSilenceDays: UInt32) {
        id = op.id
        creator = op.author
        self.name = LWWRegister(name, stamp: op.sortKey)
        self.failsafeSilenceDays = failsafeSilenceDays
        members = ORMap()
        members.put(op.author, MemberRecord(publicKey: op.body.authorKey, role: LWWRegister(.superAdmin, stamp: op.sortKey)),
                    tag: op.id)
        lastHeard[op.author] = op.body.hlc
        appliedOps = 1
    }

    /// The role `node` holds now, nil when it is not a member. The creator is Super Admin, and
    /// so is an Admin the failsafe promoted while the promotion lasts.
    public func role(of node: NodeID) -> Role? {
        if node == creator { return .superAdmin }
        guard let record = members[node] else { return nil }
        if promotion?.acting == node { return .superAdmin }
        return record.role.value
    }

    /// Members sorted by node ID.
    public var memberIDs: [NodeID] { members.keys.sorted() }
}

/// A member as the team records it.
public struct MemberRecord: Mergeable {
    public var publicKey: Ed25519PublicKey
    public var role: LWWRegister<Role>
    /// Set when the member is a person (PROTOCOL.md section 13): their name and device, as the
    /// latest AddMember that named them says; nil for a node.
    public var person: LWWRegister<PersonRecord>?

    public func merged(with other: MemberRecord) -> MemberRecord {
        let person: LWWRegister<PersonRecord>? = switch (self.person, other.person) {
        case let (a?, b?): a.merged(with: b)
        case let (a, b): a ?? b
        }
        return MemberRecord(publicKey: publicKey, role: role.merged(with: other.role), person: person)
    }
}

/// What a team knows of a member who is a person.
public struct PersonRecord: Equatable, Sendable {
    public var name: String
    /// The node the person's keys were made on, when the AddMember said.
    public var device: NodeID?
}

/// An invitation to join with a role, made by an Admin; fulfilled by an AddMember naming it.
public struct Invite: Equatable, Sendable {
    public var id: OpID
    public var role: Role
    public var createdBy: NodeID
    public var expiresWallMs: UInt64
    public var revoked = false
    public var usedBy: NodeID?
}

public struct PromotionRequest: Equatable, Sendable {
    public var id: OpID
    public var requester: NodeID
    public var at: HLCTimestamp
}

public struct Promotion: Equatable, Sendable {
    public var acting: NodeID
    public var approvedBy: NodeID
    public var since: HLCTimestamp
}

/// A change that lost a race. Every replica records the same conflicts, so the loser can be told.
public struct Conflict: Equatable, Sendable {
    public var op: OpID
    public var author: NodeID
    public var item: OpID
    public var action: String
    /// The op the item's state came from when the losing op was applied.
    public var winningOp: OpID
    public var winner: NodeID?
    public var at: HLCTimestamp
}

/// An op the rules refused. Refused ops stay in the log (they are part of what every replica
/// agrees on) but change nothing.
public struct Rejection: Equatable, Sendable {
    public enum Reason: String, Sendable, CaseIterable, Comparable {
        case notAMember = "not-a-member"
        case guestCannotWrite = "guest-cannot-write"
        case forbidden = "forbidden"
        case protectedSuperAdmin = "protected-super-admin"
        case unknownTarget = "unknown-target"
        case invalid = "invalid"
        case duplicateTeam = "duplicate-team"
        /// Signed by a member after a removal that had not seen it, however it is dated.
        case signedAfterRemoval = "signed-after-removal"

        public static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
    }

    public var op: OpID
    public var author: NodeID
    public var action: String
    public var reason: Reason
    public var detail: String
}
