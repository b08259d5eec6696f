import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Pairing between two desks, message by message, with what a relay in the middle may do.
@Suite struct PairingTests {
    struct Parties {
        var inviter: PairingDesk
        var joiner: PairingDesk
        var invite: PairingInvite
        var channel: PairingChannel
        var rng = SeededGenerator(seed: 99)
    }

    static let day: UInt64 = 86_400_000

    static func parties(seed: UInt64 = 1) -> Parties {
        var rng = SeededGenerator(seed: seed)
        let a = Ed25519KeyPair.generate(using: &rng)
        let b = Ed25519KeyPair.generate(using: &rng)
        var inviter = PairingDesk(identity: a)
        let (invite, _) = try! inviter.book.create(lifetimeMs: 7 * day, grant: nil, at: 1_000, using: &rng)
        let channel = PairingChannel(joiner: NodeID(publicKey: b.publicKey), inviter: NodeID(publicKey: a.publicKey),
                                     binding: Array(repeating: 0x42, count: 32))
        return Parties(inviter: inviter, joiner: PairingDesk(identity: b), invite: invite, channel: channel)
    }

    /// Runs one attempt with `code` on `session`, passing each message through `relay`
    /// (which may alter it). Returns both outcomes (nil: that side never concluded).
    static func run(_ p: inout Parties, code: OmniCode, session: UInt64 = 1, at now: UInt64 = 2_000,
                    joinerChannel: PairingChannel? = nil,
                    relay: (PairingMessage) -> PairingMessage = { $0 })
        -> (inviter: PairingDesk.PairingOutcome?, joiner: PairingDesk.PairingOutcome?) {
        var toInviter = [relay(p.joiner.join(code: code, session: session, channel: joinerChannel ?? p.channel, using: &p.rng))]
        var inviterOutcome: PairingDesk.PairingOutcome?
        var joinerOutcome: PairingDesk.PairingOutcome?
        while let m = toInviter.popLast() {
            let step = p.inviter.receive(m, session: session, channel: p.channel, at: now, using: &p.rng)
            var toJoiner = step.send
            if let outcome = step.outcome {
                inviterOutcome = outcome
                if case .paired = outcome { toJoiner.append(.result(PairResult(accepted: true))) }
            }
            for r in toJoiner {
                let s = p.joiner.receive(relay(r), session: session, channel: joinerChannel ?? p.channel, at: now, using: &p.rng)
                toInviter += s.send.map(relay)
                if let o = s.outcome { joinerOutcome = o }
            }
        }
        return (inviterOutcome, joinerOutcome)
    }

    @Test func rightCodePairsBothWaysAndSpendsTheCode() {
        var p = Self.parties()
        let (i, j) = Self.run(&p, code: p.invite.code)
        guard case let .paired(joiner)? = i, case let .paired(inviter)? = j else {
            Issue.record("expected both paired, got \(String(describing: i)) / \(String(describing: j))")
            return
        }
        #expect(joiner.node == p.channel.joiner)
        #expect(inviter.node == p.channel.inviter)
        #expect(p.inviter.book.invite(id: p.invite.id)?.status(at: 3_000) == .used)
        #expect(p.inviter.book.invite(id: p.invite.id)?.usedBy == p.channel.joiner)
        #expect(p.inviter.sessionsInProgress == 0 && p.joiner.sessionsInProgress == 0)
        // Used: the same code cannot pair again.
        let (again, joinerAgain) = Self.run(&p, code: p.invite.code, session: 2)
        #expect(again == .failed(.refused(.used, message: PairingRefusal.used.message)))
        #expect(joinerAgain == .failed(.refused(.used, message: PairingRefusal.used.message)))
    }

    @Test func wrongCodeFailsOnBothSidesAndCountsAnAttempt() throws {
        var p = Self.parties()
        // Same tag (found), different secret half.
        let wrong = try OmniCode(parsing: p.invite.code.tag + (p.invite.code.symbols.hasSuffix("0000") ? "1111" : "0000"))
        let (i, j) = Self.run(&p, code: wrong)
        #expect(j == .failed(.wrongCode))
        // The joiner stops at the response; the inviter learns of the failure when the link closes.
        #expect(i == nil)
        #expect(p.inviter.end(session: 1)?.id == p.invite.id, "ending names the code of the unfinished run")
        #expect(p.inviter.end(session: 1) == nil, "once")
        #expect(p.inviter.book.invite(id: p.invite.id)?.failures == 1)
        #expect(p.inviter.book.invite(id: p.invite.id)?.status(at: 3_000) == .open)
    }

    @Test func burnedAfterFiveFailuresSoASixthTryWithTheRightCodeFails() throws {
        var p = Self.parties()
        let wrong = try OmniCode(parsing: p.invite.code.tag + (p.invite.code.symbols.hasSuffix("0000") ? "1111" : "0000"))
        for s in 1...5 {
            _ = Self.run(&p, code: wrong, session: UInt64(s))
            p.inviter.end(session: UInt64(s))
        }
        #expect(p.inviter.book.invite(id: p.invite.id)?.status(at: 3_000) == .burned)
        let (i, j) = Self.run(&p, code: p.invite.code, session: 6)
        #expect(i == .failed(.refused(.burned, message: PairingRefusal.burned.message)))
        #expect(j == .failed(.refused(.burned, message: PairingRefusal.burned.message)))
        #expect(p.inviter.announcedTagsCount(at: 3_000) == 0)
    }

