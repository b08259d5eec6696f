import Wire

/// Per origin, the highest broadcast sequence number this node has forgotten: a message it saw
/// whose seen-cache entry aged out (PROTOCOL.md section 5, "no duplicate delivery").
///
/// Why: store-and-forward can bring a message back after the seen-cache has forgotten it (a
/// neighbour stored its copy later and keeps it for as long again), and the node would deliver
/// it a second time. An origin numbers its broadcasts in order, so a message at or below what
/// was forgotten from its origin is at least as old as something the cache already let go: it
/// is refused.
///
/// Rules it keeps:
/// - a floor rises only when an entry ages out, never when one is evicted to make room (a flood
///   must not turn recent messages into floors);
/// - a floor lasts `lifetime` after its last rise, then it is gone: frames' origin and seq are
///   not signed, so a forged `seq = UInt64.max`, or an origin whose counter went back (a data
///   folder restored from a backup), silences that origin's broadcasts for at most `lifetime`
///   (ops still arrive by anti-entropy, which works by sequence vectors);
/// - at most `capacity` origins are tracked; when full, floors past their lifetime make room
///   first, and an origin that still finds no room is not tracked (the caller counts a limit).
/// - every rise is persisted (`PersistRecord.forgottenFloor`) and a restart brings the floors
///   back with the time they have left (`StoredFloor`), so a restart does not reopen the door:
///   the persisted messages cover the last `seenMaxAge`, the floors what is older.
/// The cost for honest users: a copy that arrives later than the seen-cache's lifetime after a
/// newer message of the same origin was seen is refused by the router.
struct ForgottenFloors: Sendable {
    let capacity: Int
    let lifetime: Duration
    private(set) var floors: [NodeID: (seq: UInt64, raisedAt: Instant)] = [:]

    init(capacity: Int, lifetime: Duration) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    var count: Int { floors.count }

    /// True when `seq` from `origin` is at or below a floor still in force at `now`.
    func isForgotten(origin: NodeID, seq: UInt64, at now: Instant) -> Bool {
        guard let floor = floors[origin], now - floor.raisedAt < lifetime else { return false }
        return seq <= floor.seq
    }

    /// What `forgot` did.
    enum Change: Equatable {
        /// The floor rose (or was set): it must be persisted.
        case raised
        /// A floor in force already covered the sequence number.
        case unchanged
        /// The origin could not be tracked (the table is full of floors still in force).
        case untracked
    }

    /// Records that `seq` from `origin` aged out at `now`.
    @discardableResult
    mutating func forgot(origin: NodeID, seq: UInt64, at now: Instant) -> Change {
        if let floor = floors[origin] {
            let inForce = now - floor.raisedAt < lifetime
            guard !inForce || seq > floor.seq else { return .unchanged }
            floors[origin] = (seq, now)
            return .raised
        }
        guard makeRoom(at: now) else { return .untracked }
        floors[origin] = (seq, now)
        return .raised
    }

    /// Takes back floors persisted before a restart, each raised `age` before `now`: those past
    /// their lifetime are dropped, and at most `capacity` are kept (the youngest; ties by origin,
    /// so the choice does not depend on the order given).
    mutating func restore(_ stored: [StoredFloor], at now: Instant) {
        let live = stored.filter { $0.age < lifetime }
            .sorted { ($0.age, $0.origin) < ($1.age, $1.origin) }
        for floor in live {
            let raisedAt = now - max(.zero, floor.age)
            if let held = floors[floor.origin] {
                // Two rows for one origin (a caller's merge): the higher floor, the later rise.
                floors[floor.origin] = (max(held.seq, floor.seq), max(held.raisedAt, raisedAt))
            } else if makeRoom(at: now) {
                floors[floor.origin] = (floor.seq, raisedAt)
            }
        }
    }

    /// The floors in force at `now`, with their age, in origin order: what a restart needs.
    func stored(at now: Instant) -> [StoredFloor] {
        floors.filter { now - $0.value.raisedAt < lifetime }
            .map { StoredFloor(origin: $0.key, seq: $0.value.seq, age: now - $0.value.raisedAt) }
            .sorted { $0.origin < $1.origin }
    }

    /// True when there is room for one more origin; floors past their lifetime go first.
    private mutating func makeRoom(at now: Instant) -> Bool {
        guard floors.count >= capacity else { return true }
        // Only order-free work here: which expired floors go does not depend on the order.
        floors = floors.filter { now - $0.value.raisedAt < lifetime }
        return floors.count < capacity
    }
}

/// A forgotten floor as a restart gets it back: the origin, its floor, and how long ago the
/// floor last rose.
///
/// Rules (PROTOCOL.md section 5): the shell stores the wall-clock time of each rise (the
/// monotonic clock restarts with the process) and gives the age back with `init(origin:seq:
/// raisedAtMs:nowMs:)`, which never makes it negative: a wall clock that went back between the
/// rise and the restart gives age 0, so the floor lasts at most its full lifetime from the
/// restart (never longer); a clock that jumped forward ages it early (a floor lost early costs
/// at most a duplicate, never a refused new message).
public struct StoredFloor: Sendable, Equatable {
    public var origin: NodeID
    public var seq: UInt64
    /// How long before the restart the floor last rose (zero or more).
    public var age: Duration

    public init(origin: NodeID, seq: UInt64, age: Duration) {
        self.origin = origin
        self.seq = seq
        self.age = max(.zero, age)
    }

    /// The floor stored at wall time `raisedAtMs`, read back at wall time `nowMs`.
    public init(origin: NodeID, seq: UInt64, raisedAtMs: UInt64, nowMs: UInt64) {
        let ageMs = nowMs > raisedAtMs ? min(nowMs - raisedAtMs, UInt64(Int64.max / 1_000_000)) : 0
        self.init(origin: origin, seq: seq, age: .milliseconds(Int64(ageMs)))
    }

    /// The floor a persisted message raises when a restart finds it older than the seen-cache
    /// (stored at wall time `storedAtMs`, read back at `nowMs`): its seen-cache entry aged out
    /// while the node was down, so no floor was persisted for it; it rose when the message
    /// turned `seenMaxAge` old. Nil while the message is younger (it is restored as seen).
    public init?(agedOut frame: GossipFrame, storedAtMs: UInt64, nowMs: UInt64, seenMaxAge: Duration) {
        let raisedAtMs = storedAtMs.addingReportingOverflow(UInt64(max(0, seenMaxAge.nanoseconds / 1_000_000)))
        guard !raisedAtMs.overflow, raisedAtMs.partialValue <= nowMs else { return nil }
        self.init(origin: frame.origin, seq: frame.seq, raisedAtMs: raisedAtMs.partialValue, nowMs: nowMs)
    }
}

extension GossipConfiguration {
    /// How long a forgotten floor lasts after its last rise: twice the seen-cache's lifetime
    /// (the shell prunes stored floors by it).
    public var forgottenFloorLifetime: Duration { seenMaxAge * 2 }
}
