import Wire

/// Settings of the liveness core, each with its unit.
///
/// The defaults follow Lifeguard (Dadgar et al. 2018): a suspicion lasts between
/// `suspicionMinimum` and `suspicionMaximum`, shorter the more neighbours confirm it, and a node
/// that misses acks itself probes more slowly (`maxHealth`). `deadTimeout` sets both bounds to
/// one fixed value, as the original design's 30 s (`node run --dead-after 30`).
public struct LivenessConfiguration: Sendable, Equatable {
    /// A peer heard from within this long is not pinged; otherwise it is pinged this often
    /// (times the local health multiplier).
    public var probeInterval: Duration = .seconds(1)
    /// Time for a direct ack before helpers are asked to probe (PING-REQ); a probe fails
    /// after twice this (times the local health multiplier).
    public var probeTimeout: Duration = .milliseconds(500)
    /// Helpers asked to probe indirectly.
    public var indirectProbes = 3
    /// Suspected peers are pinged (and told they are suspected) this often. Short, because each
    /// round is one more chance for a live peer to refute: the suspicion can then be short too.
    public var suspectProbeInterval: Duration = .milliseconds(100)
    /// A suspicion not refuted within this long makes the peer dead, however many neighbours
    /// confirm it.
    public var suspicionMinimum: Duration = .milliseconds(750)
    /// A suspicion no neighbour confirms makes the peer dead after this long.
    public var suspicionMaximum: Duration = .milliseconds(1250)
    /// Confirmations (distinct neighbours suspecting the same peer at the same incarnation) at
    /// which the suspicion timeout reaches `suspicionMinimum`; 0 ignores confirmations.
    public var suspicionConfirmations = 3
    /// Highest local health score: probe intervals and timeouts grow up to (maxHealth + 1)×
    /// while this node misses acks; 0 turns local health off.
    public var maxHealth = 8
    /// Dead peers are still pinged this often, so one that comes back is noticed.
    public var deadProbeInterval: Duration = .seconds(5)
    /// Indirect probes this node runs for others at once.
    public var maxPendingIndirect = 256

    /// One fixed suspicion timeout: setting it sets both bounds (`--dead-after`); reading it
    /// gives the longest a suspicion can last.
    public var deadTimeout: Duration {
        get { suspicionMaximum }
        set { suspicionMinimum = newValue; suspicionMaximum = newValue }
    }

    public init() {}
}

/// What the liveness core counted since it started.
public struct LivenessCounters: Sendable, Equatable, Codable {
    public var pingsSent = 0
    public var acksSent = 0
    public var pingRequestsSent = 0
    public var indirectAcksSent = 0
    public var suspicions = 0
    public var refutationsSent = 0
    public var recoveries = 0
    public var deaths = 0
    public var revivals = 0
    public var limitHits = 0
    /// Other neighbours' suspicions that shortened one of this node's suspicions.
    public var confirmations = 0

    public init() {}
}

/// Peer liveness over the node's links: SWIM's probe, indirect probe, suspicion and
/// incarnation rules (Das, Gupta, Motivala 2002), applied to each link of a mesh.
///
/// Rules it keeps (PROTOCOL.md section 6):
/// - a peer not heard from is pinged every `probeInterval`; no ack within `probeTimeout` pings
///   it again and asks up to `indirectProbes` other peers to probe it; no ack at all within
///   twice `probeTimeout` makes it **suspect** at its current incarnation, and every other live
///   neighbour is told so (a SUSPECT message about it), as a possible confirmation;
/// - a suspicion at incarnation i is cleared only by a message from (or about) the peer that
///   carries an incarnation above i; stale evidence is answered with a SUSPECT message, which
///   the peer refutes by raising its incarnation;
/// - a suspicion not cleared within its timeout makes the peer **dead**: `suspicionMaximum`,
///   shrinking towards `suspicionMinimum` with each distinct neighbour that suspects the same
///   peer at the same incarnation (`SuspicionTimer`); a neighbour's SUSPECT never starts a
///   suspicion and counts once per suspicion however often it is repeated; dead peers are
///   pinged every `deadProbeInterval` and welcomed back the same way;
/// - probe intervals and timeouts are scaled by this node's own health (`LocalHealth`): missed
///   acks and refutations of itself slow it down, answered probes speed it up again;
/// - a node that restarts raises its own incarnation, so its first message refutes any
///   suspicion of it;
/// - a suspicion of this node is believed only up to `maxIncarnationStep` above its own
///   incarnation (a peer can only have learned an incarnation this node sent, or one from a
///   life before a restore from backup); a higher one is a lie, dropped and counted, so no
///   peer can push the incarnation to the end of its range. Incarnations saturate: no value
///   received or persisted can trap.
public struct Liveness: Sendable {
    public let me: NodeID
    public let configuration: LivenessConfiguration
    public private(set) var incarnation: UInt64
    public private(set) var counters = LivenessCounters()
    public private(set) var health: LocalHealth

