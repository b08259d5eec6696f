import Wire

/// Multi-value register: concurrent writes are all kept, so a conflict can be shown rather than
/// lost. A write is tagged with a dot (author, that author's counter) and replaces exactly the
/// values its author had seen, described by a version vector (the causal context).
public struct MVRegister<Value: Hashable & Sendable>: Mergeable {
    public struct Dot: Hashable, Sendable {
        public var author: NodeID
        public var counter: UInt64
    }

    private var entries: [Dot: Value] = [:]
    /// Every dot this register has seen, written or overwritten.
    public private(set) var context = VersionVector()

    public init() {}

    /// The current values: one unless writes were concurrent. Sorted by dot for display.
    public var values: [Value] {
        entries.keys.sorted { ($0.author, $0.counter) < ($1.author, $1.counter) }.map { entries[$0]! }
    }

    /// Writes `value` by `author`, replacing everything this replica has seen.
    public mutating func assign(_ value: Value, by author: NodeID) {
        let dot = Dot(author: author, counter: context[author] + 1)
        entries = [dot: value]
        context[author] = dot.counter
    }

    public func merged(with other: MVRegister) -> MVRegister {
        var out = MVRegister()
        // Keep a value if both sides have it, or if the other side has never seen its dot.
        for (dot, v) in entries where other.entries[dot] != nil || other.context[dot.author] < dot.counter {
            out.entries[dot] = v
        }
        for (dot, v) in other.entries where entries[dot] != nil || context[dot.author] < dot.counter {
            out.entries[dot] = v
        }
        out.context = context.merged(with: other.context)
        return out
    }
}
