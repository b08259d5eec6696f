import Wire

/// What a `PostMessage` op says (PROTOCOL.md section 14): the text, where it goes, whom it
/// mentions and which vault files it attaches. `OpValidator.message` holds its limits.
public struct MessageContent: Hashable, Sendable {
    /// The channel (`general`, `logistics`, …); empty when the message is in an item's thread.
    public var channel: String
    /// The work item whose thread this is; nil for a channel message.
    public var item: OpID?
    /// 1 to `OpLimits.messageBytes` bytes of UTF-8, shown as written (the page shows it as text).
    public var text: String
    /// Members the author calls on, in the author's order.
    public var mentions: [NodeID]
    /// Vault files, by blob ID.
    public var attachments: [BlobID]

    public init(channel: String = "", item: OpID? = nil, text: String, mentions: [NodeID] = [], attachments: [BlobID] = []) {
        self.channel = channel
        self.item = item
        self.text = text
        self.mentions = mentions
        self.attachments = attachments
    }
}

/// A message as the team holds it once the rules accepted it.
public struct TeamMessage: Equatable, Sendable {
    /// The op that posted it: the message's ID.
    public let id: OpID
    public let author: NodeID
    /// When the author's clock placed it; messages are shown in `sortKey` order, the same on every replica.
    public let at: HLCTimestamp
    public let sortKey: OpSortKey
    public let channel: String
    public let item: OpID?
    public let text: String
    /// The mentions that named members when it was folded (others are dropped, not refused: a
    /// message is not lost because someone it named left the team meanwhile).
    public let mentions: [NodeID]
    public let attachments: [BlobID]
}
