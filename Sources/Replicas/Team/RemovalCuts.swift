import Wire

/// The removals and demotions in a team's log, by the member they cut, so an op a member signed
/// after its removal cannot be back-dated to before it (PROTOCOL.md section 7.4).
///
/// A `removeMember` or `setRole` op records `seenSeq`: the highest sequence number of the
/// member's ops its writer's log held. The member's ops with a higher sequence number were not
/// seen by the writer, so whatever HLC their author gave them they may have been signed after
/// the removal. Every replica judges them with the removal (or the lower role) in force, even
/// where their HLC places them before it.
///
/// Rules it keeps:
/// - it is a function of the log alone (not of the order ops arrived in), so every replica with
///   the same log judges the same way;
/// - a cut counts at an op's place only if its writer could remove or demote the member there:
///   an Admin or the Super Admin in the state folded so far, the member not the Super Admin;
/// - a cut whose own op was cut (its writer removed before it, by a writer with that power)
///   counts for nothing; this is followed `maxDepth` cuts deep, beyond which a cut counts;
/// - a role change to a role at or above the member's counts for nothing (it cuts nothing).
public struct RemovalCuts: Sendable {
    /// One removal or demotion in the log.
    struct Cut: Sendable {
        /// The member's ops with a sequence number above this were not seen by the writer.
        var seenSeq: UInt64
        /// Where the removal sorts.
        var key: OpSortKey
        var writer: NodeID
        /// The role left to the member; nil for a removal.
        var role: Role?
    }

    /// How many cuts deep a cut's own validity is followed.
    static let maxDepth = 4

    private var byMember: [NodeID: [Cut]] = [:]

    public init() {}

    /// True when no removal or demotion has been logged.
    public var isEmpty: Bool { byMember.isEmpty }

    /// Records `op` if it removes or demotes a member and says how far its writer had seen.
    /// Returns the member cut, if any.
    @discardableResult
    mutating func record(_ op: SignedOp) -> (member: NodeID, seenSeq: UInt64)? {
        let cut: (NodeID, Cut)
        switch op.body.operation {
        case let .removeMember(member, seen?):
            cut = (member, Cut(seenSeq: seen, key: op.sortKey, writer: op.author, role: nil))
        case let .setRole(member, role, seen?) where role != .superAdmin:
            cut = (member, Cut(seenSeq: seen, key: op.sortKey, writer: op.author, role: role))
        default:
            return nil
        }
        byMember[cut.0, default: []].append(cut.1)
        return (cut.0, cut.1.seenSeq)
    }

    /// Every member cut, with the lowest `seenSeq` recorded for it (sorted by member).
    var members: [(member: NodeID, seenSeq: UInt64)] {
        byMember.keys.sorted().map { member in (member, byMember[member]!.map(\.seenSeq).min()!) }
    }

    /// What a cut leaves `op`'s author at `op`'s place: `.some(nil)` when a removal there is in
    /// force (the op is judged as by a non-member), `.some(role)` for the lowest role a
    /// demotion in force leaves, nil when no cut applies.
    func limit(for op: SignedOp, in state: TeamState) -> Role?? {
        limit(member: op.author, seq: op.body.seq, key: op.sortKey, in: state, depth: 0)
    }

    private func limit(member: NodeID, seq: UInt64, key: OpSortKey, in state: TeamState, depth: Int) -> Role?? {
        guard let cuts = byMember[member], depth < Self.maxDepth else { return nil }
        guard let current = state.role(of: member), current != .superAdmin else { return nil }
        var result: Role?? = nil
        for cut in cuts where seq > cut.seenSeq && key < cut.key {
            if let role = cut.role, role >= current { continue }
            guard let writerRole = state.role(of: cut.writer), writerRole >= .admin else { continue }
            // The writer's own op may be one signed after the writer was removed.
            if let writerLimit = limit(member: cut.writer, seq: cut.key.seq, key: cut.key, in: state, depth: depth + 1),
               (writerLimit ?? .guest) < .admin { continue }
            guard let role = cut.role else { return .some(nil) }
            if case let .some(.some(lowest)) = result, lowest <= role { continue }
            result = .some(role)
        }
        return result
    }
}
