import Testing
import Wire
@testable import MeshCore

@Suite struct LivenessTests {
    let me = node(1), peer = node(2), helper = node(3)

    func core(configure: (inout LivenessConfiguration) -> Void = { _ in }) -> Liveness {
        var config = LivenessConfiguration()
        configure(&config)
        var l = Liveness(me: me, configuration: config, persistedIncarnation: nil)
        var rng = SeededGenerator(seed: 7)
        l.linkUp(peer, at: .zero, using: &rng)
        l.linkUp(helper, at: .zero, using: &rng)
        return l
    }

    /// Runs timers until `end`, feeding nothing back: the peers are silent.
    func runSilently(_ l: inout Liveness, until end: Instant, rng: inout SeededGenerator) -> [MeshEffect] {
        var all: [MeshEffect] = []
        while let next = l.nextDeadline, next <= end {
            l.timer(at: next, using: &rng, effects: &all)
        }
        return all
    }

    @Test func silentPeerIsProbedIndirectlyThenSuspectedThenDead() {
        var l = core()
        var rng = SeededGenerator(seed: 1)
        let effects = runSilently(&l, until: .ms(40_000), rng: &rng)
        let toHelper = effects.sent(to: helper)
        #expect(toHelper.contains(.pingReq(seq: 1, target: peer)) || toHelper.contains { if case .pingReq(_, peer) = $0 { true } else { false } })
        let verdicts = effects.statuses.filter { $0.0 == peer }.map(\.1)
        #expect(verdicts == [.suspect, .dead])
        #expect(effects.sent(to: peer).contains { if case .suspect(peer, 0) = $0 { true } else { false } })
        #expect(l.counters.deaths == 2, "both silent peers die")
    }

    @Test func deadAfterTheConfiguredTimeoutFromSuspicion() {
        var l = core { $0.deadTimeout = .seconds(5) }
        var rng = SeededGenerator(seed: 1)
        var suspectedAt: Instant?, deadAt: Instant?
        while let next = l.nextDeadline, next <= .ms(20_000), deadAt == nil {
            var effects: [MeshEffect] = []
            l.timer(at: next, using: &rng, effects: &effects)
            for (p, s) in effects.statuses where p == peer {
                if s == .suspect { suspectedAt = next }
                if s == .dead { deadAt = next }
            }
        }
        let s = try! #require(suspectedAt), d = try! #require(deadAt)
        #expect(d - s == .seconds(5))
        #expect(s <= .ms(2000), "a silent peer is suspected within two probe intervals")
    }

    @Test func suspicionIsRefutedOnlyByAHigherIncarnation() {
        var l = core()
        var rng = SeededGenerator(seed: 1)
        var effects: [MeshEffect] = []
        while l.status(of: peer) != .suspect, let next = l.nextDeadline {
            l.timer(at: next, using: &rng, effects: &effects)
        }
        // A stale ack (same incarnation) keeps the suspicion and reminds the peer.
        var stale: [MeshEffect] = []
        l.receive(.ack(seq: 999, incarnation: 0), from: peer, at: .ms(3000), effects: &stale)
        #expect(l.status(of: peer) == .suspect)
        #expect(stale.sent(to: peer) == [.suspect(target: peer, incarnation: 0)])
        // The peer refutes with incarnation 1.
        var refuted: [MeshEffect] = []
        l.receive(.alive(target: peer, incarnation: 1), from: peer, at: .ms(3100), effects: &refuted)
        #expect(refuted.statuses.map(\.1) == [.alive])
        #expect(l.status(of: peer) == .alive)
    }

    @Test func suspectedNodeRaisesItsIncarnationAndPersistsIt() {
        var target = Liveness(me: peer, configuration: LivenessConfiguration(), persistedIncarnation: nil)
        var effects: [MeshEffect] = []
        target.receive(.suspect(target: peer, incarnation: 0), from: me, at: .ms(1), effects: &effects)
        #expect(target.incarnation == 1)
        #expect(effects.contains(.persist(.incarnation(1))))
        // The refutation goes to the suspecter even when the ping from it has no link yet.
        var rng = SeededGenerator(seed: 1)
        target.linkUp(me, at: .ms(2), using: &rng)
        effects.removeAll()
        target.receive(.suspect(target: peer, incarnation: 0), from: me, at: .ms(3), effects: &effects)
        #expect(effects.sent(to: me) == [.alive(target: peer, incarnation: 1)])
        #expect(target.incarnation == 1, "an older suspicion does not raise it again")
    }

    @Test func deadPeerThatComesBackIsWelcomedBack() {
        var l = core { $0.deadTimeout = .seconds(2) }
        var rng = SeededGenerator(seed: 1)
        _ = runSilently(&l, until: .ms(10_000), rng: &rng)
        #expect(l.status(of: peer) == .dead)
        // Dead peers are still probed, slowly.
        let later = runSilently(&l, until: .ms(16_000), rng: &rng)
        #expect(later.sent(to: peer).contains { if case .ping = $0 { true } else { false } })
        // It restarts: a higher incarnation in its first ping.
        var back: [MeshEffect] = []
        l.receive(.ping(seq: 1, incarnation: 1), from: peer, at: .ms(16_500), effects: &back)
        #expect(back.statuses.map(\.1) == [.alive])
        #expect(l.counters.revivals == 1)
    }

    @Test func restartRaisesTheIncarnation() {
        let l = Liveness(me: me, configuration: LivenessConfiguration(), persistedIncarnation: 4)
        #expect(l.incarnation == 5)
        #expect(l.startRecord == .incarnation(5))
    }

    @Test func helperRelaysTheAckOfAnIndirectProbe() {
        var h = Liveness(me: helper, configuration: LivenessConfiguration(), persistedIncarnation: nil)
        var rng = SeededGenerator(seed: 1)
        h.linkUp(me, at: .zero, using: &rng)
        h.linkUp(peer, at: .zero, using: &rng)
        var effects: [MeshEffect] = []
        h.receive(.pingReq(seq: 77, target: peer), from: me, at: .ms(1), effects: &effects)
        guard case let .ping(seq, _)? = effects.sent(to: peer).first else {
            Issue.record("helper did not ping the target")
            return
        }
        effects.removeAll()
        h.receive(.ack(seq: seq, incarnation: 3), from: peer, at: .ms(2), effects: &effects)
        #expect(effects.sent(to: me) == [.indirectAck(seq: 77, target: peer, incarnation: 3)])
        // A request about a peer the helper has no link to is dropped with its reason.
        effects.removeAll()
        h.receive(.pingReq(seq: 78, target: node(9)), from: me, at: .ms(3), effects: &effects)
        #expect(effects == [.dropped(.notANeighbour, from: me)])
    }

    @Test func peerHeardRecentlyIsNotPinged() {
        var l = core()
        var rng = SeededGenerator(seed: 1)
        var effects: [MeshEffect] = []
        var t = Instant.zero
        while t < .ms(5000) {
            t = t + .milliseconds(100)
            l.receive(.prune, from: peer, at: t, effects: &effects)  // any traffic counts
            if let next = l.nextDeadline, next <= t { l.timer(at: t, using: &rng, effects: &effects) }
        }
        #expect(!effects.sent(to: peer).contains { if case .ping = $0 { true } else { false } })
    }
}
