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
/// - it stays within the largest wall clock it has seen, so timestamps read as times;
/// - it never takes in a timestamp more than `maxLeadMs` ahead of the local wall clock: a peer
///   cannot drag it to the end of time (PROTOCOL.md section 7.1). Ops dated beyond that are
///   refused where they arrive and offered again by sync once the local clock has caught up;
/// - it never traps: at the end of a millisecond's counter it moves to the next millisecond, and
///   at the very end of time it stays there (ops then still sort by author and sequence number).
/// Wall time comes in as a parameter: the clock reads nothing itself.
public struct HybridLogicalClock: Sendable {
    public private(set) var last: HLCTimestamp
    /// Timestamps observed more than this ahead of the local wall clock (counted: a peer's
    /// clock is probably wrong).
    public static let suspiciousLeadMs: UInt64 = 5 * 60 * 1000
    /// How far ahead of the local wall clock a remote timestamp may be and still be taken in:
    /// 24 hours. Wide enough for a device whose clock is set to the wrong time zone (at most
    /// 14 h) or has drifted for months offline; narrow enough that forward-dating buys a hostile
    /// author at most one day (a failsafe request cannot skip more than 1 of its 30 silent days).
    public static let maxLeadMs: UInt64 = 24 * 60 * 60 * 1000
    public private(set) var suspiciousObservations = 0

    public init(last: HLCTimestamp = .zero) {
        self.last = last
    }

    /// Whether `remote` is dated more than `maxLeadMs` after the wall time `wallMs`: such a
    /// timestamp is not taken in now.
    public static func isTooFarAhead(_ remote: HLCTimestamp, wallMs: UInt64) -> Bool {
        let (limit, overflow) = wallMs.addingReportingOverflow(maxLeadMs)
        return !overflow && remote.wallMs > limit
    }

    /// A timestamp for a local event at wall time `wallMs`.
    public mutating func tick(wallMs: UInt64) -> HLCTimestamp {
        if wallMs > last.wallMs {
            last = HLCTimestamp(wallMs: wallMs, logical: 0)
        } else if last.logical < .max {
            last.logical += 1
        } else if last.wallMs < .max {
            last = HLCTimestamp(wallMs: last.wallMs + 1, logical: 0)
        }
        return last
    }

    /// Takes in a timestamp without a wall-clock reading. Callers check `isTooFarAhead` first
    /// (the replication core refuses such ops before they reach a log).
    public mutating func witness(_ remote: HLCTimestamp) {
        if remote > last { last = remote }
    }

    /// Takes in a timestamp seen on a remote op, at local wall time `wallMs`. One dated more
    /// than `maxLeadMs` ahead is counted and not taken in.
    public mutating func observe(_ remote: HLCTimestamp, wallMs: UInt64) {
        if remote.wallMs > wallMs, remote.wallMs - wallMs > Self.suspiciousLeadMs { suspiciousObservations += 1 }
        if remote > last, !Self.isTooFarAhead(remote, wallMs: wallMs) { last = remote }
        if wallMs > last.wallMs { last = HLCTimestamp(wallMs: wallMs, logical: 0) }
    }
}
