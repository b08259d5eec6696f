import Foundation
import MeshCore
import Replicas
import Wire

/// Pairing by code (PROTOCOL.md section 10): the node's side of `elohim invite` and
/// `elohim join`, and the endpoint the transport asks at each step of a run.
///
/// Every change to a code is stored before the peer hears the answer it caused: an attempt
/// counted, a code spent. A team grant is a signed `add-member` op written by this node when
/// the joiner proves the code, citing the team's `create-invite` op written at invite time.
extension Node {
    /// What `join` brings back.
    public struct JoinResult: Sendable, Equatable {
        public var inviter: NodeID
        public var address: HostPort
        public var team: TeamID?
        public var role: Role?
        /// The inviter's note (e.g. why a team grant did not happen).
        public var message: String
    }

    // MARK: Inviting

    /// A new code, open for `lifetimeMs`. With `team`, using it also adds the joiner to that
    /// team with `role`, which needs this node to be an Admin of it.
    public func createInvite(team: TeamID?, role: Role = .member, lifetimeMs: UInt64 = InviteBook.defaultLifetimeMs)
        async throws(PairingAPIError) -> PairingInvite {
        let nowMs = Self.wallClockMs()
        // Check what can be checked before writing the team op, so a refused code leaves no op behind.
        guard (InviteBook.minLifetimeMs...InviteBook.maxLifetimeMs).contains(lifetimeMs) else { throw .invite(.badLifetime(lifetimeMs)) }
        guard desk.book.open(at: nowMs).count < InviteBook.maxOpen else { throw .invite(.tooManyOpen) }
        var grant: TeamGrant?
        if let team {
            guard let state = core.replication.replica(team)?.state else { throw .noSuchTeam(team) }
            guard role != .superAdmin else { throw .teamRefused("the Super Admin role is not given, only held") }
            guard let mine = state.role(of: nodeID), mine >= .admin else {
                throw .teamRefused("only an Admin of team \(team.short) can invite to it; this node is \(state.role(of: nodeID).map { "\($0)" } ?? "not a member")")
            }
            switch await write(.createInvite(role: role, expiresWallMs: nowMs + lifetimeMs), team: team) {
            case let .applied(op), let .conflict(op, _): grant = TeamGrant(team: team, role: role, inviteOp: op.id)
            case let .refused(_, why): throw .teamRefused(why)
            case let .invalid(violation): throw .teamRefused(violation.description)
            case .noSuchTeam: throw .noSuchTeam(team)
            }
        }
        let created: (PairingInvite, forgotten: [PairingInvite])
        do { created = try desk.book.create(lifetimeMs: lifetimeMs, grant: grant, at: nowMs, using: &rng) } catch { throw .invite(error) }
        do { try database.saveInvites([created.0], forgetting: created.forgotten.map(\.id)) } catch {
            throw .storage("\(error)")
        }
        logger.notice("pairing code opened", metadata: [
            "invite": "\(created.0.id)", "tag": "\(created.0.code.tag)", "expires": "\(Self.isoTime(created.0.expiresMs))",
            "team": "\(grant.map { "\($0.team.short) as \($0.role)" } ?? "none")",
        ])
        announceOpenCodes()
        return created.0
    }

    /// Every code kept, oldest first (open ones and the last closed ones).
    public func invites() -> [PairingInvite] { desk.book.invites }

    /// Revokes an open code (and the team's invite op, when it carries a grant).
    public func revokeInvite(id: String) async throws(PairingAPIError) -> PairingInvite {
        let revoked: PairingInvite
        do { revoked = try desk.book.revoke(id: id, at: Self.wallClockMs()) } catch { throw .invite(error) }
        do { try database.saveInvites([revoked]) } catch { throw .storage("\(error)") }
        if let grant = revoked.grant {
            let outcome = await write(.revokeInvite(grant.inviteOp), team: grant.team)
            if case let .refused(_, why) = outcome { logger.warning("team invite not revoked: \(why)", metadata: ["invite": "\(id)"]) }
        }
        logger.notice("pairing code revoked", metadata: ["invite": "\(id)"])
        announceOpenCodes()
        return revoked
    }

