/// A node that turns hostile (issue 15, item 8). It keeps running its honest `NodeCore` (it
/// probes, relays and syncs like any peer, so the mesh stays connected through it), and on top
/// of that the simulator sends, in its name, what the kind below forges. Every forged message
/// passes the real wire codec first (`MeshMessage.serialized()` and back, frames of at most
/// 1 MiB), as on a real link: what the codec refuses never reaches a core.
///
/// Rules the simulator keeps for it (Simulations/README.md, "Adversaries"):
/// - it writes nothing through the team workload: every op in its name is forged here;
/// - it is never a team member, except a `backdater`, an Admin until node 0 removes it;
/// - its forged ops are signed with its own key (and keys it makes up), never with an honest
///   node's key: the attacks are those of a captured device, not of a stolen identity.
public struct AdversarySpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Integers at the edges: incarnations, HLCs, sequence numbers, TTLs, hops, sizes, SLAs.
        case extremeIntegers
        /// Junk ops: new teams, one-op authors, ops of a team it is not in, gaps far ahead, orphans.
        case junkFlood
        /// Messages it received, sent again later (after the seen-cache forgot them too).
        case replay
        /// An Admin removed by node 0 that then signs ops dated before its removal.
        case backdater
    }

    public var node: Int
    public var kind: Kind
    /// First burst, in milliseconds of simulated time.
    public var startMs: Int64
    /// Last burst; by default half the duration, so the rest is left to converge.
    public var endMs: Int64?
    /// Time between bursts.
    public var everyMs: Int64 = 1000
    /// Forged messages (or ops) per burst.
    public var burst: Int = 10
    /// `replay` only: messages received up to this time are recorded (default `startMs`).
    public var recordUntilMs: Int64?
    /// `replay` only: most messages recorded (the first ones received).
    public var keep: Int = 1000
    /// `backdater` only: when node 0 removes it from the team (required).
    public var removedAtMs: Int64?
    /// `backdater` only: how far before its removal its first forged op is dated; each later
    /// one a millisecond later, so its HLC rises with its seq and stays before the removal.
    public var backdateMs: Int64 = 1000

    public init(node: Int, kind: Kind, startMs: Int64) {
        self.node = node
        self.kind = kind
        self.startMs = startMs
    }

    /// Limits on what an adversary entry may ask for, so a typo cannot exhaust the machine.
    public enum Limits {
        public static let everyMs: ClosedRange<Int64> = 10...3_600_000
        public static let burst: ClosedRange<Int64> = 1...1_000
        /// Bursts × burst size, per adversary.
        public static let messages = 200_000
        public static let keep: ClosedRange<Int64> = 1...10_000
        public static let backdateMs: ClosedRange<Int64> = 1...86_400_000
    }

    /// When its last burst happens, given the scenario's duration.
    public func lastBurstMs(durationMs: Int64) -> Int64 { endMs ?? max(startMs, durationMs / 2) }

    /// How many bursts it makes.
    public func bursts(durationMs: Int64) -> Int { Int((lastBurstMs(durationMs: durationMs) - startMs) / everyMs) + 1 }
}
