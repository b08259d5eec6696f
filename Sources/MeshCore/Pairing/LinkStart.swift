import Wire

/// What a link does once its Noise handshake is over (PROTOCOL.md sections 9.1 and 10.4): run a
/// pairing by code first, or go straight to the trust rules as an ordinary link.
///
/// The rule that lets a code work whatever links already exist: **the initiator's
/// `LinkHello.purpose` alone makes a link a pairing link**, never the trust the inviter has
/// in the joiner. A node linked to the inviter already (by `--peer`, or paired before, maybe
/// for another team) opens a second connection marked `.pairing`; the inviter runs the run on
/// it and nothing else, so no gossip reaches the run and no pairing message reaches gossip.
/// Only once the run succeeds does the link become an ordinary one, where the one-link-per-
/// peer tie-break (the link started by the smaller node ID stays) applies as to any other.
public enum LinkStart: Equatable, Sendable {
    /// This node dialled to pair: it runs the joiner's side.
    case pairAsJoiner
    /// The peer dialled to pair and this node has a code it answers for: the inviter's side.
    case pairAsInviter
    /// The peer dialled to pair but this node answers for no code: tell it, then close.
    case refusePairing(PairingRefusal)
    /// An ordinary link: the trust rules admit or refuse it.
    case ordinary
    /// Closed at once.
    case refuse(Refusal)

    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// The address leads back to this node.
        case selfLink
        /// A responder said it opens the link to pair: only the initiator's purpose means anything.
        case responderPurpose

        public var description: String {
            switch self {
            case .selfLink: "the address leads back to this node"
            case .responderPurpose: "the node answered as if it had dialled to pair: not a node of this version"
            }
        }
    }

    /// Decides from what the handshake showed; pure, so the simulator takes the same decisions.
    ///
    /// - Parameters:
    ///   - initiator: this node dialled the link.
    ///   - joining: this node dialled it to pair (its own hello said `.pairing`).
    ///   - peerPurpose: the purpose in the peer's `LinkHello`.
    ///   - selfLink: the peer is this node.
    ///   - peerTrusted: the trust store holds the peer (only for the rule kept for older joiners).
    ///   - answersPairing: a code of this node is within its lifetime or expired less than a day
    ///     ago (`InviteBook.answersPairing`), so a joiner is told why it cannot pair.
    public static func decide(initiator: Bool, joining: Bool, peerPurpose: LinkPurpose, selfLink: Bool,
                              peerTrusted: Bool, answersPairing: Bool) -> LinkStart {
        if selfLink { return .refuse(.selfLink) }
        if initiator {
            if peerPurpose != .link { return .refuse(.responderPurpose) }
            return joining ? .pairAsJoiner : .ordinary
        }
        switch peerPurpose {
        case .pairing:
            return answersPairing ? .pairAsInviter : .refusePairing(.unknownCode)
        case .link:
            // A joiner older than the purpose field sends `.link`: an untrusted one is still
            // taken as joining while a code is open, as before (it could not link otherwise).
            return !peerTrusted && answersPairing ? .pairAsInviter : .ordinary
        }
    }
}
