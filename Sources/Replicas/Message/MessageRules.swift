import Wire

/// Rules for messages (PROTOCOL.md section 14). Who may post was settled before: a member above
/// guest, as for every write. Here: an item's thread needs the item, and mentions keep only the
/// members the team has at that point of the fold, so every replica shows the same ones.
enum MessageRules {
    static func apply(_ op: SignedOp, role: Role, to state: inout TeamState) -> TeamRules.Outcome {
        guard case let .postMessage(content) = op.body.operation else { return .rejected(.invalid, "not a message op") }
        if let item = content.item, state.items[item] == nil {
            return .rejected(.unknownTarget, "no item \(item.short)")
        }
        let message = TeamMessage(id: op.id, author: op.author, at: op.body.hlc, sortKey: op.sortKey,
                                  channel: content.channel, item: content.item, text: content.text,
                                  mentions: content.mentions.filter { state.role(of: $0) != nil },
                                  attachments: content.attachments)
        state.insert(message)
        return .applied
    }
}

extension TeamState {
    /// Keeps `messages` in sort-key order. The fold applies ops in that order, so this appends;
    /// the search is there so the order holds whatever a caller does.
    mutating func insert(_ message: TeamMessage) {
        guard let last = messages.last, message.sortKey < last.sortKey else {
            messages.append(message)
            return
        }
        var low = 0, high = messages.count
        while low < high {
            let mid = (low + high) / 2
            if messages[mid].sortKey < message.sortKey { low = mid + 1 } else { high = mid }
        }
        messages.insert(message, at: low)
    }

    /// The messages of `channel`, oldest first.
    public func messages(inChannel channel: String) -> [TeamMessage] {
        messages.filter { $0.item == nil && $0.channel == channel }
    }

    /// The thread of work item `item`, oldest first.
    public func messages(onItem item: OpID) -> [TeamMessage] {
        messages.filter { $0.item == item }
    }

    /// Every channel with a message, by name, with its count and latest message.
    public var channels: [(name: String, count: Int, latest: TeamMessage)] {
        var byName: [String: (count: Int, latest: TeamMessage)] = [:]
        for m in messages where m.item == nil {
            let count = (byName[m.channel]?.count ?? 0) + 1
            byName[m.channel] = (count, m)  // in order, so the last seen is the latest
        }
        return byName.keys.sorted().map { (name: $0, count: byName[$0]!.count, latest: byName[$0]!.latest) }
    }
}
