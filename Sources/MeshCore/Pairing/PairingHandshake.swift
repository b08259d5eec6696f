import Sodium
import Wire

/// What both sides of one pairing run agree on before it starts: who is joining, who invited,
/// and a value unique to the link they talk over (the Noise handshake hash on a real link).
///
/// The node IDs go into CPace's channel identifier and the binding is its session ID, so a
/// run relayed between two different links (a man in the middle that terminates Noise on
/// each side) derives different keys on each side and fails key confirmation.
public struct PairingChannel: Hashable, Sendable {
    public var joiner: NodeID
    public var inviter: NodeID
    public var binding: [UInt8]

    public init(joiner: NodeID, inviter: NodeID, binding: [UInt8]) {
        self.joiner = joiner
        self.inviter = inviter
        self.binding = binding
    }

    static let domain = Array("elohim/pair/v1".utf8)

    /// CPace's CI.
    var channelIdentifier: [UInt8] { CPace.lengthValueConcat(Self.domain, joiner.bytes, inviter.bytes) }

    /// What each side signs to vouch for its identity in this run: the domain, its role, the
    /// link binding and CPace's session ID output (which covers both shares and both keys).
    func signedStatement(role: UInt8, transcript: [UInt8]) -> [UInt8] {
        Array("elohim/pair/v1/identity".utf8) + [role] + CPace.prependLength(binding) + CPace.sidOutput(transcript: transcript)
    }

    static let joinerRole = UInt8(ascii: "J")
    static let inviterRole = UInt8(ascii: "I")
}

/// The joiner's side of CPace with key confirmation and identity exchange (PROTOCOL.md
/// section 10): it sends `request`, checks the inviter's `response`, and answers with a
/// confirmation that proves it derived the same key.
public struct JoinerHandshake: Sendable {
    public let channel: PairingChannel
    public let request: PairRequest
    private let share: CPace.Share

    public init<R: RandomNumberGenerator>(code: OmniCode, identity: Ed25519KeyPair, channel: PairingChannel,
                                          using rng: inout R) {
        self.channel = channel
        let g = CPace.generator(password: code.password, channel: channel.channelIdentifier, sid: channel.binding)
        share = CPace.share(generator: g, using: &rng)
        request = PairRequest(tag: code.tag, share: share.point, identityKey: identity.publicKey.bytes)
        signer = identity
    }

    private let signer: Ed25519KeyPair

    /// Checks the inviter's answer: a valid share, the identity the link showed, a
    /// confirmation tag only the holder of the same code could compute, and a signature by
    /// that identity over this run. Returns the message that completes the run.
    public func verify(_ response: PairResponse) throws(PairingFailure) -> (confirm: PairConfirm, inviterKey: Ed25519PublicKey) {
        guard let inviterKey = Ed25519PublicKey(bytes: response.identityKey) else { throw .malformed("identity key") }
        guard NodeID(publicKey: inviterKey) == channel.inviter else { throw .identityMismatch }
        guard let k = CPace.sharedPoint(scalar: share.scalar, peerShare: response.share) else { throw .invalidShare }
        let transcript = CPace.transcript(initiator: request.share, initiatorAD: request.identityKey,
                                          responder: response.share, responderAD: response.identityKey)
        let isk = CPace.isk(sid: channel.binding, sharedPoint: k, transcript: transcript)
        let expected = CPace.confirmation(isk: isk, sid: channel.binding, share: response.share, ad: response.identityKey)
        guard Sodium.constantTimeEqual(expected, response.confirmation) else { throw .wrongCode }
        let statement = channel.signedStatement(role: PairingChannel.inviterRole, transcript: transcript)
        guard inviterKey.isValidSignature(response.signature, for: statement) else { throw .badSignature }
        let mine = CPace.confirmation(isk: isk, sid: channel.binding, share: request.share, ad: request.identityKey)
        let signature = signer.sign(channel.signedStatement(role: PairingChannel.joinerRole, transcript: transcript))
        return (PairConfirm(confirmation: mine, signature: signature), inviterKey)
    }
}

