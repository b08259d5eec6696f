/// The last `capacity` bytes a session wrote, replayed first when a client (re)attaches.
/// Bounded: appending past the capacity drops the oldest bytes, so a session that prints
/// forever holds at most `capacity` bytes of scrollback. Pure: no IO, no clock.
public struct ScrollbackRing: Sendable, Equatable {
    public let capacity: Int
    private var storage: [UInt8]
    /// Where the oldest byte is, once the ring is full.
    private var start = 0
    /// Bytes dropped since the session began (the client is told the replay is partial).
    public private(set) var dropped: UInt64 = 0

    /// - Precondition: `capacity` > 0.
    public init(capacity: Int) {
        precondition(capacity > 0, "a scrollback ring needs room for at least one byte")
        self.capacity = capacity
        storage = []
        storage.reserveCapacity(min(capacity, 1 << 16))
    }

    public var count: Int { storage.count }

    /// Appends `bytes`, dropping the oldest past the capacity.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        var tail = Array(bytes)
        if tail.count >= capacity {
            dropped += UInt64(storage.count + tail.count - capacity)
            tail = Array(tail.suffix(capacity))
            storage = tail
            start = 0
            return
        }
        for b in tail {
            if storage.count < capacity {
                storage.append(b)
            } else {
                storage[start] = b
                start = (start + 1) % capacity
                dropped += 1
            }
        }
    }

    /// The bytes held, oldest first.
    public var contents: [UInt8] { Array(storage[start...] + storage[..<start]) }
}
