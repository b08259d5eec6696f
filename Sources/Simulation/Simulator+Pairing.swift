import MeshCore
import Replicas
import Wire

/// Devices joining the team by spoken code, with the same `PairingDesk` the node runs.
///
/// Each pairing run of the scenario: the inviter writes the team's `create-invite` op and opens
/// a code; one simulated second later the joiner tries `wrongTries` wrong codes, then the right
/// one. Each attempt is a pairing link the joiner dials (marked `.pairing`, PROTOCOL.md section
/// 10.4), with the channel binding a fresh 32 bytes per attempt as a Noise handshake hash would
/// be. The two nodes are already one mesh, and when they are neighbours their ordinary link
/// runs all along beside the attempt (gossip, liveness, sync): the attempt's messages take that
/// link's path, its latency and its place in line behind what is in flight on it, reliable and
/// in order as on the TCP connection a real run uses, cut by partitions and crashes. The
/// inviter decides what the link is with `LinkStart`, as the node does. The inviter stores
/// every attempt counted before it answers, and adds the joiner with a signed `add-member` op
/// when the right code proves itself; the op then replicates like any other.
extension Simulator {
    /// A simulated attempt that no side concluded within this time is over (the real
    /// transport's pairing timeout).
    static let pairingTimeoutNs: Int64 = 30_000_000_000

    /// What one run went through.
    struct PairingRunState {
        var code: OmniCode?
        var grant: TeamGrant?
        /// Why the code could not be opened, when it could not.
        var notOpened: String?
        var attempts: [PairingAttempt] = []
    }

    struct PairingAttempt {
        var wrong: Bool
        var channel: PairingChannel
        var startedAt: Int64
        var inviter: PairingDesk.PairingOutcome?
        var joiner: PairingDesk.PairingOutcome?
        var joinerDoneAt: Int64?
        var timedOut = false
        /// The inviter took the link for a pairing link (`LinkStart.pairAsInviter`).
        var admitted = false
    }

    func schedulePairings() {
        pairingRuns = Array(repeating: PairingRunState(), count: scenario.pairings.count)
        for (r, run) in scenario.pairings.enumerated() { queue.push(.pairingOpen(run: r), at: run.atMs * 1_000_000) }
    }

    /// The inviter opens a code granting the run's role (as `elohim invite --team T --role R`).
    func openPairingCode(_ r: Int) {
        let run = scenario.pairings[r]
        let i = run.inviter
        guard nodes[i].up else { return pairingRuns[r].notOpened = "n\(i) was down at \(run.atMs) ms" }
        guard let team = teamID, let state = nodes[i].core.replication.replica(team)?.state else {
            return pairingRuns[r].notOpened = "n\(i) did not hold the team at \(run.atMs) ms"
        }
        guard let mine = state.role(of: nodes[i].id), mine >= .admin else {
            return pairingRuns[r].notOpened = "n\(i) was not an Admin of the team"
        }
        let lifetime = InviteBook.defaultLifetimeMs
        lastWriteOutcome = nil
        write(i, .createInvite(role: run.role, expiresWallMs: wallClock(i) + lifetime), team: team)
        guard case let .applied(op)? = lastWriteOutcome else {
            return pairingRuns[r].notOpened = "n\(i)'s create-invite op was not applied: \(String(describing: lastWriteOutcome))"
        }
        let grant = TeamGrant(team: team, role: run.role, inviteOp: op.id)
        var rng = nodes[i].rng
        let created = try? nodes[i].desk.book.create(lifetimeMs: lifetime, grant: grant, at: wallClock(i), using: &rng)
        nodes[i].rng = rng
        guard let invite = created?.0 else { return pairingRuns[r].notOpened = "n\(i)'s invite book refused a new code" }
        nodes[i].disk.invites = nodes[i].desk.book.invites
        pairingRuns[r].code = invite.code
        pairingRuns[r].grant = grant
        trace.record(TraceTag.pairing, at: now, [Int64(r), 0, Int64(i)], line: "n\(i) opens a code for n\(run.joiner) (tag \(invite.code.tag))")
        queue.push(.pairingAttempt(run: r), at: now + 1_000_000_000)
    }