    /// Announces the tags of the open codes over mDNS (or withdraws them): after each change,
    /// and every 30 seconds so expired codes disappear.
    func announceOpenCodes() {
        transport?.setPairingTags(desk.book.announcedTags(at: Self.wallClockMs()))
        if pairingAnnouncer == nil {
            pairingAnnouncer = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(30))
                    await self?.announceOpenCodes()
                }
            }
        }
    }

    // MARK: Joining

    /// Pairs with the inviter of `code`: at `via` when given, else the node whose mDNS record
    /// announces the code's tag (waiting up to `lookFor` for it to appear).
    public func join(code: OmniCode, via: HostPort?, lookFor: Duration = .seconds(10)) async -> Result<JoinResult, PairingFailure> {
        guard let transport else { return .failure(.unreachable("the mesh transport is not running: start the node with the mesh on")) }
        var address = via
        if address == nil {
            let clock = ContinuousClock()
            let deadline = clock.now + lookFor
            transport.refreshDiscovery()
            while address == nil {
                if let found = transport.announcer(of: code.tag) { address = found.address; break }
                guard clock.now < deadline else {
                    return .failure(.unreachable("no node on the LAN announces a code starting \(code.tag) (looked for \(lookFor)): check the code, make sure the inviter's node runs with discovery on, or give its address with --via HOST:PORT"))
                }
                try? await Task.sleep(for: .milliseconds(500))
                transport.refreshDiscovery()
            }
        }
        logger.info("pairing", metadata: ["with": "\(address!)", "tag": "\(code.tag)"])
        switch await transport.pair(at: address!, code: code) {
        case let .failure(failure):
            logger.warning("pairing failed: \(failure)", metadata: ["with": "\(address!)"])
            return .failure(failure)
        case let .success(peer):
            let result = peer.result ?? PairResult(accepted: true)
            let team = OpID(bytes: result.team)
            logger.notice("paired", metadata: ["inviter": "\(peer.node.short)", "team": "\(team?.short ?? "none")"])
            eventContinuation.yield(.paired(peer.node, team: team))
            return .success(JoinResult(inviter: peer.node, address: address!, team: team, role: Role(name: result.role),
                                       message: result.message))
        }
    }

    // MARK: The transport's questions

    public func acceptsPairing() -> Bool { desk.book.answersPairing(at: Self.wallClockMs()) }

    /// The desk decides, on the node's monotonic clock: at most 8 runs, one per address, each
    /// within `PairingDesk.runDeadline` (the transport closes the link then).
    public func pairingOpen(session: UInt64, source: String) -> PairingOpening {
        let now = self.now
        switch desk.open(session: session, source: source, at: now) {
        case let .admitted(deadline):
            return .run(within: deadline - now)
        case let .refused(refusal):
            logger.warning("pairing link refused: \(refusal.rawValue) (8 runs at once, one per address)",
                           metadata: ["from": "\(source)"])
            return .refuse(refusal)
        }
    }

    public func pairingStart(code: OmniCode, session: UInt64, channel: PairingChannel) -> PairingMessage {
        desk.join(code: code, session: session, channel: channel, using: &rng)
    }

    public func pairingReceive(_ message: PairingMessage, session: UInt64, channel: PairingChannel) async -> PairingReply {
        let step = desk.receive(message, session: session, channel: channel, at: Self.wallClockMs(), now: now, using: &rng)
        if !step.persist.isEmpty {
            do { try database.saveInvites(step.persist) } catch {
                // Unrecorded, an attempt could be repeated without limit: answer nothing.
                logger.critical("cannot store a pairing attempt; refusing it: \(error)")
                desk.end(session: session)
                return PairingReply(send: [], verdict: .failed(.refused(.busy, message: "the inviter cannot store the attempt")))
            }
        }
        if step.persist.contains(where: { $0.status(at: Self.wallClockMs()) != .open }) { announceOpenCodes() }
        switch step.outcome {
        case nil:
            return PairingReply(send: step.send, verdict: .continuing)
        case let .failed(failure):
            logger.warning("pairing attempt failed: \(failure)", metadata: ["peer": "\(channel.joiner == nodeID ? channel.inviter.short : channel.joiner.short)"])
            return PairingReply(send: step.send, verdict: .failed(failure))
        case let .paired(peer):
            guard let invite = peer.invite else { return PairingReply(send: step.send, verdict: .paired(peer)) }
            // Inviter: the code is spent; apply its grant, then tell the joiner.
            let result = await grant(invite, to: peer)
            logger.notice("paired", metadata: ["joiner": "\(peer.node.short)", "invite": "\(invite.id)",
                                               "team": "\(invite.grant.map { $0.team.short } ?? "none")"])
            eventContinuation.yield(.paired(peer.node, team: result.team.isEmpty ? nil : invite.grant?.team))
            return PairingReply(send: step.send + [.result(result)], verdict: .paired(peer))
        }
    }

    public func pairingEnded(session: UInt64) {
        guard let invite = desk.end(session: session) else { return }
        // The joiner stopped after our response: a wrong code (it noticed at key confirmation)
        // or a joiner that gave up. Either way the attempt counted.
        logger.warning("pairing attempt failed: the joiner closed the link before confirming (a wrong code, or it gave up)",
                       metadata: ["invite": "\(invite.id)", "failures": "\(invite.failures) of \(InviteBook.maxAttempts)",
                                  "status": "\(invite.status(at: Self.wallClockMs()).rawValue)"])
    }

    /// Adds the joiner to the invite's team, if it has a grant; the accepted result says what happened.
    private func grant(_ invite: PairingInvite, to peer: PairingDesk.PairedPeer) async -> PairResult {
        guard let grant = invite.grant else { return PairResult(accepted: true, message: "paired") }
        // The node's own grant, whoever made the invite.
        switch await write(.addMember(publicKey: peer.key, role: grant.role, invite: grant.inviteOp), team: grant.team, as: nil) {
        case .applied, .conflict:
            return PairResult(accepted: true, message: "paired; added to team \(grant.team.short) as \(grant.role)",
                              team: grant.team.bytes, role: grant.role.description)
        case let .refused(_, why):
            logger.warning("paired, but the team grant was refused: \(why)", metadata: ["joiner": "\(peer.node.short)"])
            return PairResult(accepted: true, message: "paired, but not added to the team: \(why)")
        case let .invalid(violation):
            return PairResult(accepted: true, message: "paired, but not added to the team: \(violation)")
        case .noSuchTeam:
            return PairResult(accepted: true, message: "paired, but the team no longer exists here")
        }
    }

    /// `ms` (wall-clock milliseconds) as ISO 8601, as logs and the API spell times.
    public static func isoTime(_ ms: UInt64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }
}

/// Why an invite could not be made, listed or revoked.
public enum PairingAPIError: Error, Equatable, CustomStringConvertible {
    case invite(InviteError)
    case noSuchTeam(TeamID)
    case teamRefused(String)
    case storage(String)

    public var description: String {
        switch self {
        case let .invite(e): e.description
        case let .noSuchTeam(t): "no team \(t) on this node: check the team ID"
        case let .teamRefused(why): "cannot invite to the team: \(why)"
        case let .storage(why): "the code could not be stored: \(why)"
        }
    }
}
