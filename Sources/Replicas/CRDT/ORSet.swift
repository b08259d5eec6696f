/// Observed-remove set: an add is tagged with a unique tag (the op ID), a remove deletes the
/// tags it observed. An add concurrent with a remove survives (add wins). Removed tags are
/// kept as tombstones so that merges stay lawful.
public struct ORSet<Element: Hashable & Sendable>: Mergeable {
    private var adds: [Element: Set<OpID>] = [:]
    private var removed: Set<OpID> = []

    public init() {}

    public func contains(_ e: Element) -> Bool {
        adds[e]?.contains { !removed.contains($0) } ?? false
    }

    /// The elements present, in `Element` order when comparable is available to the caller.
    public var elements: [Element] { adds.keys.filter(contains) }

    public mutating func insert(_ e: Element, tag: OpID) {
        guard !removed.contains(tag) else { return }
        adds[e, default: []].insert(tag)
    }

    /// Removes `e` as observed now: its current tags become tombstones.
    public mutating func remove(_ e: Element) {
        guard let tags = adds[e] else { return }
        removed.formUnion(tags)
    }

    public func merged(with other: ORSet) -> ORSet {
        var out = self
        for (e, tags) in other.adds { out.adds[e, default: []].formUnion(tags) }
        out.removed.formUnion(other.removed)
        return out
    }
}
