/// Observed-remove map: keys behave as in `ORSet` (add wins over a concurrent remove), and the
/// values under a key merge as their own CRDT.
public struct ORMap<Key: Hashable & Sendable, Value: Mergeable>: Mergeable {
    private var entries: [Key: (tags: Set<OpID>, value: Value)] = [:]
    private var removed: Set<OpID> = []

    public init() {}

    public subscript(key: Key) -> Value? {
        guard let e = entries[key], e.tags.contains(where: { !removed.contains($0) }) else { return nil }
        return e.value
    }

    /// Whether `key` was ever put, present now or removed since.
    public func wasEverPut(_ key: Key) -> Bool { entries[key] != nil }

    /// Present keys (in no particular order: sort before output).
    public var keys: [Key] { entries.keys.filter { self[$0] != nil } }

    public var count: Int { keys.count }

    /// Puts `value` under `key` with a new tag; an existing value merges with it.
    public mutating func put(_ key: Key, _ value: Value, tag: OpID) {
        guard !removed.contains(tag) else { return }
        if let e = entries[key] {
            entries[key] = (e.tags.union([tag]), e.value.merged(with: value))
        } else {
            entries[key] = ([tag], value)
        }
    }

    /// Changes the value under a present key.
    public mutating func update(_ key: Key, _ body: (inout Value) -> Void) {
        guard self[key] != nil, var e = entries[key] else { return }
        body(&e.value)
        entries[key] = e
    }

    /// Removes `key` as observed now.
    public mutating func remove(_ key: Key) {
        guard let e = entries[key] else { return }
        removed.formUnion(e.tags)
    }

    public func merged(with other: ORMap) -> ORMap {
        var out = self
        for (k, e) in other.entries {
            if let mine = out.entries[k] {
                out.entries[k] = (mine.tags.union(e.tags), mine.value.merged(with: e.value))
            } else {
                out.entries[k] = e
            }
        }
        out.removed.formUnion(other.removed)
        return out
    }

    public static func == (a: ORMap, b: ORMap) -> Bool {
        guard a.removed == b.removed, a.entries.count == b.entries.count else { return false }
        for (k, e) in a.entries {
            guard let o = b.entries[k], o.tags == e.tags, o.value == e.value else { return false }
        }
        return true
    }
}
