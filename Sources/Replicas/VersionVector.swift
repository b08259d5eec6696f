import Wire

/// What a replica holds: for each author, the highest sequence number up to which it has every
/// op of that author (DESIGN.md section 4). Anti-entropy compares two vectors and sends
/// exactly the ops one side lacks.
public struct VersionVector: Hashable, Sendable {
    private var seqs: [NodeID: UInt64] = [:]

    public init() {}

    public init(_ entries: [(NodeID, UInt64)]) {
        for (author, seq) in entries where seq > 0 { seqs[author] = max(seqs[author] ?? 0, seq) }
    }

    public subscript(author: NodeID) -> UInt64 {
        get { seqs[author] ?? 0 }
        set { seqs[author] = newValue == 0 ? nil : newValue }
    }

    /// Authors and sequence numbers, sorted by author: the order for the wire and for digests.
    public var entries: [(author: NodeID, seq: UInt64)] {
        seqs.keys.sorted().map { ($0, seqs[$0]!) }
    }

    public var authorCount: Int { seqs.count }

    /// True when this vector has every op `other` has.
    public func covers(_ other: VersionVector) -> Bool {
        other.seqs.allSatisfy { self[$0.key] >= $0.value }
    }

    /// The element-wise maximum.
    public func merged(with other: VersionVector) -> VersionVector {
        var out = self
        for (a, s) in other.seqs where s > out[a] { out[a] = s }
        return out
    }

    /// Ops this vector has and `other` lacks, as (author, first missing seq, last held seq), by author.
    public func ahead(of other: VersionVector) -> [(author: NodeID, from: UInt64, through: UInt64)] {
        entries.compactMap { e in
            let theirs = other[e.author]
            return e.seq > theirs ? (e.author, theirs + 1, e.seq) : nil
        }
    }
}
