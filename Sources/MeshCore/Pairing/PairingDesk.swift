import Replicas
import Sodium
import Wire

/// Both sides of pairing for one node, with no IO (DESIGN.md section 1): the codes it handed
/// out, the runs in progress, and for each message that arrives what to persist, what to send
/// and how the run ended. The node's actor shell and the simulator drive the same desk.
///
/// A run is named by a session number the shell chooses (one per pairing link). The shell
/// must persist `Step.persist` before it sends `Step.send`, and must call `end` when the link
/// closes. At most `maxSessions` runs are under way as inviter.
public struct PairingDesk: Sendable {
    public static let maxSessions = 8

    public var book: InviteBook
    public let identity: Ed25519KeyPair
    private var inviting: [UInt64: (handshake: InviterHandshake, invite: String)] = [:]
    private var joining: [UInt64: JoinerState] = [:]

    private enum JoinerState: Sendable {
        case awaitingResponse(JoinerHandshake)
        case awaitingResult(inviterKey: Ed25519PublicKey)
    }

    /// What to do after one message.
    public struct Step: Sendable {
        /// Invites changed: store them first.
        public var persist: [PairingInvite] = []
        public var send: [PairingMessage] = []
        /// Set when the run is over; the session is forgotten then.
        public var outcome: PairingOutcome?
    }

    public enum PairingOutcome: Sendable, Equatable {
        case paired(PairedPeer)
        case failed(PairingFailure)
    }

    /// The other side of a run that succeeded.
    public struct PairedPeer: Sendable, Equatable {
        public var key: Ed25519PublicKey
        public var node: NodeID { NodeID(publicKey: key) }
        /// Inviter side: the code that was spent (with its grant). The shell applies the
        /// grant and then sends the final `result`.
        public var invite: PairingInvite?
        /// Joiner side: the inviter's verdict, with the team granted if any.
        public var result: PairResult?
    }

    public init(identity: Ed25519KeyPair, book: InviteBook = InviteBook()) {
        self.identity = identity
        self.book = book
    }

    public var sessionsInProgress: Int { inviting.count + joining.count }

    /// Starts a run as joiner on `session`: the request to send.
    public mutating func join<R: RandomNumberGenerator>(code: OmniCode, session: UInt64, channel: PairingChannel,
                                                        using rng: inout R) -> PairingMessage {
        let handshake = JoinerHandshake(code: code, identity: identity, channel: channel, using: &rng)
        joining[session] = .awaitingResponse(handshake)
        return .request(handshake.request)
    }

    /// A pairing message arrived on `session`.
    public mutating func receive<R: RandomNumberGenerator>(_ message: PairingMessage, session: UInt64, channel: PairingChannel,
                                                           at nowMs: UInt64, using rng: inout R) -> Step {
        if let state = joining[session] { return joinerReceive(message, state: state, session: session) }
        if let run = inviting[session] {
            guard case let .confirm(confirm) = message else { return fail(session, .unexpected(message.name), refusal: .badRequest) }
            return inviterConfirm(confirm, run: run, session: session, at: nowMs)
        }
        guard case let .request(request) = message else { return fail(session, .unexpected(message.name), refusal: nil) }
        return inviterRequest(request, session: session, channel: channel, at: nowMs, using: &rng)
    }

    /// The link of `session` closed or timed out: forget the run. Returns the invite an
    /// unfinished inviter run was for (its attempt stays counted as a failure).
    @discardableResult
    public mutating func end(session: UInt64) -> PairingInvite? {
        let unfinished = inviting.removeValue(forKey: session).flatMap { book.invite(id: $0.invite) }
        joining[session] = nil
        return unfinished
    }

    // MARK: Inviter

    private mutating func inviterRequest<R: RandomNumberGenerator>(_ request: PairRequest, session: UInt64, channel: PairingChannel,
                                                                   at nowMs: UInt64, using rng: inout R) -> Step {
        guard inviting.count < Self.maxSessions else { return fail(session, .refused(.busy, message: PairingRefusal.busy.message), refusal: .busy) }
        let invite: PairingInvite
        switch book.beginAttempt(tag: request.tag, at: nowMs) {
        case let .failure(refusal): return fail(session, .refused(refusal, message: refusal.message), refusal: refusal)
        case let .success(i): invite = i
        }
        var step = Step(persist: [invite])
        do {
            let (handshake, response) = try InviterHandshake.respond(to: request, code: invite.code, identity: identity,
                                                                      channel: channel, using: &rng)
            inviting[session] = (handshake, invite.id)
            step.send = [.response(response)]
        } catch {
            step.send = [.result(PairResult(accepted: false, refusal: PairingRefusal.badRequest.rawValue, message: "\(error)"))]
            step.outcome = .failed(error)
        }
        return step
    }

    private mutating func inviterConfirm(_ confirm: PairConfirm, run: (handshake: InviterHandshake, invite: String),
                                         session: UInt64, at nowMs: UInt64) -> Step {
        inviting[session] = nil
        let key: Ed25519PublicKey
        do { key = try run.handshake.verify(confirm) } catch {
            return fail(session, error, refusal: error == .wrongCode ? .wrongCode : .badRequest)
        }
        switch book.complete(id: run.invite, joiner: NodeID(publicKey: key), at: nowMs) {
        case let .failure(refusal):
            return fail(session, .refused(refusal, message: refusal.message), refusal: refusal)
        case let .success(invite):
            return Step(persist: [invite], outcome: .paired(PairedPeer(key: key, invite: invite)))
        }
    }

    // MARK: Joiner

    private mutating func joinerReceive(_ message: PairingMessage, state: JoinerState, session: UInt64) -> Step {
        switch (state, message) {
        case let (.awaitingResponse(handshake), .response(response)):
            do {
                let (confirm, inviterKey) = try handshake.verify(response)
                joining[session] = .awaitingResult(inviterKey: inviterKey)
                return Step(send: [.confirm(confirm)])
            } catch {
                return fail(session, error, refusal: nil)
            }
        case let (.awaitingResult(inviterKey), .result(result)) where result.accepted:
            joining[session] = nil
            return Step(outcome: .paired(PairedPeer(key: inviterKey, result: result)))
        case let (_, .result(result)) where !result.accepted:
            let refusal = PairingRefusal(rawValue: result.refusal) ?? .badRequest
            return fail(session, .refused(refusal, message: result.message.isEmpty ? refusal.message : result.message), refusal: nil)
        default:
            return fail(session, .unexpected(message.name), refusal: nil)
        }
    }

    /// Ends the run with `failure`, telling the peer `refusal` when there is one to tell.
    private mutating func fail(_ session: UInt64, _ failure: PairingFailure, refusal: PairingRefusal?) -> Step {
        end(session: session)
        var step = Step(outcome: .failed(failure))
        if let refusal {
            step.send = [.result(PairResult(accepted: false, refusal: refusal.rawValue, message: refusal.message))]
        }
        return step
    }
}

extension PairingMessage {
    /// The message's name for errors and logs.
    public var name: String { MeshMessage.pair(self).kindName }
}
