import Sodium
import Wire

/// The ID of an op: BLAKE2b-256 of its signed body (PROTOCOL.md section 7). Four words, so
/// logs and indexes hash it without touching the heap.
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    let w0, w1, w2, w3: UInt64

    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == Self.byteCount else { return nil }
        var w = [UInt64](repeating: 0, count: 4)
        for (i, b) in bytes.enumerated() { w[i / 8] = w[i / 8] << 8 | UInt64(b) }
        (w0, w1, w2, w3) = (w[0], w[1], w[2], w[3])
    }

    /// The ID of an op whose signed body is `body`.
    public init(body: [UInt8]) {
        self.init(bytes: BLAKE2b.hash(body, outputLength: Self.byteCount))!
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for w in [w0, w1, w2, w3] { for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: w >> UInt64(s))) } }
        return out
    }

    public var description: String { Hex.encode(bytes) }
    /// Twelve hex digits: enough for logs, API paths stay full.
    public var short: String { String(description.prefix(12)) }

    /// Parses 64 hex digits.
    public init?(hex: String) {
        guard let b = Hex.decode(hex) else { return nil }
        self.init(bytes: b)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(w0) }

    public static func < (a: OpID, b: OpID) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }
}

/// A team is named by the ID of the op that created it.
public typealias TeamID = OpID
