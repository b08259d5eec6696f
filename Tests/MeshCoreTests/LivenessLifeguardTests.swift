import Testing
import Wire
@testable import MeshCore

/// Lifeguard's additions to liveness: local health, and suspicions that shrink with
/// confirmations from distinct neighbours (SuspicionTimer, LocalHealth).
@Suite struct LivenessLifeguardTests {
    let me = node(1), peer = node(2), helper = node(3), other = node(4), third = node(5)

    /// min 1 s, max 5 s, K 3: one confirmation gives 3 s, two 1.83 s, three 1 s.
    func core(configure: (inout LivenessConfiguration) -> Void = { _ in }) -> Liveness {
        var config = LivenessConfiguration()
        config.suspicionMinimum = .seconds(1)
        config.suspicionMaximum = .seconds(5)
        config.suspicionConfirmations = 3
        configure(&config)
        var l = Liveness(me: me, configuration: config, persistedIncarnation: nil)
        var rng = SeededGenerator(seed: 7)
        for n in [peer, helper, other, third] { l.linkUp(n, at: .zero, using: &rng) }
        return l
    }

    /// Runs timers (everyone silent) until `peer` is suspect; returns when.
    func suspectPeer(_ l: inout Liveness, rng: inout SeededGenerator) -> Instant {
        var effects: [MeshEffect] = []
        while l.status(of: peer) != .suspect, let next = l.nextDeadline {
            l.timer(at: next, using: &rng, effects: &effects)
            if l.status(of: peer) == .suspect { return next }
        }
        Issue.record("peer never suspected")
        return .zero
    }

    /// Runs timers until `peer` is dead; returns when.
    func runUntilPeerDead(_ l: inout Liveness, rng: inout SeededGenerator) -> Instant {
        var effects: [MeshEffect] = []
        while let next = l.nextDeadline, next <= .ms(60_000) {
            l.timer(at: next, using: &rng, effects: &effects)
            if l.status(of: peer) == .dead { return next }
        }
        Issue.record("peer never declared dead")
        return .zero
    }

    @Test func timeoutFollowsLifeguardsFormulaBetweenMinimumAndMaximum() {
        let t = { (c: Int) in SuspicionTimer.timeout(confirmations: c, minimum: .seconds(1), maximum: .seconds(5), expected: 3) }
        #expect(t(0) == .seconds(5))
        #expect(t(1) == .seconds(3), "log 2 / log 4 = 1/2 of the span")
        #expect(t(2) == .milliseconds(1830), "log 3 / log 4 ≈ 0.79 of the span")
        #expect(t(3) == .seconds(1))
        #expect(t(9) == .seconds(1), "never below the minimum")
        // A fixed timeout (--dead-after) ignores confirmations; K 0 too.
        #expect(SuspicionTimer.timeout(confirmations: 3, minimum: .seconds(30), maximum: .seconds(30), expected: 3) == .seconds(30))
        #expect(SuspicionTimer.timeout(confirmations: 3, minimum: .seconds(1), maximum: .seconds(5), expected: 0) == .seconds(5))
    }

    @Test func confirmationsAreDistinctMatchingAndCapped() {
        var s = SuspicionTimer(incarnation: 4, start: .ms(100), minimum: .seconds(1), maximum: .seconds(5), expected: 3)
        #expect(s.deadline == .ms(5100))
        let first = s.confirm(by: helper, incarnation: 4)
        let again = s.confirm(by: helper, incarnation: 4)
        let otherIncarnation = s.confirm(by: other, incarnation: 3)
        #expect(first)
        #expect(!again, "the same neighbour counts once")
        #expect(!otherIncarnation, "another incarnation is another suspicion")
        #expect(s.deadline == .ms(3100))
        let second = s.confirm(by: other, incarnation: 4), third = s.confirm(by: self.third, incarnation: 4)
        let beyond = s.confirm(by: node(6), incarnation: 4)
        #expect(second && third)
        #expect(!beyond, "at most K are kept")
        #expect(s.confirmers == [helper, other, self.third])
        #expect(s.deadline == .ms(1100))
    }