    /// How far above this node's own incarnation a suspicion may name it and still be refuted:
    /// 2^20 (about a million restarts or refutations, far more than a node restored from an
    /// old backup can have missed). Higher claims are dropped (`incarnationOutOfRange`).
    public static let maxIncarnationStep: UInt64 = 1 << 20

    struct Peer: Sendable {
        var status: PeerStatus = .alive
        var incarnation: UInt64 = 0
        var lastHeard: Instant
        /// Set while the peer is suspect.
        var suspicion: SuspicionTimer?
        var deadAt: Instant?
        var probe: Probe?
        var nextProbe: Instant
        var lastSuspectSent: Instant?
        /// Round-trip time of direct probes, smoothed (7/8 old, 1/8 new, as TCP does).
        var rtt: Duration?
    }

    /// What this node knows of a peer's liveness, for the API.
    public struct PeerInfo: Sendable, Equatable {
        public var status: PeerStatus
        public var incarnation: UInt64
        public var lastHeard: Instant
        public var rtt: Duration?
    }

    struct Probe: Sendable {
        var seq: UInt64
        var sentAt: Instant
        /// The probe timeout when it was sent (local health scales it).
        var timeout: Duration
        var indirectSent = false
    }

    struct IndirectProbe: Sendable {
        var requester: NodeID
        var requesterSeq: UInt64
        var target: NodeID
        var expires: Instant
    }

    private var peers = PeerTable<Peer>()
    private var nextSeq: UInt64 = 1
    /// Probes run for others: keyed by the seq of our own PING to the target, in start order.
    private var indirect: [(seq: UInt64, probe: IndirectProbe)] = []

    /// - Parameter persistedIncarnation: the incarnation saved before a restart; the node
    ///   starts one above it.
    public init(me: NodeID, configuration: LivenessConfiguration, persistedIncarnation: UInt64?) {
        self.me = me
        self.configuration = configuration
        self.health = LocalHealth(maximum: configuration.maxHealth)
        // Saturating: a value persisted at the end of the range (by an older version that
        // believed any suspicion) must not trap at every start.
        self.incarnation = persistedIncarnation.map { $0 == .max ? .max : $0 + 1 } ?? 0
    }

    /// The record to persist at start (the incarnation this life uses).
    public var startRecord: PersistRecord { .incarnation(incarnation) }

    public func status(of peer: NodeID) -> PeerStatus? { peers[peer]?.status }

    public func info(of peer: NodeID) -> PeerInfo? {
        peers[peer].map { PeerInfo(status: $0.status, incarnation: $0.incarnation, lastHeard: $0.lastHeard, rtt: $0.rtt) }
    }
    public var peerIDs: [NodeID] { peers.ids }
    public var pendingIndirectCount: Int { indirect.count }

    // MARK: Links

    /// Starts watching `peer`. Its first probe falls at a random point of the first interval,
    /// so the probes of many nodes do not all fire together.
    public mutating func linkUp<R: RandomNumberGenerator>(_ peer: NodeID, at now: Instant, using rng: inout R) {
        guard peer != me, !peers.contains(peer) else { return }
        let jitter = Duration.nanoseconds(Int64.random(in: 0..<max(1, configuration.probeInterval.nanoseconds), using: &rng))
        peers.insert(peer, Peer(lastHeard: now, nextProbe: now + jitter))
    }

