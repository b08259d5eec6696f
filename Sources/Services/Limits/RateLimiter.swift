/// Request rate limits per key (a user, or a client address) over a sliding minute:
/// 100 requests, of which 30 writes, of which 20 deletes. Pure: time comes in as an argument.
///
/// Each key keeps the times of its requests in the last minute (at most 100), so memory is
/// bounded per key; keys idle for a minute are dropped, and at most `maxKeys` are tracked
/// (beyond that the oldest key is forgotten, which can only make a limit more lenient).
public struct RateLimiter: Sendable {
    public enum Kind: Sendable { case read, write, delete }

    public struct Limits: Sendable {
        public var requests = 100
        public var writes = 30
        public var deletes = 20
        public var windowMs: UInt64 = 60_000
        /// Off admits everything (for load tests: `elohim node run --rate-limit 0`).
        public var enabled = true
        public init() {}
    }

    public let limits: Limits
    public static let maxKeys = 10_000

    private struct Window {
        var requests: [UInt64] = []
        var writes: [UInt64] = []
        var deletes: [UInt64] = []
        var lastMs: UInt64 = 0
    }
    private var windows: [String: Window] = [:]

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Counts a request by `key` at `nowMs` when it is within the limits; otherwise returns
    /// how many milliseconds until it would be (and counts nothing).
    public mutating func admit(_ key: String, kind: Kind, at nowMs: UInt64) -> UInt64? {
        guard limits.enabled else { return nil }
        var w = windows[key] ?? Window()
        // A request counts for one window after it was made.
        let window = limits.windowMs
        let expired = { (t: UInt64) in t + window <= nowMs }
        w.requests.removeAll(where: expired)
        w.writes.removeAll(where: expired)
        w.deletes.removeAll(where: expired)
        func wait(_ times: [UInt64], _ limit: Int) -> UInt64? {
            guard times.count >= limit, let oldest = times.first else { return nil }
            return oldest + limits.windowMs - nowMs
        }
        var retry = wait(w.requests, limits.requests)
        if kind != .read, let r = wait(w.writes, limits.writes) { retry = max(retry ?? 0, r) }
        if kind == .delete, let r = wait(w.deletes, limits.deletes) { retry = max(retry ?? 0, r) }
        if let retry {
            windows[key] = w
            return max(retry, 1)
        }
        w.requests.append(nowMs)
        if kind != .read { w.writes.append(nowMs) }
        if kind == .delete { w.deletes.append(nowMs) }
        w.lastMs = nowMs
        windows[key] = w
        if windows.count > Self.maxKeys { forgetIdle(at: nowMs) }
        return nil
    }

    public var trackedKeys: Int { windows.count }

    private mutating func forgetIdle(at nowMs: UInt64) {
        windows = windows.filter { $0.value.lastMs + limits.windowMs > nowMs }
        while windows.count > Self.maxKeys, let oldest = windows.min(by: { ($0.value.lastMs, $0.key) < ($1.value.lastMs, $1.key) }) {
            windows[oldest.key] = nil
        }
    }
}