    /// The joiner starts its next attempt: a wrong code while wrong tries remain, then the right one.
    func startPairingAttempt(_ r: Int) {
        let run = scenario.pairings[r]
        guard let right = pairingRuns[r].code else { return }
        let a = pairingRuns[r].attempts.count
        guard a <= run.wrongTries else { return }
        let wrong = a < run.wrongTries
        let code = wrong ? Self.wrongCode(for: right) : right
        var binding = [UInt8](repeating: 0, count: 32)
        for k in binding.indices { binding[k] = UInt8.random(in: 0...255, using: &pairingRNG) }
        let channel = PairingChannel(joiner: nodes[run.joiner].id, inviter: nodes[run.inviter].id, binding: binding)
        pairingRuns[r].attempts.append(PairingAttempt(wrong: wrong, channel: channel, startedAt: now))
        queue.push(.pairingTimeout(run: r, attempt: a), at: now + Self.pairingTimeoutNs)
        let j = run.joiner
        guard nodes[j].up else { return }
        trace.record(TraceTag.pairing, at: now, [Int64(r), 1, Int64(a), wrong ? 1 : 0],
                     line: "n\(j) tries \(wrong ? "a wrong code" : "the code") with n\(run.inviter) (attempt \(a + 1))")
        var rng = nodes[j].rng
        let request = nodes[j].desk.join(code: code, session: Self.session(r, a), channel: channel, using: &rng)
        nodes[j].rng = rng
        sendPairing(request, run: r, attempt: a, toJoiner: false)
    }

    /// The same tag with another secret half: what a mistyped or guessed code looks like.
    static func wrongCode(for code: OmniCode) -> OmniCode {
        let secret = code.description.suffix(4)
        return try! OmniCode(parsing: "\(code.tag)-\(secret == "0000" ? "1111" : "0000")")
    }

    static func session(_ r: Int, _ a: Int) -> UInt64 { UInt64(r) << 8 | UInt64(a + 1) }

    /// Puts a pairing message on the way between the run's two nodes: the path of their
    /// ordinary link when they are neighbours (its latency, in line behind its traffic), else a
    /// connection dialled across the network (a latency drawn per message, in order).
    private func sendPairing(_ message: PairingMessage, run r: Int, attempt a: Int, toJoiner: Bool) {
        let run = scenario.pairings[r]
        let (from, to) = toJoiner ? (run.inviter, run.joiner) : (run.joiner, run.inviter)
        let kind = Int64(KindCode.pair.rawValue)
        guard nodes[to].up, !partitioned(from, to) else {
            trace.record(TraceTag.send, at: now, [Int64(from), Int64(to), kind, -1],
                         line: "n\(from) → n\(to) \(message.name) lost: \(nodes[to].up ? "partition" : "n\(to) is down")")
            return
        }
        // Reliable and in order, as TCP is: never lost or duplicated, never ahead of what the
        // same path carries already.
        let key = from * nodes.count + to
        let arrival: Int64
        if let latency = linkLatency[key] {
            arrival = max(now + latency, lastArrival[key] ?? 0, pairingLastArrival[key] ?? 0)
            lastArrival[key] = arrival
        } else {
            arrival = max(now + Self.drawLatency(scenario.network.latencyMs, using: &pairingRNG), pairingLastArrival[key] ?? 0)
        }
        pairingLastArrival[key] = arrival
        pairingMessagesBesideLinks += linkLatency[key] == nil ? 0 : 1
        queue.push(.pairingArrive(run: r, attempt: a, toJoiner: toJoiner, life: nodes[to].life, message: message), at: arrival)
        trace.record(TraceTag.send, at: now, [Int64(from), Int64(to), kind, arrival],
                     line: "n\(from) → n\(to) \(message.name) arrives \(Instant(nanoseconds: arrival))")
    }

