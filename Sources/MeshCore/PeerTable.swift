import Wire

/// Per-peer state kept in node-ID order: iteration is by position (no hashing, and the same
/// order in every process), lookup by ID goes through one index.
///
/// Mutate a value in place through `values[i]` (or `update`): reading it out through the
/// subscript and writing it back would copy any array it holds.
struct PeerTable<Value>: Sendable where Value: Sendable {
    private(set) var ids: [NodeID] = []
    var values: [Value] = []
    private var slot: [NodeID: Int] = [:]

    var count: Int { ids.count }
    var indices: Range<Int> { ids.indices }

    func index(of id: NodeID) -> Int? { slot[id] }

    func contains(_ id: NodeID) -> Bool { slot[id] != nil }

    /// The value for `id`. Assigning changes an existing entry only (use `insert` to add).
    subscript(id: NodeID) -> Value? {
        get { slot[id].map { values[$0] } }
        set { if let i = slot[id], let newValue { values[i] = newValue } }
    }

    /// Changes the value for `id` in place; false when `id` is absent.
    @discardableResult
    mutating func update(_ id: NodeID, _ body: (inout Value) -> Void) -> Bool {
        guard let i = slot[id] else { return false }
        body(&values[i])
        return true
    }

    /// Adds `id` at its sorted position; false when it is already present.
    @discardableResult
    mutating func insert(_ id: NodeID, _ value: Value) -> Bool {
        guard slot[id] == nil else { return false }
        let at = ids.firstIndex { $0 > id } ?? ids.endIndex
        ids.insert(id, at: at)
        values.insert(value, at: at)
        reindex(from: at)
        return true
    }

    /// Removes `id`; returns its value when it was present.
    @discardableResult
    mutating func remove(_ id: NodeID) -> Value? {
        guard let at = slot.removeValue(forKey: id) else { return nil }
        ids.remove(at: at)
        let value = values.remove(at: at)
        reindex(from: at)
        return value
    }

    private mutating func reindex(from start: Int) {
        for i in start..<ids.count { slot[ids[i]] = i }
    }
}
