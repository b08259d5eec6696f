import Sodium
import Wire

/// What the transport serves: the node (or, in benchmarks, a counter). It learns of links
/// coming and going and receives every message; it gets the transport to send through.
public protocol MeshEndpoint: AnyObject, Sendable {
    var identity: Ed25519KeyPair { get }
    var nodeID: NodeID { get }
    func attach(_ transport: Transport) async
    func linkEstablished(_ peer: NodeID) async
    func linkLost(_ peer: NodeID) async
    func receiveFromPeer(_ message: MeshMessage, from peer: NodeID) async
}