    @Test func expiredAndRevokedCodesAreRefused() throws {
        var p = Self.parties()
        let (i, _) = Self.run(&p, code: p.invite.code, at: 1_000 + 7 * Self.day)
        #expect(i == .failed(.refused(.expired, message: PairingRefusal.expired.message)))

        var q = Self.parties(seed: 2)
        _ = try q.inviter.book.revoke(id: q.invite.id, at: 2_000)
        let (r, _) = Self.run(&q, code: q.invite.code)
        #expect(r == .failed(.refused(.revoked, message: PairingRefusal.revoked.message)))
        #expect(throws: InviteError.notOpen(q.invite.id, .revoked)) { try q.inviter.book.revoke(id: q.invite.id, at: 2_000) }
    }

    /// A node answers pairing runs while a code it made is live or lately ended (so a late
    /// joiner learns "already used"), and offers no pairing surface otherwise.
    @Test func pairingIsAnsweredOnlyAroundLiveCodes() throws {
        var p = Self.parties()
        #expect(PairingDesk(identity: Ed25519KeyPair.generate(using: &p.rng)).book.answersPairing(at: 2_000) == false)
        _ = Self.run(&p, code: p.invite.code)
        #expect(p.inviter.book.invite(id: p.invite.id)?.status(at: 3_000) == .used)
        #expect(p.inviter.book.answersPairing(at: 3_000), "a used code is still answered for")
        let expiry = p.invite.expiresMs
        #expect(p.inviter.book.answersPairing(at: expiry + InviteBook.answerWindowMs - 1))
        #expect(!p.inviter.book.answersPairing(at: expiry + InviteBook.answerWindowMs))

        var q = Self.parties(seed: 3)
        _ = try q.inviter.book.revoke(id: q.invite.id, at: 2_000)
        #expect(!q.inviter.book.answersPairing(at: 2_000), "revoking the only code closes the surface")
    }

    @Test func unknownTagIsRefusedWithoutCountingAnything() throws {
        var p = Self.parties()
        var other = try OmniCode(parsing: "ZZZZ-ZZZZ")
        if other.tag == p.invite.code.tag { other = try OmniCode(parsing: "YYYY-YYYY") }
        let (i, j) = Self.run(&p, code: other)
        #expect(i == .failed(.refused(.unknownCode, message: PairingRefusal.unknownCode.message)))
        #expect(j == .failed(.refused(.unknownCode, message: PairingRefusal.unknownCode.message)))
        #expect(p.inviter.book.invite(id: p.invite.id)?.attempts == 0)
    }

    /// A relay that alters any byte of a share, tag or confirmation makes the run fail on
    /// both sides (neither pins anyone).
    @Test func aRelayThatAltersBytesMakesBothSidesFail() {
        func flip(_ bytes: [UInt8]) -> [UInt8] { var b = bytes; b[0] ^= 1; return b }
        let alterations: [(String, (PairingMessage) -> PairingMessage)] = [
            ("request share", { if case var .request(r) = $0 { r.share = flip(r.share); return .request(r) }; return $0 }),
            ("response share", { if case var .response(r) = $0 { r.share = flip(r.share); return .response(r) }; return $0 }),
            ("response confirmation", { if case var .response(r) = $0 { r.confirmation = flip(r.confirmation); return .response(r) }; return $0 }),
            ("confirm confirmation", { if case var .confirm(c) = $0 { c.confirmation = flip(c.confirmation); return .confirm(c) }; return $0 }),
            ("confirm signature", { if case var .confirm(c) = $0 { c.signature = flip(c.signature); return .confirm(c) }; return $0 }),
        ]
        for (what, alter) in alterations {
            var p = Self.parties()
            let (i, j) = Self.run(&p, code: p.invite.code, relay: alter)
            if case .paired? = i { Issue.record("inviter paired despite altered \(what)") }
            if case .paired? = j { Issue.record("joiner paired despite altered \(what)") }
            #expect(j != nil, "joiner must conclude when \(what) is altered")
            #expect(p.inviter.book.invite(id: p.invite.id)?.usedBy == nil, "\(what)")
        }
    }

    /// A man in the middle that terminates each side's link separately has different
    /// bindings on each: even with the right code, the run fails.
    @Test func runsOverDifferentLinksDoNotPair() {
        var p = Self.parties()
        var other = p.channel
        other.binding = Array(repeating: 0x43, count: 32)
        let (i, j) = Self.run(&p, code: p.invite.code, joinerChannel: other)
        #expect(j == .failed(.wrongCode))
        if case .paired? = i { Issue.record("inviter paired across two links") }
    }

    @Test func anIdentityOtherThanTheLinksIsRefused() {
        var p = Self.parties()
        var lying = p.channel
        lying.joiner = NodeID(bytes: [UInt8](repeating: 9, count: 20))!
        let request = p.joiner.join(code: p.invite.code, session: 1, channel: p.channel, using: &p.rng)
        let step = p.inviter.receive(request, session: 1, channel: lying, at: 2_000, using: &p.rng)
        #expect(step.outcome == .failed(.identityMismatch))
    }

    @Test func theBookKeepsItsLimits() throws {
        var rng = SeededGenerator(seed: 3)
        var book = InviteBook()
        for _ in 0..<InviteBook.maxOpen { _ = try book.create(lifetimeMs: Self.day, grant: nil, at: 0, using: &rng) }
        #expect(throws: InviteError.tooManyOpen) { try book.create(lifetimeMs: Self.day, grant: nil, at: 0, using: &rng) }
        #expect(Set(book.announcedTags(at: 0)).count == InviteBook.maxOpen)
        #expect(throws: InviteError.badLifetime(10)) { try book.create(lifetimeMs: 10, grant: nil, at: 0, using: &rng) }
        // Expired codes make room again.
        #expect(book.open(at: Self.day).isEmpty)
        _ = try book.create(lifetimeMs: Self.day, grant: nil, at: Self.day, using: &rng)
    }
}

extension PairingDesk {
    func announcedTagsCount(at now: UInt64) -> Int { book.announcedTags(at: now).count }
}
