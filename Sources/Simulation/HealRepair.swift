import Replicas
import Wire

/// Everything a heal costs, measured from outside the nodes: from the last heal until every
/// running replica holds the same ops, the bytes of every message that repairs (the gossip
/// router's copies of ops that existed at the heal, its digests, announcements and requests,
/// and replication's vectors and batches), against the bytes of the ops each node lacked at the
/// heal. Counting only one layer would flatter it: the router's repair and anti-entropy both
/// carry the ops a partition kept apart, and whichever arrives second is waste.
///
/// Sizes are of envelopes as serialized (`MeshMessage.serialized()`), before the link's
/// framing and its 16-byte tag.
struct HealRepair {
    /// The size of every op some running node held at the heal.
    private var existing: [OpID: Int] = [:]
    /// For each running node, the bytes of the ops in `existing` it lacked.
    private(set) var missingBytes = 0
    private(set) var routerCopyBytes = 0
    private(set) var routerControlBytes = 0
    private(set) var syncBytes = 0
    private var open = true

    /// - Parameter logs: the op log of every running node at the heal.
    init(logs: [[SignedOp]]) {
        for log in logs { for op in log { existing[op.id] = op.size } }
        let total = existing.values.reduce(0, +)
        for log in logs {
            missingBytes += total - Set(log.map(\.id)).reduce(0) { $0 + existing[$1]! }
        }
    }

    mutating func sent(_ message: MeshMessage) {
        guard open else { return }
        switch message {
        case let .gossip(frame):
            // Decode only broadcasts that carry an op (the check is one byte).
            guard GossipPayloadCoding.carriesOp(frame.payload), let op = try? GossipPayloadCoding.decode(frame.payload),
                  existing[op.id] != nil else { return }
            routerCopyBytes += message.serialized().count
        case .digest, .iHave, .want:
            routerControlBytes += message.serialized().count
        case .syncVector, .syncOps:
            syncBytes += message.serialized().count
        default:
            break
        }
    }

    /// Every replica agrees: what follows is not repair.
    mutating func close() { open = false }
}

/// What `HealRepair` measured, for reports.
public struct HealRepairFigures: Sendable, Equatable {
    public var missingBytes: Int
    public var routerCopyBytes: Int
    public var routerControlBytes: Int
    public var syncBytes: Int
    public var totalBytes: Int { routerCopyBytes + routerControlBytes + syncBytes }
    /// All repair bytes over the bytes missing at the heal.
    public var ratio: Double { missingBytes == 0 ? 0 : Double(totalBytes) / Double(missingBytes) }

    init(_ r: HealRepair) {
        missingBytes = r.missingBytes
        routerCopyBytes = r.routerCopyBytes
        routerControlBytes = r.routerControlBytes
        syncBytes = r.syncBytes
    }
}
