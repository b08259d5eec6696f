import DequeModule

/// A map bounded by entry count and by age: the shape of every "recently seen" structure in
/// the mesh (DESIGN.md section 6).
///
/// Rules it keeps:
/// - at most `capacity` entries; inserting into a full cache evicts the oldest entry;
/// - an entry older than `maxAge` is gone after the next `expire(at:)` or `insert`;
/// - iteration (`newestFirst`) follows insertion order, never hash order, so what the cache
///   feeds into messages is deterministic.
/// `insert` must be called with non-decreasing instants (one node's monotonic clock).
public struct AgedCache<Key: Hashable, Value> {
    public let capacity: Int
    public let maxAge: Duration
    private var entries: [Key: Entry] = [:]
    private var order: Deque<(key: Key, at: Instant)> = []

    struct Entry {
        var value: Value
        let at: Instant
    }

    /// Entries evicted because the cache was full (a limit hit) and because they aged out.
    public private(set) var evictedForCapacity = 0
    public private(set) var evictedForAge = 0

    public init(capacity: Int, maxAge: Duration) {
        precondition(capacity > 0, "an AgedCache needs room for at least one entry")
        self.capacity = capacity
        self.maxAge = maxAge
    }

    public var count: Int { entries.count }

    public func contains(_ key: Key) -> Bool { entries[key] != nil }

    /// The value for `key`; assigning through the subscript changes an existing entry only.
    public subscript(key: Key) -> Value? {
        get { entries[key]?.value }
        set {
            guard let newValue, entries[key] != nil else { return }
            entries[key]!.value = newValue
        }
    }

    /// Changes the value for `key` in place (no copy of what it holds); false when absent.
    @discardableResult
    public mutating func update(_ key: Key, _ body: (inout Value) -> Void) -> Bool {
        guard entries[key] != nil else { return false }
        body(&entries[key]!.value)
        return true
    }

    /// When `key` was inserted.
    public func insertedAt(_ key: Key) -> Instant? { entries[key]?.at }

    /// Inserts `key` unless present. Returns false (and changes nothing) when it was present.
    /// `evicted` hears every entry that leaves to make room or because it aged out, oldest first.
    @discardableResult
    public mutating func insert(_ key: Key, _ value: Value, at now: Instant,
                                evicted: (Key, Value) -> Void = { _, _ in }) -> Bool {
        guard entries[key] == nil else { return false }
        expire(at: now, evicted: evicted)
        while entries.count >= capacity, let oldest = order.popFirst() {
            if let gone = entries.removeValue(forKey: oldest.key) {
                evictedForCapacity += 1
                evicted(oldest.key, gone.value)
            }
        }
        entries[key] = Entry(value: value, at: now)
        order.append((key, now))
        return true
    }

    /// Drops entries older than `maxAge`, telling `evicted` of each, oldest first.
    public mutating func expire(at now: Instant, evicted: (Key, Value) -> Void = { _, _ in }) {
        while let first = order.first, now - first.at >= maxAge {
            order.removeFirst()
            if let gone = entries.removeValue(forKey: first.key) {
                evictedForAge += 1
                evicted(first.key, gone.value)
            }
        }
    }

    /// Up to `limit` entries, newest first, optionally only those inserted at or after `since`
    /// and those `include` accepts (given the value and when it was inserted).
    public func newestFirst(limit: Int, since: Instant? = nil,
                            where include: (Value, Instant) -> Bool = { _, _ in true }) -> [(key: Key, value: Value)] {
        var out: [(key: Key, value: Value)] = []
        for item in order.reversed() {
            if out.count >= limit { break }
            if let since, item.at < since { break }
            if let e = entries[item.key], include(e.value, e.at) { out.append((item.key, e.value)) }
        }
        return out
    }

    /// When the oldest entry will age out: the cache's next deadline.
    public var nextExpiry: Instant? { order.first.map { $0.at + maxAge } }
}

extension AgedCache: Sendable where Key: Sendable, Value: Sendable {}
extension AgedCache.Entry: Sendable where Key: Sendable, Value: Sendable {}
