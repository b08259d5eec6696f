/// The limits every terminal session lives under.
public struct TerminalLimits: Sendable, Equatable {
    public var sessionsPerPerson = 4
    public var scrollbackBytes = 256 * 1024
    /// A session with no attached client and no I/O for this long is ended.
    public var idleTimeoutMs: UInt64 = 30 * 60_000
    public init() {}
}

/// Why a session could not be opened or used.
public enum SessionTableError: Error, Equatable, CustomStringConvertible {
    case tooManySessions(limit: Int)
    case notFound(String)

    public var description: String {
        switch self {
        case let .tooManySessions(limit): "you have \(limit) terminal sessions open, the limit: end one (DELETE) first"
        case let .notFound(id): "no terminal session \(id) of yours"
        }
    }
}

/// Who owns which session and when each was last used: the decisions (admission, ownership,
/// idle expiry) without any process or clock. Time comes in as `nowMs`.
public struct SessionTable: Sendable {
    public struct Entry: Sendable, Equatable {
        public let id: String
        public let owner: String
        public let startedMs: UInt64
        public var lastActiveMs: UInt64
        public var attached: Int
    }

    public let limits: TerminalLimits
    private var entries: [String: Entry] = [:]

    public init(limits: TerminalLimits) { self.limits = limits }

    /// Admits a new session `id` for `owner`, or refuses past `sessionsPerPerson`.
    public mutating func open(id: String, owner: String, nowMs: UInt64) throws(SessionTableError) {
        guard sessions(of: owner).count < limits.sessionsPerPerson else { throw .tooManySessions(limit: limits.sessionsPerPerson) }
        entries[id] = Entry(id: id, owner: owner, startedMs: nowMs, lastActiveMs: nowMs, attached: 0)
    }

    /// `id` if `owner` owns it: another person's session is reported as missing, not forbidden.
    public func entry(_ id: String, owner: String) throws(SessionTableError) -> Entry {
        guard let e = entries[id], e.owner == owner else { throw .notFound(id) }
        return e
    }

    /// `id` whoever owns it (for the node's own bookkeeping, never for a client's request).
    public func entry(_ id: String) -> Entry? { entries[id] }

    /// The sessions of `owner`, oldest first.
    public func sessions(of owner: String) -> [Entry] {
        entries.values.filter { $0.owner == owner }.sorted { ($0.startedMs, $0.id) < ($1.startedMs, $1.id) }
    }

    /// Records use of `id` at `nowMs` (time never moves a session's last use backwards).
    public mutating func touch(_ id: String, nowMs: UInt64) {
        guard let last = entries[id]?.lastActiveMs else { return }
        entries[id]?.lastActiveMs = max(last, nowMs)
    }
    public mutating func attach(_ id: String, nowMs: UInt64) { entries[id]?.attached += 1; touch(id, nowMs: nowMs) }
    public mutating func detach(_ id: String, nowMs: UInt64) {
        if let n = entries[id]?.attached, n > 0 { entries[id]?.attached = n - 1 }
        touch(id, nowMs: nowMs)
    }

    @discardableResult public mutating func close(_ id: String) -> Entry? { entries.removeValue(forKey: id) }

    /// The sessions to end at `nowMs`: none attached and idle past the timeout, sorted by ID.
    public func expired(nowMs: UInt64) -> [String] {
        entries.values.filter { $0.attached == 0 && nowMs >= $0.lastActiveMs &+ limits.idleTimeoutMs }.map(\.id).sorted()
    }
}