    public mutating func linkDown(_ peer: NodeID) {
        peers.remove(peer)
    }

    // MARK: Receiving

    /// Handles a liveness message from `peer`, and counts any other message as a sign of life.
    public mutating func receive(_ message: MeshMessage, from peer: NodeID, at now: Instant,
                                 effects: inout [MeshEffect]) {
        if case let .suspect(target, inc) = message, target == me {
            let (ceiling, overflow) = incarnation.addingReportingOverflow(Self.maxIncarnationStep)
            guard overflow || inc <= ceiling else {
                return effects.append(.dropped(.incarnationOutOfRange, from: peer))
            }
            return refute(inc, to: peer, effects: &effects)
        }
        guard peers.contains(peer) else {
            // A ping from a peer without a link yet is still answered: the link may be coming up.
            if case let .ping(seq, _) = message {
                counters.acksSent += 1
                effects.append(.send(.ack(seq: seq, incarnation: incarnation), to: peer))
            }
            return
        }
        peers.update(peer) { $0.lastHeard = now }
        switch message {
        case let .ping(seq, inc):
            evidence(of: peer, incarnation: inc, at: now, effects: &effects)
            counters.acksSent += 1
            effects.append(.send(.ack(seq: seq, incarnation: incarnation), to: peer))
        case let .ack(seq, inc):
            peers.update(peer) { p in
                guard let probe = p.probe, probe.seq == seq else { return }
                let sample = now - probe.sentAt
                p.rtt = p.rtt.map { ($0 * 7 + sample) / 8 } ?? sample
                p.probe = nil
                health.probeAnswered()
            }
            evidence(of: peer, incarnation: inc, at: now, effects: &effects)
            relayIndirectAck(seq: seq, from: peer, incarnation: inc, at: now, effects: &effects)
        case let .pingReq(seq, target):
            startIndirectProbe(for: peer, seq: seq, target: target, at: now, effects: &effects)
        case let .indirectAck(seq, target, inc):
            var answered = false
            guard peers.update(target, { if $0.probe?.seq == seq { $0.probe = nil; answered = true } }) else { return }
            if answered { health.probeAnswered() }
            evidence(of: target, incarnation: inc, at: now, effects: &effects)
        case let .alive(target, inc) where target == peer:
            evidence(of: peer, incarnation: inc, at: now, effects: &effects)
        case let .suspect(target, inc) where target != peer:
            confirm(target, incarnation: inc, by: peer, at: now)
        default:
            break
        }
    }

    /// Someone suspects this node at `suspected`: raise our incarnation above it and say so.
    private mutating func refute(_ suspected: UInt64, to peer: NodeID, effects: inout [MeshEffect]) {
        if suspected >= incarnation, suspected < .max {
            incarnation = suspected + 1
            // Only a suspicion that costs an incarnation counts against our health: repeats of
            // an old one (or a liar's copies of it) do not slow this node down further.
            health.refuted()
            effects.append(.persist(.incarnation(incarnation)))
        }
        counters.refutationsSent += 1
        effects.append(.send(.alive(target: me, incarnation: incarnation), to: peer))
    }

    /// `peer` is shown alive at incarnation `inc`. It clears a suspicion (or death) only when
    /// `inc` is above the suspected incarnation; otherwise the peer is told it is suspected.
    private mutating func evidence(of peer: NodeID, incarnation inc: UInt64, at now: Instant,
                                   effects: inout [MeshEffect]) {
        guard var p = peers[peer] else { return }
        switch p.status {
        case .alive:
            p.incarnation = max(p.incarnation, inc)
        case .suspect, .dead:
            if inc > p.incarnation {
                if p.status == .dead { counters.revivals += 1 } else { counters.recoveries += 1 }
                p.status = .alive
                p.incarnation = inc
                p.suspicion = nil
                p.deadAt = nil
                p.nextProbe = now + configuration.probeInterval
                effects.append(.peerStatus(peer, .alive))
            } else if p.lastSuspectSent.map({ now - $0 >= configuration.suspectProbeInterval }) ?? true {
                p.lastSuspectSent = now
                effects.append(.send(.suspect(target: peer, incarnation: p.incarnation), to: peer))
            }
        }
        peers[peer] = p
    }

