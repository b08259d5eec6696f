import Wire

/// Something a member should look at, derived from a team's state and the time (issue 18,
/// item 3). Nothing is stored: the same state and time give the same list on every node.
public struct TeamNotification: Equatable, Sendable {
    public enum Kind: String, Sendable, Equatable {
        /// A message names the member.
        case mention
        /// An item the member holds, or may claim, has used 80% of its stage's time.
        case slaWarning = "sla-warning"
        /// … or all of it.
        case overdue
    }

    public let kind: Kind
    /// When it became true: the message's time, or the moment the item crossed 80% or 100%.
    public let atMs: UInt64
    public let message: TeamMessage?
    public let item: WorkItem?
}

extension TeamState {
    /// What `me` (the member IDs a caller answers to: their person, and the node for the
    /// founder) should look at at wall time `nowMs`, newest first:
    /// - messages by someone else that mention one of `me`;
    /// - items that are warning or overdue and either assigned to one of `me`, or queued in a
    ///   stage one of `me` may claim (the stage's role hears it, so nobody is left unwarned).
    public func notifications(for me: [NodeID], nowMs: UInt64) -> [TeamNotification] {
        let members = me.filter { role(of: $0) != nil }
        guard !members.isEmpty else { return [] }
        var out: [TeamNotification] = []
        for m in messages where !members.contains(m.author) && m.mentions.contains(where: members.contains) {
            out.append(TeamNotification(kind: .mention, atMs: m.at.wallMs, message: m, item: nil))
        }
        let roles = members.compactMap { role(of: $0) }
        for id in items.keys.sorted() {
            let item = items[id]!
            guard let stage = stage(of: item), let seconds = stage.slaSeconds else { continue }
            let concerns = item.assignee.map(members.contains) ?? (item.status == .queued && roles.contains(where: stage.admits))
            guard concerns else { continue }
            let budgetMs = seconds.multipliedReportingOverflow(by: 1000)
            guard !budgetMs.overflow else { continue }
            switch sla(of: item, nowMs: nowMs) {
            case .warning:
                out.append(TeamNotification(kind: .slaWarning, atMs: Self.sum(item.stageEnteredWallMs, budgetMs.partialValue / 10 * 8),
                                            message: nil, item: item))
            case .overdue:
                out.append(TeamNotification(kind: .overdue, atMs: Self.sum(item.stageEnteredWallMs, budgetMs.partialValue), message: nil, item: item))
            case .ok, .done:
                break
            }
        }
        // Newest first; ties by kind then the message's or item's ID, so the order is the same everywhere.
        return out.sorted { a, b in
            if a.atMs != b.atMs { return a.atMs > b.atMs }
            if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
            return (a.message?.id ?? a.item!.id) < (b.message?.id ?? b.item!.id)
        }
    }

    /// Times come from signed ops: a sum past the end of time saturates rather than trap.
    private static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (total, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : total
    }
}