    @Test func confirmationsShrinkTheTimeout() {
        var l = core()
        var rng = SeededGenerator(seed: 1)
        let suspected = suspectPeer(&l, rng: &rng)
        var effects: [MeshEffect] = []
        for (n, from) in [helper, other, third].enumerated() {
            l.receive(.suspect(target: peer, incarnation: 0), from: from, at: suspected + .milliseconds(10 + Int64(n)), effects: &effects)
        }
        #expect(l.counters.confirmations == 3)
        let dead = runUntilPeerDead(&l, rng: &rng)
        #expect(dead - suspected == .seconds(1), "three confirmations: the minimum")
    }

    @Test func aSinglePeerRepeatingItsSuspicionCountsOnce() {
        var l = core()
        var rng = SeededGenerator(seed: 1)
        let suspected = suspectPeer(&l, rng: &rng)
        var effects: [MeshEffect] = []
        for k in 0..<20 {
            l.receive(.suspect(target: peer, incarnation: 0), from: helper, at: suspected + .milliseconds(Int64(k)), effects: &effects)
        }
        #expect(l.counters.confirmations == 1)
        let dead = runUntilPeerDead(&l, rng: &rng)
        #expect(dead - suspected == .seconds(3), "one liar shortens the suspicion by one confirmation only")
    }

    @Test func othersSuspicionsNeverStartOneNorCountFromTheTarget() {
        var l = core()
        var effects: [MeshEffect] = []
        l.receive(.suspect(target: peer, incarnation: 0), from: helper, at: .ms(10), effects: &effects)
        l.receive(.suspect(target: peer, incarnation: 0), from: other, at: .ms(11), effects: &effects)
        l.receive(.suspect(target: peer, incarnation: 0), from: third, at: .ms(12), effects: &effects)
        #expect(l.status(of: peer) == .alive)
        #expect(l.counters.confirmations == 0)
        var rng = SeededGenerator(seed: 1)
        let suspected = suspectPeer(&l, rng: &rng)
        // The suspected peer cannot confirm a suspicion of itself, nor can a stranger.
        l.receive(.suspect(target: peer, incarnation: 0), from: peer, at: suspected + .milliseconds(1), effects: &effects)
        l.receive(.suspect(target: peer, incarnation: 0), from: node(9), at: suspected + .milliseconds(2), effects: &effects)
        #expect(l.counters.confirmations == 0)
        #expect(runUntilPeerDead(&l, rng: &rng) - suspected == .seconds(5), "no confirmation: the maximum")
    }

    @Test func aSuspicionIsAnnouncedToTheOtherLiveNeighbours() {
        var l = core()
        var rng = SeededGenerator(seed: 1)
        var effects: [MeshEffect] = []
        while l.status(of: peer) != .suspect, let next = l.nextDeadline {
            l.timer(at: next, using: &rng, effects: &effects)
        }
        let told = effects.sent.filter { if case .suspect(peer, 0) = $0.0 { true } else { false } }.map(\.1)
        #expect(told.contains(helper) || l.status(of: helper) != .alive)
        #expect(told.contains(peer), "the suspect itself is told, so that it can refute")
    }

    @Test func healthMultiplierRisesOnMissedAcksAndFallsOnSuccess() {
        var h = LocalHealth(maximum: 2)
        #expect(h.multiplier == 1)
        h.probeFailed(); h.refuted(); h.probeFailed()
        #expect(h.score == 2, "capped at the maximum")
        #expect(h.scaled(.milliseconds(500)) == .milliseconds(1500))
        h.probeAnswered()
        #expect(h.multiplier == 2)
        h.probeAnswered(); h.probeAnswered()
        #expect(h.score == 0)
        #expect(LocalHealth(maximum: 0).scaled(.seconds(1)) == .seconds(1), "maximum 0 turns it off")

        // In the core: every silent peer's failed probe costs a point; an answered probe gives one back.
        var l = core()
        var rng = SeededGenerator(seed: 1)
        var effects: [MeshEffect] = []
        while [peer, helper, other, third].contains(where: { l.status(of: $0) == .alive }), let next = l.nextDeadline {
            l.timer(at: next, using: &rng, effects: &effects)
        }
        #expect(l.health.score == 4)
        guard case let .ping(seq, _)? = effects.sent(to: peer).last(where: { if case .ping = $0 { true } else { false } }) else {
            Issue.record("no probe of the suspect")
            return
        }
        l.receive(.ack(seq: seq, incarnation: 1), from: peer, at: .ms(5000), effects: &effects)
        #expect(l.health.score == 3)
        #expect(l.status(of: peer) == .alive)
    }