    /// Neighbour `peer` says it suspects `target` at `inc`. It counts only towards a suspicion
    /// this node already holds, at that same incarnation, once per neighbour (`SuspicionTimer`):
    /// no neighbour can start a suspicion or count twice.
    private mutating func confirm(_ target: NodeID, incarnation inc: UInt64, by peer: NodeID, at now: Instant) {
        var counted = false
        peers.update(target) { p in
            guard p.status == .suspect, var s = p.suspicion, s.confirm(by: peer, incarnation: inc) else { return }
            p.suspicion = s
            counted = true
        }
        if counted { counters.confirmations += 1 }
    }

    private mutating func startIndirectProbe(for requester: NodeID, seq: UInt64, target: NodeID, at now: Instant,
                                             effects: inout [MeshEffect]) {
        guard peers.contains(target), target != requester else {
            effects.append(.dropped(.notANeighbour, from: requester))
            return
        }
        indirect.removeAll { $0.probe.expires <= now }
        if indirect.count >= configuration.maxPendingIndirect {
            indirect.removeFirst()
            counters.limitHits += 1
            effects.append(.limitReached(.indirectProbes))
        }
        let ourSeq = takeSeq()
        indirect.append((ourSeq, IndirectProbe(requester: requester, requesterSeq: seq, target: target,
                                               expires: now + configuration.probeTimeout * 2)))
        counters.pingsSent += 1
        effects.append(.send(.ping(seq: ourSeq, incarnation: incarnation), to: target))
    }

    private mutating func relayIndirectAck(seq: UInt64, from target: NodeID, incarnation inc: UInt64, at now: Instant,
                                           effects: inout [MeshEffect]) {
        guard let index = indirect.firstIndex(where: { $0.seq == seq && $0.probe.target == target }) else { return }
        let probe = indirect.remove(at: index).probe
        guard probe.expires > now else { return }
        counters.indirectAcksSent += 1
        effects.append(.send(.indirectAck(seq: probe.requesterSeq, target: target, incarnation: inc), to: probe.requester))
    }

    // MARK: Timer

