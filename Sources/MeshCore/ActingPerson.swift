import Sodium
import Wire

/// The person a local write is made for (PROTOCOL.md section 13), as the services know them:
/// their ID, and their signing keys when they are signed in on this node.
///
/// The core decides who signs: a person who is a member of the team signs as themself (and
/// without their keys the write is refused: they must sign in again); for anyone else the node
/// signs, as every write did before persons existed.
public struct ActingPerson: Sendable, Equatable {
    public var id: NodeID
    public var keys: Ed25519KeyPair?

    public init(id: NodeID, keys: Ed25519KeyPair?) {
        self.id = id
        self.keys = keys
    }

    /// Equal when the same person carries the same keys (compared by their public half).
    public static func == (a: ActingPerson, b: ActingPerson) -> Bool {
        a.id == b.id && a.keys?.publicKey == b.keys?.publicKey
    }
}
