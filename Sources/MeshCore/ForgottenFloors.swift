import Wire

/// Per origin, the highest broadcast sequence number this node has forgotten: a message it saw
/// whose seen-cache entry aged out or was evicted (PROTOCOL.md section 5, "no duplicate delivery").
///
/// Why: store-and-forward can bring a message back after the seen-cache has forgotten it (a
/// neighbour stored its copy later and keeps it for as long again), and the node would deliver
/// it a second time. An origin numbers its broadcasts in order and never reuses a number
/// (`nextBroadcastSeq` is persisted), so a message at or below what was forgotten from its
/// origin is at least as old as something the cache already let go: it is refused.
///
/// Rules it keeps: a floor only rises; at most `capacity` origins are tracked, and an origin
/// past that is not recorded (counted by the caller as a limit hit), which costs only the
/// protection for that origin. The cost for honest users: a message of an origin that arrives
/// later than the seen-cache's lifetime after a newer message of the same origin was seen is
/// refused by the router (ops still arrive by anti-entropy, which works by sequence vectors).
/// Floors live in memory: after a restart, the persisted messages (`restoredMessages`) are the
/// seen-cache again, and floors rebuild as they age out.
struct ForgottenFloors: Sendable {
    let capacity: Int
    private(set) var floors: [NodeID: UInt64] = [:]

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { floors.count }

    /// True when `seq` from `origin` is at or below what was forgotten.
    func isForgotten(origin: NodeID, seq: UInt64) -> Bool {
        guard let floor = floors[origin] else { return false }
        return seq <= floor
    }

    /// Records that `seq` from `origin` was forgotten. False when the origin could not be
    /// tracked (the table is full).
    @discardableResult
    mutating func forgot(origin: NodeID, seq: UInt64) -> Bool {
        if let floor = floors[origin] {
            if seq > floor { floors[origin] = seq }
            return true
        }
        guard floors.count < capacity else { return false }
        floors[origin] = seq
        return true
    }
}
