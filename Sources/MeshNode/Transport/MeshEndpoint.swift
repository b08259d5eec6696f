import MeshCore
import Sodium
import Wire

/// What the transport serves: the node (or, in benchmarks, a counter). It learns of links
/// coming and going and receives every message; it gets the transport to send through.
///
/// Pairing: a link dialled to pair (its `LinkHello.purpose` is `.pairing`) runs one pairing by
/// code, whether or not its peer is trusted or linked already (PROTOCOL.md section 10.4).
/// The transport moves the pairing messages; the endpoint decides every step (its
/// `PairingDesk`). The defaults refuse pairing, for endpoints that hold no codes.
public protocol MeshEndpoint: AnyObject, Sendable {
    var identity: Ed25519KeyPair { get }
    var nodeID: NodeID { get }
    func attach(_ transport: Transport) async
    func linkEstablished(_ peer: NodeID) async
    func linkLost(_ peer: NodeID) async
    func receiveFromPeer(_ message: MeshMessage, from peer: NodeID) async

    /// True when an inbound link dialled to pair may run (a code is open, or expired less than
    /// a day ago so the joiner is told why).
    func acceptsPairing() async -> Bool
    /// An inbound link from `source` (its IP address) asks to pair on `session`, before any
    /// pairing message: run it within the deadline the endpoint gives, or refuse it.
    func pairingOpen(session: UInt64, source: String) async -> PairingOpening
    /// Starts a run as joiner on a link just established: the first message to send.
    func pairingStart(code: OmniCode, session: UInt64, channel: PairingChannel) async -> PairingMessage
    /// A pairing message arrived on `session`: what to send and whether the run is over.
    func pairingReceive(_ message: PairingMessage, session: UInt64, channel: PairingChannel) async -> PairingReply
    /// The link of `session` closed (after any outcome, or before one).
    func pairingEnded(session: UInt64) async
}

/// The endpoint's answer to an inbound pairing link (its `PairingDesk` decides).
public enum PairingOpening: Sendable, Equatable {
    /// Run it; the transport closes the link once `within` has passed, however far it got.
    case run(within: Duration)
    /// Tell the joiner this refusal and close the link.
    case refuse(PairingRefusal)
}

/// The endpoint's answer to one pairing message.
public struct PairingReply: Sendable {
    public var send: [PairingMessage]
    public var verdict: Verdict

    public enum Verdict: Sendable {
        case continuing
        case paired(PairingDesk.PairedPeer)
        case failed(PairingFailure)
    }

    public init(send: [PairingMessage], verdict: Verdict) {
        self.send = send
        self.verdict = verdict
    }
}

extension MeshEndpoint {
    public func acceptsPairing() async -> Bool { false }
    public func pairingOpen(session: UInt64, source: String) async -> PairingOpening { .refuse(.badRequest) }
    public func pairingStart(code: OmniCode, session: UInt64, channel: PairingChannel) async -> PairingMessage {
        .result(PairResult(accepted: false, refusal: PairingRefusal.badRequest.rawValue, message: "this endpoint does not pair"))
    }
    public func pairingReceive(_ message: PairingMessage, session: UInt64, channel: PairingChannel) async -> PairingReply {
        PairingReply(send: [], verdict: .failed(.refused(.badRequest, message: "this endpoint does not pair")))
    }
    public func pairingEnded(session: UInt64) async {}
}
