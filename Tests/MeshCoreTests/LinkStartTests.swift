import Testing
import Wire
@testable import MeshCore

/// What a link does after its handshake: a link dialled to pair runs the pairing whatever the
/// inviter already trusts (issue 17, item 2), and an ordinary link never does once trusted.
@Suite struct LinkStartTests {
    static func decide(initiator: Bool = false, joining: Bool = false, purpose: LinkPurpose, selfLink: Bool = false,
                       trusted: Bool, answers: Bool) -> LinkStart {
        LinkStart.decide(initiator: initiator, joining: joining, peerPurpose: purpose, selfLink: selfLink,
                         peerTrusted: trusted, answersPairing: answers)
    }

    @Test func aPairingLinkPairsWhetherOrNotThePeerIsTrustedAlready() {
        // The bug: a trusted (linked) joiner's pairing link was admitted as an ordinary link.
        #expect(Self.decide(purpose: .pairing, trusted: true, answers: true) == .pairAsInviter)
        #expect(Self.decide(purpose: .pairing, trusted: false, answers: true) == .pairAsInviter)
        // No code to answer for: the joiner is told so, trusted or not; never an ordinary link.
        #expect(Self.decide(purpose: .pairing, trusted: true, answers: false) == .refusePairing(.unknownCode))
        #expect(Self.decide(purpose: .pairing, trusted: false, answers: false) == .refusePairing(.unknownCode))
    }

    @Test func anOrdinaryLinkFromATrustedPeerNeverPairsEvenWithCodesOpen() {
        #expect(Self.decide(purpose: .link, trusted: true, answers: true) == .ordinary)
        #expect(Self.decide(purpose: .link, trusted: true, answers: false) == .ordinary)
        // An untrusted peer without the purpose field (a joiner older than it) still pairs
        // while a code is open; with none open the trust rules refuse it.
        #expect(Self.decide(purpose: .link, trusted: false, answers: true) == .pairAsInviter)
        #expect(Self.decide(purpose: .link, trusted: false, answers: false) == .ordinary)
    }

    @Test func theDiallingSideFollowsItsOwnPurposeAndRefusesAResponderThatClaimsOne() {
        #expect(Self.decide(initiator: true, joining: true, purpose: .link, trusted: true, answers: false) == .pairAsJoiner)
        #expect(Self.decide(initiator: true, joining: false, purpose: .link, trusted: false, answers: true) == .ordinary)
        #expect(Self.decide(initiator: true, joining: true, purpose: .pairing, trusted: true, answers: false)
            == .refuse(.responderPurpose))
        #expect(Self.decide(initiator: true, joining: true, purpose: .link, selfLink: true, trusted: false, answers: false)
            == .refuse(.selfLink))
        #expect(Self.decide(purpose: .pairing, selfLink: true, trusted: true, answers: true) == .refuse(.selfLink))
    }
}
