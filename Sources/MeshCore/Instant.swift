/// A point on a node's monotonic clock, in nanoseconds since an arbitrary start.
///
/// Cores never read a clock: every input comes with the `Instant` at which it happens
/// (DESIGN.md section 1). A real node passes its monotonic clock; the simulator passes
/// virtual time. Wall-clock time, which can jump, is a separate input where a core needs it.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public static let zero = Instant(nanoseconds: 0)

    public static func milliseconds(_ ms: Int64) -> Instant { Instant(nanoseconds: ms * 1_000_000) }

    public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds + d.nanoseconds) }
    public static func - (a: Instant, d: Duration) -> Instant { Instant(nanoseconds: a.nanoseconds - d.nanoseconds) }
    public static func - (a: Instant, b: Instant) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }

    /// Milliseconds with three decimals, for traces.
    public var description: String {
        let ms = nanoseconds / 1_000_000, frac = abs(nanoseconds % 1_000_000) / 1000
        let f = String(frac)
        return "\(ms).\(String(repeating: "0", count: 3 - f.count))\(f)ms"
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating far beyond any protocol timeout).
    public var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