/// The inviter's side: answers a request for one of its codes, then checks the joiner's
/// confirmation.
public struct InviterHandshake: Sendable {
    public let channel: PairingChannel
    public let joinerKey: Ed25519PublicKey
    private let transcript: [UInt8]
    private let expectedConfirmation: [UInt8]

    /// The answer to `request` under `code`. Throws when the request itself is unusable
    /// (not a valid share, or an identity key other than the link's); a wrong code is only
    /// found at `verify`, which is what keeps an attacker from learning anything here.
    public static func respond<R: RandomNumberGenerator>(to request: PairRequest, code: OmniCode, identity: Ed25519KeyPair,
                                                         channel: PairingChannel, using rng: inout R)
        throws(PairingFailure) -> (InviterHandshake, PairResponse) {
        guard let joinerKey = Ed25519PublicKey(bytes: request.identityKey) else { throw .malformed("identity key") }
        guard NodeID(publicKey: joinerKey) == channel.joiner else { throw .identityMismatch }
        let g = CPace.generator(password: code.password, channel: channel.channelIdentifier, sid: channel.binding)
        let share = CPace.share(generator: g, using: &rng)
        guard let k = CPace.sharedPoint(scalar: share.scalar, peerShare: request.share) else { throw .invalidShare }
        let ad = identity.publicKey.bytes
        let transcript = CPace.transcript(initiator: request.share, initiatorAD: request.identityKey, responder: share.point,
                                          responderAD: ad)
        let isk = CPace.isk(sid: channel.binding, sharedPoint: k, transcript: transcript)
        let response = PairResponse(
            share: share.point, identityKey: ad,
            confirmation: CPace.confirmation(isk: isk, sid: channel.binding, share: share.point, ad: ad),
            signature: identity.sign(channel.signedStatement(role: PairingChannel.inviterRole, transcript: transcript)))
        let expected = CPace.confirmation(isk: isk, sid: channel.binding, share: request.share, ad: request.identityKey)
        return (InviterHandshake(channel: channel, joinerKey: joinerKey, transcript: transcript, expectedConfirmation: expected),
                response)
    }

    /// Checks the joiner's confirmation and signature; returns the joiner's identity key.
    public func verify(_ confirm: PairConfirm) throws(PairingFailure) -> Ed25519PublicKey {
        guard Sodium.constantTimeEqual(expectedConfirmation, confirm.confirmation) else { throw .wrongCode }
        let statement = channel.signedStatement(role: PairingChannel.joinerRole, transcript: transcript)
        guard joinerKey.isValidSignature(confirm.signature, for: statement) else { throw .badSignature }
        return joinerKey
    }
}

/// Why a pairing run failed, as the side that noticed it reports it.
public enum PairingFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Key confirmation failed: the two sides used different codes (or a relay altered the run).
    case wrongCode
    /// The peer's share is not a valid ristretto255 point, or is the identity.
    case invalidShare
    /// The identity key in the run is not the one the link authenticated.
    case identityMismatch
    case badSignature
    case malformed(String)
    /// The inviter refused: the code is unknown, expired, used, burned or revoked.
    case refused(PairingRefusal, message: String)
    /// A message arrived out of order.
    case unexpected(String)
    /// The peer went silent or closed the link before the run ended.
    case incomplete
    /// The inviter could not be found or reached.
    case unreachable(String)

    public var description: String {
        switch self {
        case .wrongCode:
            "the code does not match the inviter's: check it with them (each wrong try counts; 5 burn the code)"
        case .invalidShare: "the peer sent an invalid CPace share: not a pairing peer, or a corrupted link"
        case .identityMismatch: "the peer's identity in the pairing run differs from the one its link proved"
        case .badSignature: "the peer's identity signature over the pairing run does not verify"
        case let .malformed(what): "malformed pairing message: \(what)"
        case let .refused(_, message): message
        case let .unexpected(kind):
            "the other node answered with ordinary mesh traffic (\(kind)) instead of the pairing run: it runs a version that "
                + "takes a pairing link from a node it already trusts for an ordinary one; upgrade it, or pair before linking"
        case .incomplete: "the peer closed the link or went silent before pairing finished"
        case let .unreachable(why): why
        }
    }
}
