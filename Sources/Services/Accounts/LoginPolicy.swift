/// The lockout rule: `maxFailures` failed logins within `windowMs` lock the account for
/// `lockMs`. Pure: the caller passes the time and stores the state. A wall clock that steps
/// back never traps: failures keep counting, and a lock holds until the clock passes its end
/// again (the wait it reports is never more than `lockMs`).
public struct LoginPolicy: Sendable {
    public var maxFailures = 5
    public var windowMs: UInt64 = 15 * 60_000
    public var lockMs: UInt64 = 15 * 60_000

    public init() {}

    /// What the store keeps per account.
    public struct State: Sendable, Equatable {
        public var failures = 0
        public var firstFailureMs: UInt64?
        public var lockedUntilMs: UInt64?
        public init(failures: Int = 0, firstFailureMs: UInt64? = nil, lockedUntilMs: UInt64? = nil) {
            self.failures = failures
            self.firstFailureMs = firstFailureMs
            self.lockedUntilMs = lockedUntilMs
        }
    }

    /// Milliseconds until the lock lifts, or nil when a login may be tried at `nowMs`.
    public func lockRemaining(_ s: State, at nowMs: UInt64) -> UInt64? {
        guard let until = s.lockedUntilMs, nowMs < until else { return nil }
        return min(until - nowMs, lockMs)
    }

    /// The state after a failed login at `nowMs`: failures older than the window start a new
    /// count; the failure that reaches `maxFailures` sets the lock (and resets the count).
    public func failed(_ s: State, at nowMs: UInt64) -> State {
        var next = s
        // A clock that stepped back (now before the first failure) counts as within the window.
        if let first = s.firstFailureMs, s.failures > 0, nowMs < first || nowMs - first < windowMs {
            next.failures += 1
        } else {
            next.failures = 1
            next.firstFailureMs = nowMs
        }
        if next.failures >= maxFailures {
            let (until, overflow) = nowMs.addingReportingOverflow(lockMs)
            next = State(failures: 0, firstFailureMs: nil, lockedUntilMs: overflow ? .max : until)
        }
        return next
    }

    /// After a successful login: a clean slate.
    public func succeeded() -> State { State() }
}
