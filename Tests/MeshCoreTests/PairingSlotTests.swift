import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Issue 15, item 7: a LAN stranger could open pairing links and hold every inviter slot, so
/// the real joiner was refused `busy`. Slots are now opened per source address (one run each)
/// and freed at a deadline whatever the link does (PROTOCOL.md section 10.5).
@Suite struct PairingSlotTests {
    typealias Parties = PairingTests.Parties

    static func at(_ ms: Int64) -> Instant { .milliseconds(ms) }

    /// Runs the joiner of `p` on an opened `session` at monotonic `ms`; the inviter's outcome.
    static func pair(_ p: inout Parties, session: UInt64, at ms: Int64) -> PairingDesk.PairingOutcome? {
        var toInviter = [p.joiner.join(code: p.invite.code, session: session, channel: p.channel, using: &p.rng)]
        var outcome: PairingDesk.PairingOutcome?
        while let m = toInviter.popLast() {
            let step = p.inviter.receive(m, session: session, channel: p.channel, at: 2_000, now: at(ms), using: &p.rng)
            if let o = step.outcome { outcome = o }
            for r in step.send {
                toInviter += p.joiner.receive(r, session: session, channel: p.channel, at: 2_000, using: &p.rng).send
            }
        }
        return outcome
    }

    static func isPaired(_ o: PairingDesk.PairingOutcome?) -> Bool { if case .paired? = o { true } else { false } }

    @Test func oneRunPerAddressAtATime() {
        var p = PairingTests.parties()
        #expect(p.inviter.open(session: 1, source: "10.0.0.66", at: Self.at(0)) == .admitted(deadline: Self.at(5_000)))
        #expect(p.inviter.open(session: 2, source: "10.0.0.66", at: Self.at(10)) == .refused(.busy))
        #expect(p.inviter.open(session: 3, source: "10.0.0.7", at: Self.at(20)) == .admitted(deadline: Self.at(5_020)))
        // Once the first run ends, the address may open another.
        p.inviter.end(session: 1)
        #expect(p.inviter.open(session: 4, source: "10.0.0.66", at: Self.at(30)) == .admitted(deadline: Self.at(5_030)))
    }

    @Test func aSlotHeldPastItsDeadlineIsFreedAndItsLinkNamedForClosing() {
        var p = PairingTests.parties()
        for k in 0..<PairingDesk.maxSessions {
            #expect(p.inviter.open(session: UInt64(k), source: "10.0.1.\(k)", at: Self.at(Int64(k))) != .refused(.busy))
        }
        #expect(p.inviter.open(session: 100, source: "10.0.0.2", at: Self.at(1_000)) == .refused(.busy), "every slot is taken")
        #expect(p.inviter.nextDeadline == Self.at(5_000))
        #expect(p.inviter.expire(at: Self.at(4_999)).isEmpty)
        #expect(p.inviter.expire(at: Self.at(5_003)) == [0, 1, 2, 3])
        #expect(p.inviter.sessionsInProgress == PairingDesk.maxSessions - 4)
        // A stranger that sent its request and then went silent: its slot goes too, and a late
        // confirm is refused (the attempt stays counted as a failure).
        var s = PairingTests.parties(seed: 2)
        #expect(s.inviter.open(session: 1, source: "10.0.0.66", at: Self.at(0)) == .admitted(deadline: Self.at(5_000)))
        let request = s.joiner.join(code: s.invite.code, session: 1, channel: s.channel, using: &s.rng)
        let response = s.inviter.receive(request, session: 1, channel: s.channel, at: 2_000, now: Self.at(100), using: &s.rng)
        let confirm = s.joiner.receive(response.send[0], session: 1, channel: s.channel, at: 2_000, using: &s.rng).send[0]
        let late = s.inviter.receive(confirm, session: 1, channel: s.channel, at: 2_000, now: Self.at(5_000), using: &s.rng)
        #expect(late.outcome == .failed(.incomplete) && late.send.isEmpty)
        #expect(s.inviter.sessionsInProgress == 0)
        #expect(s.inviter.book.invite(id: s.invite.id)?.failures == 1)
    }

    @Test func aLegitimateJoinerSucceedsWhileStrangersHoldConnections() {
        var p = PairingTests.parties()
        // One stranger with one address opens as many links as it can: one gets a slot.
        var held = 0
        for k in 0..<20 where p.inviter.open(session: UInt64(100 + k), source: "10.0.0.66", at: Self.at(0)) != .refused(.busy) { held += 1 }
        #expect(held == 1)
        #expect(p.inviter.open(session: 1, source: "10.0.0.7", at: Self.at(50)) == .admitted(deadline: Self.at(5_050)))
        #expect(Self.isPaired(Self.pair(&p, session: 1, at: 60)))

        // Strangers with eight addresses hold every slot: the joiner is refused for at most the
        // deadline, then pairs while their connections are still open.
        var q = PairingTests.parties(seed: 3)
        for k in 0..<PairingDesk.maxSessions {
            _ = q.inviter.open(session: UInt64(100 + k), source: "10.0.2.\(k)", at: Self.at(0))
        }
        #expect(q.inviter.open(session: 1, source: "10.0.0.7", at: Self.at(1_000)) == .refused(.busy))
        #expect(q.inviter.open(session: 2, source: "10.0.0.7", at: Self.at(5_000)) == .admitted(deadline: Self.at(10_000)))
        #expect(Self.isPaired(Self.pair(&q, session: 2, at: 5_010)))
        // The strangers' links, still open, get nothing more: their runs are over.
        let stranger = q.joiner.join(code: q.invite.code, session: 100, channel: q.channel, using: &q.rng)
        let step = q.inviter.receive(stranger, session: 100, channel: q.channel, at: 2_000, now: Self.at(5_020), using: &q.rng)
        #expect(step.outcome == .failed(.incomplete) && step.send.isEmpty)
    }

    @Test func aSessionIsOpenedOnce() {
        var p = PairingTests.parties()
        _ = p.inviter.open(session: 1, source: "10.0.0.7", at: Self.at(0))
        #expect(p.inviter.open(session: 1, source: "10.0.0.8", at: Self.at(1)) == .refused(.badRequest))
    }
}
