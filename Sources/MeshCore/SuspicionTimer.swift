import Wire

/// One suspicion of a peer, and when it turns into a death (Lifeguard's "LHA-Suspicion",
/// Dadgar et al. 2018).
///
/// Rules (PROTOCOL.md section 6):
/// - a suspicion starts only from this node's own failed probe, at the incarnation it knows;
///   others' SUSPECT messages never start one, they only confirm one already running;
/// - the timeout is `max(minimum, maximum − (maximum − minimum) · log(C + 1) / log(K + 1))`, where
///   C is the number of confirmations and K the number expected: it starts at `maximum` and
///   reaches `minimum` at K confirmations;
/// - a confirmation is a SUSPECT message about the same peer at the same incarnation from a
///   distinct neighbour other than the suspected peer; one neighbour counts at most once however
///   often it repeats itself, and at most K are kept (bounded memory, and no further effect);
/// - `minimum == maximum` gives a fixed timeout (`--dead-after`), K 0 ignores confirmations.
///
/// Why: independent observers that also lost contact make a crash more likely than loss on one
/// link, so the verdict may come sooner; the minimum keeps any number of them, honest or not,
/// from making it sooner than the fastest refutation this node is willing to wait for.
public struct SuspicionTimer: Sendable, Equatable {
    public let incarnation: UInt64
    public let start: Instant
    public let minimum: Duration
    public let maximum: Duration
    public let expected: Int
    /// Distinct neighbours that confirmed, in arrival order; never more than `expected`.
    public private(set) var confirmers: [NodeID] = []

    public init(incarnation: UInt64, start: Instant, minimum: Duration, maximum: Duration, expected: Int) {
        self.incarnation = incarnation
        self.start = start
        self.minimum = min(minimum, maximum)
        self.maximum = maximum
        self.expected = max(0, expected)
    }

    /// When the suspicion becomes a death if nothing refutes it first.
    public var deadline: Instant {
        start + Self.timeout(confirmations: confirmers.count, minimum: minimum, maximum: maximum, expected: expected)
    }

    /// Counts `peer`'s SUSPECT at `incarnation`; true when it was a new confirmation.
    @discardableResult
    public mutating func confirm(by peer: NodeID, incarnation inc: UInt64) -> Bool {
        guard inc == incarnation, confirmers.count < expected, !confirmers.contains(peer) else { return false }
        confirmers.append(peer)
        return true
    }

    /// Lifeguard's formula, rounded to the millisecond so every platform computes the same
    /// instant (the simulator replays a seed exactly).
    public static func timeout(confirmations c: Int, minimum: Duration, maximum: Duration, expected k: Int) -> Duration {
        guard k > 0, c > 0, maximum > minimum else { return maximum }
        let fraction = naturalLog(Double(min(c, k) + 1)) / naturalLog(Double(k + 1))
        let span = Double((maximum - minimum).nanoseconds) / 1e6
        let shrink = Duration.milliseconds(Int64((span * fraction).rounded()))
        return max(minimum, maximum - shrink)
    }

    /// ln(x) for x ≥ 1 in plain Swift: MeshCore imports no libm, and the series gives the same
    /// bits everywhere. ln x = 2·atanh((x−1)/(x+1)); the series converges for every x > 0, fast
    /// for the small counts used here.
    static func naturalLog(_ x: Double) -> Double {
        let y = (x - 1) / (x + 1), y2 = y * y
        var term = y, sum = 0.0
        for n in stride(from: 1, through: 199, by: 2) {
            sum += term / Double(n)
            term *= y2
        }
        return 2 * sum
    }
}