    @Test func refutingASuspicionOfItselfCostsHealthOncePerIncarnation() {
        var l = core()
        var effects: [MeshEffect] = []
        l.receive(.suspect(target: me, incarnation: 0), from: peer, at: .ms(1), effects: &effects)
        #expect(l.health.score == 1)
        for k in 0..<5 { l.receive(.suspect(target: me, incarnation: 0), from: helper, at: .ms(2 + Int64(k)), effects: &effects) }
        #expect(l.health.score == 1, "old suspicions (or a liar's copies) do not slow the node further")
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func aSlowButAlivePeerAtTenPercentLossIsNotDeclaredDead(seed: UInt64) {
        // Three nodes, all linked, default settings; every message has a 10% chance of loss and
        // 50–240 ms of latency each way (round trips up to the probe timeout and beyond).
        var net = LossyNet(ids: [me, peer, helper], seed: seed)
        let verdicts = net.run(until: .ms(300_000), loss: 0.10, latencyMs: 50...240)
        #expect(!verdicts.contains { $0.status == .dead }, "no false death; suspicions: \(net.suspicions)")
        #expect(net.suspicions > 0, "the loss does cause suspicions, each refuted in time")
    }
}

/// A few liveness cores over a lossy, slow network with virtual time.
struct LossyNet {
    struct InFlight { var at: Instant; var order: Int; var to: Int; var from: Int; var message: MeshMessage }
    let ids: [NodeID]
    var cores: [Liveness]
    var rng: SeededGenerator
    var inFlight: [InFlight] = []
    var order = 0
    var suspicions: Int { cores.map(\.counters.suspicions).reduce(0, +) }

    init(ids: [NodeID], seed: UInt64) {
        self.ids = ids
        rng = SeededGenerator(seed: seed)
        cores = ids.map { Liveness(me: $0, configuration: LivenessConfiguration(), persistedIncarnation: nil) }
        for i in ids.indices { for j in ids.indices where i != j { cores[i].linkUp(ids[j], at: .zero, using: &rng) } }
    }

    mutating func run(until end: Instant, loss: Double, latencyMs: ClosedRange<Int64>) -> [(observer: Int, peer: NodeID, status: PeerStatus)] {
        var verdicts: [(observer: Int, peer: NodeID, status: PeerStatus)] = []
        while true {
            let message = inFlight.indices.min { (inFlight[$0].at, inFlight[$0].order) < (inFlight[$1].at, inFlight[$1].order) }
            let timer = cores.indices.compactMap { i in cores[i].nextDeadline.map { (i, $0) } }.min { $0.1 < $1.1 }
            var effects: [MeshEffect] = [], actor: Int
            if let m = message, timer.map({ inFlight[m].at <= $0.1 }) ?? true {
                let f = inFlight.remove(at: m)
                guard f.at <= end else { break }
                actor = f.to
                cores[f.to].receive(f.message, from: ids[f.from], at: f.at, effects: &effects)
                flush(effects, from: actor, at: f.at, loss: loss, latencyMs: latencyMs, verdicts: &verdicts)
            } else if let (i, at) = timer {
                guard at <= end else { break }
                actor = i
                cores[i].timer(at: at, using: &rng, effects: &effects)
                flush(effects, from: actor, at: at, loss: loss, latencyMs: latencyMs, verdicts: &verdicts)
            } else {
                break
            }
        }
        return verdicts
    }

    private mutating func flush(_ effects: [MeshEffect], from i: Int, at now: Instant, loss: Double, latencyMs: ClosedRange<Int64>,
                                verdicts: inout [(observer: Int, peer: NodeID, status: PeerStatus)]) {
        for effect in effects {
            switch effect {
            case let .send(message, to):
                guard Double.random(in: 0..<1, using: &rng) >= loss, let j = ids.firstIndex(of: to) else { continue }
                order += 1
                inFlight.append(InFlight(at: now + .milliseconds(Int64.random(in: latencyMs, using: &rng)),
                                         order: order, to: j, from: i, message: message))
            case let .peerStatus(p, s):
                verdicts.append((i, p, s))
            default:
                break
            }
        }
    }
}
