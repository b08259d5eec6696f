import Sodium

/// The ID of a gossip message: BLAKE2b-128 over origin (20 bytes), origin sequence number
/// (8 bytes, big-endian) and payload (PROTOCOL.md section 5). Two integers, so seen-caches
/// hash it without touching the heap.
public struct MessageID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 16

    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Wraps 16 raw bytes; nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == Self.byteCount else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        (high, low) = (h, l)
    }

    /// The ID of the message `(origin, seq, payload)`.
    public init(origin: NodeID, seq: UInt64, payload: [UInt8]) {
        let hasher = BLAKE2b(outputLength: Self.byteCount)
        hasher.update(origin.bytes)
        hasher.update(withUnsafeBytes(of: seq.bigEndian) { Array($0) })
        hasher.update(payload)
        self.init(bytes: hasher.finalize())!
    }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
    }

    /// Eight hex digits: enough for logs and traces.
    public var short: String { String(description.prefix(8)) }

    public var description: String {
        Hex.encode(bytes)
    }

    /// Message IDs are hash outputs: their first 64 bits are a good hash key on their own.
    public func hash(into hasher: inout Hasher) { hasher.combine(high) }

    public static func < (a: MessageID, b: MessageID) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
