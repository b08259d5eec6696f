/// A hybrid logical clock timestamp (Kulkarni et al., 2014): wall-clock milliseconds and a
/// counter that orders events within one millisecond and across clocks that disagree.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var wallMs: UInt64
    public var logical: UInt32

    public init(wallMs: UInt64, logical: UInt32) {
        self.wallMs = wallMs
        self.logical = logical
    }

    public static let zero = HLCTimestamp(wallMs: 0, logical: 0)

    public static func < (a: HLCTimestamp, b: HLCTimestamp) -> Bool { (a.wallMs, a.logical) < (b.wallMs, b.logical) }

    public var description: String { "\(wallMs).\(logical)" }
}

/// One node's hybrid logical clock. Rules it keeps:
/// - every timestamp it issues is above every timestamp it issued or observed before, so an op
///   always sorts after the ops its author had seen (causality survives clocks that disagree);
/// - it stays within the largest wall clock it has seen, so timestamps read as times.
/// Wall time comes in as a parameter: the clock reads nothing itself.
public struct HybridLogicalClock: Sendable {
    public private(set) var last: HLCTimestamp
    /// Timestamps observed more than this ahead of the local wall clock (counted: a peer's
    /// clock is probably wrong).
    public static let suspiciousLeadMs: UInt64 = 5 * 60 * 1000
    public private(set) var suspiciousObservations = 0

    public init(last: HLCTimestamp = .zero) {
        self.last = last
    }

    /// A timestamp for a local event at wall time `wallMs`.
    public mutating func tick(wallMs: UInt64) -> HLCTimestamp {
        if wallMs > last.wallMs {
            last = HLCTimestamp(wallMs: wallMs, logical: 0)
        } else {
            last.logical += 1
        }
        return last
    }

    /// Takes in a timestamp without a wall-clock reading.
    public mutating func witness(_ remote: HLCTimestamp) {
        if remote > last { last = remote }
    }

    /// Takes in a timestamp seen on a remote op, at local wall time `wallMs`.
    public mutating func observe(_ remote: HLCTimestamp, wallMs: UInt64) {
        if remote.wallMs > wallMs + Self.suspiciousLeadMs { suspiciousObservations += 1 }
        if remote > last { last = remote }
        if wallMs > last.wallMs { last = HLCTimestamp(wallMs: wallMs, logical: 0) }
    }
}