    /// Sends due probes, escalates unanswered ones, and moves peers to suspect and dead.
    public mutating func timer<R: RandomNumberGenerator>(at now: Instant, using rng: inout R,
                                                         effects: inout [MeshEffect]) {
        for i in peers.indices {
            let peer = peers.ids[i]
            var p = peers.values[i]
            if var probe = p.probe {
                if !probe.indirectSent && now >= probe.sentAt + probe.timeout {
                    probe.indirectSent = true
                    p.probe = probe
                    // In a sparse mesh few helpers have a link to the target, so the direct ping
                    // is repeated too: one lost datagram must not make a peer suspect.
                    counters.pingsSent += 1
                    effects.append(.send(.ping(seq: probe.seq, incarnation: incarnation), to: peer))
                    askHelpers(toProbe: peer, seq: probe.seq, using: &rng, effects: &effects)
                }
                if now >= probe.sentAt + probe.timeout * 2 {
                    p.probe = nil
                    if p.status == .alive {
                        health.probeFailed()
                        p.status = .suspect
                        p.suspicion = SuspicionTimer(incarnation: p.incarnation, start: now,
                                                     minimum: configuration.suspicionMinimum,
                                                     maximum: configuration.suspicionMaximum,
                                                     expected: configuration.suspicionConfirmations)
                        p.nextProbe = now
                        counters.suspicions += 1
                        effects.append(.peerStatus(peer, .suspect))
                        announceSuspicion(of: peer, incarnation: p.incarnation, effects: &effects)
                    }
                }
            }
            if p.status == .suspect, let s = p.suspicion, now >= s.deadline {
                p.status = .dead
                p.suspicion = nil
                p.deadAt = now
                p.probe = nil
                p.nextProbe = now + configuration.deadProbeInterval
                counters.deaths += 1
                effects.append(.peerStatus(peer, .dead))
            }
            if let probe = p.probe, p.status == .suspect, now >= p.nextProbe {
                // A suspect is pinged and told every `suspectProbeInterval` even while a probe is
                // pending: each round is a chance to refute, and the suspicion may be short.
                p.nextProbe = now + configuration.suspectProbeInterval
                p.lastSuspectSent = now
                counters.pingsSent += 1
                effects.append(.send(.ping(seq: probe.seq, incarnation: incarnation), to: peer))
                effects.append(.send(.suspect(target: peer, incarnation: p.incarnation), to: peer))
            } else if p.probe == nil && now >= p.nextProbe {
                if p.status == .alive && now - p.lastHeard < health.scaled(configuration.probeInterval) {
                    // Heard from within the interval: as good as an answered probe. Without this a
                    // busy link, never probed, would never give back the health its losses cost.
                    health.probeAnswered()
                    p.nextProbe = p.lastHeard + health.scaled(configuration.probeInterval)
                } else {
                    let seq = takeSeq()
                    p.probe = Probe(seq: seq, sentAt: now, timeout: health.scaled(configuration.probeTimeout))
                    p.nextProbe = now + interval(for: p.status)
                    counters.pingsSent += 1
                    effects.append(.send(.ping(seq: seq, incarnation: incarnation), to: peer))
                    if p.status != .alive {
                        // Every probe of a suspected or dead peer tells it so, so that it can
                        // refute: one lost message must not cost it its place.
                        p.lastSuspectSent = now
                        effects.append(.send(.suspect(target: peer, incarnation: p.incarnation), to: peer))
                    }
                }
            }
            peers.values[i] = p
        }
    }

    /// The earliest instant at which `timer` has work to do.
    public var nextDeadline: Instant? {
        var earliest: Instant?
        func consider(_ t: Instant) { earliest = min(earliest ?? t, t) }
        for p in peers.values {
            if let probe = p.probe {
                consider(probe.indirectSent ? probe.sentAt + probe.timeout * 2 : probe.sentAt + probe.timeout)
                if p.status == .suspect { consider(p.nextProbe) }
            } else {
                consider(p.nextProbe)
            }
            if p.status == .suspect, let s = p.suspicion { consider(s.deadline) }
        }
        return earliest
    }

    private func interval(for status: PeerStatus) -> Duration {
        switch status {
        case .alive: health.scaled(configuration.probeInterval)
        case .suspect: configuration.suspectProbeInterval
        case .dead: configuration.deadProbeInterval
        }
    }

    /// Tells every other live neighbour that this node now suspects `target`, in table order:
    /// those that suspect it too count it as a confirmation. One message per neighbour per
    /// suspicion, never repeated.
    private mutating func announceSuspicion(of target: NodeID, incarnation inc: UInt64, effects: inout [MeshEffect]) {
        for i in peers.indices where peers.ids[i] != target && peers.values[i].status == .alive {
            effects.append(.send(.suspect(target: target, incarnation: inc), to: peers.ids[i]))
        }
    }

    private mutating func askHelpers<R: RandomNumberGenerator>(toProbe target: NodeID, seq: UInt64, using rng: inout R,
                                                               effects: inout [MeshEffect]) {
        var helpers = peers.indices.filter { peers.ids[$0] != target && peers.values[$0].status == .alive }.map { peers.ids[$0] }
        helpers.shuffle(using: &rng)
        for helper in helpers.prefix(configuration.indirectProbes) {
            counters.pingRequestsSent += 1
            effects.append(.send(.pingReq(seq: seq, target: target), to: helper))
        }
    }

    private mutating func takeSeq() -> UInt64 {
        defer { nextSeq += 1 }
        return nextSeq
    }
}
