import Sodium
import Wire

/// Writes this node's ops: takes its timestamps from the node's hybrid logical clock and its
/// sequence numbers from the replica, and signs with the node's key.
public struct OpAuthor: Sendable {
    public let keyPair: Ed25519KeyPair
    public let id: NodeID
    public private(set) var clock: HybridLogicalClock

    public init(keyPair: Ed25519KeyPair, clock: HybridLogicalClock = HybridLogicalClock()) {
        self.keyPair = keyPair
        self.id = NodeID(publicKey: keyPair.publicKey)
        self.clock = clock
    }

    /// The op that creates a new team named `name`.
    public mutating func createTeam(name: String, nonce: [UInt8], wallMs: UInt64) -> SignedOp {
        let body = OpBody(authorKey: keyPair.publicKey, seq: 1, hlc: clock.tick(wallMs: wallMs), team: nil,
                          operation: .createTeam(name: name, nonce: nonce))
        return SignedOp.sign(body, with: keyPair)
    }

    /// The next op of this node in `replica`'s team, or of `signer` (a person using this node,
    /// PROTOCOL.md section 13): the node's clock dates it either way, so every op written here
    /// sorts after everything this node has seen, and the signer's sequence number follows its
    /// ops in the replica. A removal or a role change records how far this node's log held the
    /// member's ops (`seenSeq`), unless the caller set it.
    public mutating func write(_ operation: TeamOperation, in replica: TeamReplica, wallMs: UInt64,
                               as signer: Ed25519KeyPair? = nil) -> SignedOp {
        var operation = operation
        switch operation {
        case let .removeMember(member, nil): operation = .removeMember(member, seenSeq: replica.vector[member])
        case let .setRole(member, role, nil): operation = .setRole(member, role, seenSeq: replica.vector[member])
        default: break
        }
        let keys = signer ?? keyPair
        let body = OpBody(authorKey: keys.publicKey, seq: replica.vector[NodeID(publicKey: keys.publicKey)] + 1,
                          hlc: clock.tick(wallMs: wallMs), team: replica.id, operation: operation)
        return SignedOp.sign(body, with: keys)
    }

    /// Takes in the timestamp of an op from elsewhere, so this node's next op sorts after it.
    public mutating func observe(_ op: SignedOp, wallMs: UInt64) {
        clock.observe(op.body.hlc, wallMs: wallMs)
    }

    /// Takes in an op's timestamp when no wall time is at hand (ops arriving by gossip or sync,
    /// or restored from storage): the next `write` still sorts after it.
    public mutating func witness(_ op: SignedOp) {
        clock.witness(op.body.hlc)
    }
}
