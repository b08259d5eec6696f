/// Lifeguard's local health (Dadgar et al. 2018, "LHA-Probe"): a score of how much this node's
/// own view of the network is in doubt, used to slow its probing down.
///
/// Rules (PROTOCOL.md section 6):
/// - the score is an integer from 0 to `maximum`; it rises by one when a probe of a peer believed
///   alive gets no ack at all (direct or relayed), and when this node must refute a suspicion of
///   itself; it falls by one when a probe is answered;
/// - probe intervals and probe timeouts are multiplied by `multiplier` (score + 1), so a node that
///   is itself slow, overloaded or behind a lossy link waits longer before suspecting others,
///   instead of suspecting peers that are fine;
/// - `maximum` 0 turns it off (the multiplier stays 1).
///
/// Why: a node whose own receive path is failing sees every peer as silent; without this it
/// would spread suspicions of healthy peers. Missed acks are evidence about the observer as much
/// as about the observed.
public struct LocalHealth: Sendable, Equatable {
    public let maximum: Int
    public private(set) var score = 0

    public init(maximum: Int) {
        self.maximum = max(0, maximum)
    }

    /// Probe intervals and timeouts are multiplied by this: 1 for a healthy node.
    public var multiplier: Int64 { Int64(score) + 1 }

    /// A probe of a peer believed alive got no ack at all.
    public mutating func probeFailed() { score = min(maximum, score + 1) }

    /// This node had to refute a suspicion of itself: others are missing its answers.
    public mutating func refuted() { score = min(maximum, score + 1) }

    /// A probe was answered.
    public mutating func probeAnswered() { score = max(0, score - 1) }

    /// `d` scaled by the multiplier.
    public func scaled(_ d: Duration) -> Duration { d * multiplier }
}
