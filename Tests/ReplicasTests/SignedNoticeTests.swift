import Foundation
import Sodium
import Testing
import Wire
@testable import Replicas

/// Issue 15: a notice says which node sent it, and nobody else can say it for them.
@Suite struct SignedNoticeTests {
    let now: UInt64 = 1_800_000_000_000
    let ada = keys(1), eve = keys(2)
    var adaID: NodeID { NodeID(publicKey: ada.publicKey) }
    var eveID: NodeID { NodeID(publicKey: eve.publicKey) }

    @Test func aSignedNoticeVerifiesAsItsSendersAndOnlyAsTheirs() throws {
        let payload = SignedNotice.payload(text: "water at the north gate", keyPair: ada, sentAtMs: now)
        let notice = try SignedNotice.verify(payload, origin: adaID, nowMs: now + 2_000).get()
        #expect(notice.text == "water at the north gate" && notice.author == adaID && notice.sentAtMs == now)
        #expect(GossipPayloadCoding.carriesOp(payload) == false)
        // Eve re-broadcasts Ada's notice as her own, or forges a frame with Ada as origin and her own key.
        #expect(SignedNotice.verify(payload, origin: eveID, nowMs: now) == .failure(.originMismatch))
        let forged = SignedNotice.payload(text: "evacuate now", keyPair: eve, sentAtMs: now)
        #expect(SignedNotice.verify(forged, origin: adaID, nowMs: now) == .failure(.originMismatch))
    }

    /// What the sender keeps without checking its own signature is what a receiver reads back.
    @Test func theSendersNoticeIsTheOneReceiversRead() throws {
        let (kept, payload) = SignedNotice.make(text: "generator refuelled", keyPair: ada, sentAtMs: now)
        #expect(try SignedNotice.verify(payload, origin: adaID, nowMs: now).get() == kept)
    }

    @Test func aChangedTextOrTimeBreaksTheSignature() throws {
        let payload = SignedNotice.payload(text: "all clear", keyPair: ada, sentAtMs: now)
        var p = try Elohim_Replicas_V1_GossipPayload(serializedBytes: Data(payload))
        guard case var .notice(n)? = p.kind else { Issue.record("not a notice"); return }
        n.text = "all clear, come out"
        p.notice = n
        #expect(SignedNotice.verify(try p.serializedData().byteArray, origin: adaID, nowMs: now) == .failure(.badSignature))
        n.text = "all clear"
        n.sentAtMs = now + 1
        p.notice = n
        #expect(SignedNotice.verify(try p.serializedData().byteArray, origin: adaID, nowMs: now) == .failure(.badSignature))
    }

    @Test func unsignedTooLongAndNotANoticeAreRefused() {
        #expect(SignedNotice.verify(GossipPayloadCoding.encode(notice: "hello"), origin: adaID, nowMs: now) == .failure(.unsigned))
        let long = String(repeating: "é", count: 501)  // 1,002 bytes
        #expect(SignedNotice.verify(SignedNotice.payload(text: long, keyPair: ada, sentAtMs: now), origin: adaID, nowMs: now) == .failure(.tooLong(1002)))
        #expect(SignedNotice.verify([0xFF, 0x01], origin: adaID, nowMs: now) == .failure(.notANotice))
        #expect(SignedNotice.verify([], origin: adaID, nowMs: now) == .failure(.notANotice))
    }

    @Test func aNoticeIsTakenOnlyWithinTenMinutesOfTheReceiversClock() {
        let skew = SignedNotice.maxSkewMs
        let payload = SignedNotice.payload(text: "x", keyPair: ada, sentAtMs: now)
        #expect((try? SignedNotice.verify(payload, origin: adaID, nowMs: now + skew).get()) != nil)
        #expect((try? SignedNotice.verify(payload, origin: adaID, nowMs: now - skew).get()) != nil)
        #expect(SignedNotice.verify(payload, origin: adaID, nowMs: now + skew + 1) == .failure(.stale(ageMs: skew + 1)))
        #expect(SignedNotice.verify(payload, origin: adaID, nowMs: now - skew - 1) == .failure(.fromTheFuture(aheadMs: skew + 1)))
        let ancient = SignedNotice.payload(text: "x", keyPair: ada, sentAtMs: 0)
        #expect(SignedNotice.verify(ancient, origin: adaID, nowMs: UInt64.max) == .failure(.stale(ageMs: UInt64.max)))
    }

    @Test func aCopyIsTheSameNoticeAndAnotherSendIsNot() throws {
        let a = try SignedNotice.verify(SignedNotice.payload(text: "x", keyPair: ada, sentAtMs: now), origin: adaID, nowMs: now).get()
        let again = try SignedNotice.verify(SignedNotice.payload(text: "x", keyPair: ada, sentAtMs: now), origin: adaID, nowMs: now).get()
        let later = try SignedNotice.verify(SignedNotice.payload(text: "x", keyPair: ada, sentAtMs: now + 1), origin: adaID, nowMs: now).get()
        #expect(a.isSame(again) && !a.isSame(later))
    }
}
