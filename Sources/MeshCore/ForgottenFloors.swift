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
/// The cost for honest users: a copy that arrives later than the seen-cache's lifetime after a
/// newer message of the same origin was seen is refused by the router. Floors live in memory:
/// after a restart, the persisted messages are the seen-cache again.
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

    /// Records that `seq` from `origin` aged out at `now`. False when the origin could not be
    /// tracked (the table is full of floors still in force).
    @discardableResult
    mutating func forgot(origin: NodeID, seq: UInt64, at now: Instant) -> Bool {
        if let floor = floors[origin] {
            let inForce = now - floor.raisedAt < lifetime
            if !inForce || seq > floor.seq { floors[origin] = (inForce ? max(seq, floor.seq) : seq, now) }
            return true
        }
        if floors.count >= capacity {
            // Only order-free work here: which expired floors go does not depend on the order.
            floors = floors.filter { now - $0.value.raisedAt < lifetime }
            guard floors.count < capacity else { return false }
        }
        floors[origin] = (seq, now)
        return true
    }
}