    func pairingArrived(run r: Int, attempt a: Int, toJoiner: Bool, life: Int, _ message: PairingMessage) {
        let run = scenario.pairings[r]
        let to = toJoiner ? run.joiner : run.inviter
        // The link died with the process it ran in, or the attempt is over on this side.
        guard nodes[to].up, nodes[to].life == life, !pairingRuns[r].attempts[a].timedOut else { return }
        if toJoiner ? pairingRuns[r].attempts[a].joiner != nil : pairingRuns[r].attempts[a].inviter != nil { return }
        let channel = pairingRuns[r].attempts[a].channel
        if !toJoiner, !pairingRuns[r].attempts[a].admitted {
            // The joiner's link arrives: the inviter decides what it is, as the node does. The
            // two are one mesh already (trusted, maybe linked): only the mark makes it a pairing.
            let start = LinkStart.decide(initiator: false, joining: false, peerPurpose: .pairing, selfLink: false,
                                         peerTrusted: true, answersPairing: nodes[to].desk.book.answersPairing(at: wallClock(to)))
            switch start {
            case .pairAsInviter:
                pairingRuns[r].attempts[a].admitted = true
            case let .refusePairing(refusal):
                pairingRuns[r].attempts[a].inviter = .failed(.refused(refusal, message: refusal.message))
                return sendPairing(.result(PairResult(accepted: false, refusal: refusal.rawValue, message: refusal.message)),
                                   run: r, attempt: a, toJoiner: true)
            case .ordinary, .pairAsJoiner, .refuse:
                // Taken for ordinary traffic, the run's messages go to the core, which has no
                // use for them: the attempt times out (what nodes did before the mark existed).
                return handle(to, .received(.pair(message), from: nodes[run.joiner].id))
            }
        }
        var rng = nodes[to].rng
        let step = nodes[to].desk.receive(message, session: Self.session(r, a), channel: channel, at: wallClock(to), using: &rng)
        nodes[to].rng = rng
        // Stored before the answer leaves, as the node does: an attempt counted survives a crash.
        if !step.persist.isEmpty { nodes[to].disk.invites = nodes[to].desk.book.invites }
        var send = step.send
        if toJoiner {
            if let outcome = step.outcome {
                pairingRuns[r].attempts[a].joiner = outcome
                pairingRuns[r].attempts[a].joinerDoneAt = now
                trace.record(TraceTag.pairing, at: now, [Int64(r), 2, Int64(a), Self.outcomeCode(outcome)],
                             line: "n\(to) attempt \(a + 1): \(Self.describe(outcome))")
                if a < run.wrongTries { queue.push(.pairingAttempt(run: r), at: now + 1_000_000_000) }
                // The joiner closes the link; the inviter sees it close one latency later.
                if case .failed = outcome, pairingRuns[r].attempts[a].inviter == nil {
                    let i = run.inviter
                    queue.push(.pairingClosed(run: r, attempt: a, life: nodes[i].life),
                               at: now + Self.drawLatency(scenario.network.latencyMs, using: &pairingRNG))
                }
            }
        } else if let outcome = step.outcome {
            pairingRuns[r].attempts[a].inviter = outcome
            trace.record(TraceTag.pairing, at: now, [Int64(r), 3, Int64(a), Self.outcomeCode(outcome)],
                         line: "n\(to) as inviter, attempt \(a + 1): \(Self.describe(outcome))")
            if case let .paired(peer) = outcome, let invite = peer.invite {
                send.append(.result(grant(invite, to: peer, by: to)))
            }
        }
        for m in send { sendPairing(m, run: r, attempt: a, toJoiner: !toJoiner) }
    }

    /// The inviter adds the joiner to the team; the result tells the joiner what happened.
    private func grant(_ invite: PairingInvite, to peer: PairingDesk.PairedPeer, by i: Int) -> PairResult {
        guard let grant = invite.grant else { return PairResult(accepted: true, message: "paired") }
        lastWriteOutcome = nil
        write(i, .addMember(publicKey: peer.key, role: grant.role, invite: grant.inviteOp), team: grant.team)
        switch lastWriteOutcome {
        case .applied?, .conflict?:
            return PairResult(accepted: true, message: "paired; added to the team", team: grant.team.bytes, role: grant.role.description)
        default:
            return PairResult(accepted: true, message: "paired, but not added to the team: \(String(describing: lastWriteOutcome))")
        }
    }

    /// The joiner closed the link mid-run: the inviter's run ends there, failed (a wrong code
    /// was already counted when the request arrived).
    func pairingLinkClosed(run r: Int, attempt a: Int, life: Int) {
        let i = scenario.pairings[r].inviter
        guard nodes[i].up, nodes[i].life == life, pairingRuns[r].attempts[a].inviter == nil else { return }
        nodes[i].desk.end(session: Self.session(r, a))
        pairingRuns[r].attempts[a].inviter = .failed(.incomplete)
        trace.record(TraceTag.pairing, at: now, [Int64(r), 3, Int64(a), 1],
                     line: "n\(i) as inviter, attempt \(a + 1): the joiner closed the link")
    }

    /// An attempt not concluded on both sides within the timeout: both links close.
    func pairingTimedOut(run r: Int, attempt a: Int) {
        let run = scenario.pairings[r]
        let attempt = pairingRuns[r].attempts[a]
        guard attempt.inviter == nil || attempt.joiner == nil else { return }
        pairingRuns[r].attempts[a].timedOut = true
        for i in [run.inviter, run.joiner] where nodes[i].up { nodes[i].desk.end(session: Self.session(r, a)) }
        trace.record(TraceTag.pairing, at: now, [Int64(r), 4, Int64(a)], line: "pairing attempt \(a + 1) of run \(r) timed out")
        if attempt.joiner == nil && a < run.wrongTries { queue.push(.pairingAttempt(run: r), at: now) }
    }

    static func outcomeCode(_ o: PairingDesk.PairingOutcome) -> Int64 {
        switch o {
        case .paired: 0
        case let .failed(.refused(why, _)): 10 + Int64(PairingRefusal.allCases.firstIndex(of: why)!)
        case .failed: 1
        }
    }

    static func describe(_ o: PairingDesk.PairingOutcome) -> String {
        switch o {
        case let .paired(peer): "paired with \(peer.node.short)"
        case let .failed(f): "failed: \(f)"
        }
    }
}
