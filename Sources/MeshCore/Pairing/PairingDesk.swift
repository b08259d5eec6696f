import Replicas
import Sodium
import Wire

/// Both sides of pairing for one node, with no IO (DESIGN.md section 1): the codes it handed
/// out, the runs in progress, and for each message that arrives what to persist, what to send
/// and how the run ended. The node's actor shell and the simulator drive the same desk.
///
/// A run is named by a session number the shell chooses (one per pairing link). The shell
/// must persist `Step.persist` before it sends `Step.send`, and must call `end` when the link
/// closes.
///
/// Inviter slots cannot be held by strangers (PROTOCOL.md section 10.5). The shell `open`s each
/// inviter run with the link's source address and its monotonic time, before any message:
/// - at most `maxSessions` runs are under way, and at most one per source address; more are
///   refused `busy` at once;
/// - a run must end within `runDeadline` of its opening (CPace is two round trips): past it the
///   slot is free again whatever the link does (a late message is refused), and `expire` names
///   the runs whose links the shell must close; an unfinished run counts as a failed attempt
///   if it had named a code.
/// A run that was not opened takes a slot when its request arrives, with no deadline and no
/// address: only for drivers where no stranger can connect (the simulator).
public struct PairingDesk: Sendable {
    public static let maxSessions = 8
    /// How long an inviter run may last from `open` to its end.
    public static let runDeadline: Duration = .seconds(5)

    public var book: InviteBook
    public let identity: Ed25519KeyPair
    private var inviting: [UInt64: InviterRun] = [:]
    private var joining: [UInt64: JoinerState] = [:]
    /// Runs freed at their deadline whose links the shell has not closed yet (`end` forgets
    /// them): a late message on one is refused, never taken as a new run.
    private var expired: Set<UInt64> = []

    /// One inviter slot: who holds it, until when, and the run once a request named a code.
    private struct InviterRun: Sendable {
        var source: String?
        var deadline: Instant?
        var run: (handshake: InviterHandshake, invite: String)?
    }

    /// Whether an inviter run may start (`open`).
    public enum Admission: Sendable, Equatable {
        /// The run holds a slot until `deadline`: the shell closes its link then if it has not ended.
        case admitted(deadline: Instant)
        /// No slot: the shell sends this refusal and closes the link.
        case refused(PairingRefusal)
    }

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

    /// Opens an inviter run on `session` for a link from `source` (the peer's IP address, as the
    /// shell spells it) at `now` (monotonic). Runs past their deadline are freed first.
    public mutating func open(session: UInt64, source: String, at now: Instant) -> Admission {
        expire(at: now)
        guard inviting[session] == nil, joining[session] == nil, !expired.contains(session) else { return .refused(.badRequest) }
        guard inviting.count < Self.maxSessions, !inviting.values.contains(where: { $0.source == source }) else {
            return .refused(.busy)
        }
        let deadline = now + Self.runDeadline
        inviting[session] = InviterRun(source: source, deadline: deadline)
        return .admitted(deadline: deadline)
    }

    /// Frees the inviter runs whose deadline has passed at `now`; returns their sessions, in
    /// order, for the shell to close their links (it calls `end` as each closes, which is then
    /// a no-op).
    @discardableResult
    public mutating func expire(at now: Instant) -> [UInt64] {
        let due = inviting.filter { $0.value.deadline.map { $0 <= now } ?? false }.keys.sorted()
        for session in due {
            inviting[session] = nil
            expired.insert(session)
        }
        return due
    }

    /// The earliest deadline of an inviter run, for the shell's timer.
    public var nextDeadline: Instant? { inviting.values.compactMap(\.deadline).min() }

    /// Starts a run as joiner on `session`: the request to send.
    public mutating func join<R: RandomNumberGenerator>(code: OmniCode, session: UInt64, channel: PairingChannel,
                                                        using rng: inout R) -> PairingMessage {
        let handshake = JoinerHandshake(code: code, identity: identity, channel: channel, using: &rng)
        joining[session] = .awaitingResponse(handshake)
        return .request(handshake.request)
    }

    /// A pairing message arrived on `session`: at wall time `nowMs` (codes' lifetimes) and, for
    /// runs opened with `open`, monotonic time `now` (their deadline; a message at or past it
    /// ends the run unanswered).
    public mutating func receive<R: RandomNumberGenerator>(_ message: PairingMessage, session: UInt64, channel: PairingChannel,
                                                           at nowMs: UInt64, now: Instant? = nil, using rng: inout R) -> Step {
        if let state = joining[session] { return joinerReceive(message, state: state, session: session) }
        // Kept as expired until the shell closes the link (`end`): every later message is refused too.
        if expired.contains(session) { return Step(outcome: .failed(.incomplete)) }
        if let slot = inviting[session] {
            if let deadline = slot.deadline, let now, now >= deadline { return fail(session, .incomplete, refusal: nil) }
            if let run = slot.run {
                guard case let .confirm(confirm) = message else { return fail(session, .unexpected(message.name), refusal: .badRequest) }
                return inviterConfirm(confirm, run: run, session: session, at: nowMs)
            }
        }
        guard case let .request(request) = message else { return fail(session, .unexpected(message.name), refusal: nil) }
        return inviterRequest(request, session: session, channel: channel, at: nowMs, using: &rng)
    }

    /// The link of `session` closed or timed out: forget the run and free its slot. Returns the
    /// invite an unfinished inviter run was for (its attempt stays counted as a failure).
    @discardableResult
    public mutating func end(session: UInt64) -> PairingInvite? {
        let unfinished = inviting.removeValue(forKey: session)?.run.flatMap { book.invite(id: $0.invite) }
        joining[session] = nil
        expired.remove(session)
        return unfinished
    }

    // MARK: Inviter

    private mutating func inviterRequest<R: RandomNumberGenerator>(_ request: PairRequest, session: UInt64, channel: PairingChannel,
                                                                   at nowMs: UInt64, using rng: inout R) -> Step {
        // An opened run already holds its slot; one that was not takes a free one now.
        guard inviting[session] != nil || inviting.count < Self.maxSessions else {
            return fail(session, .refused(.busy, message: PairingRefusal.busy.message), refusal: .busy)
        }
        let invite: PairingInvite
        switch book.beginAttempt(tag: request.tag, at: nowMs) {
        case let .failure(refusal): return fail(session, .refused(refusal, message: refusal.message), refusal: refusal)
        case let .success(i): invite = i
        }
        var step = Step(persist: [invite])
        do {
            let (handshake, response) = try InviterHandshake.respond(to: request, code: invite.code, identity: identity,
                                                                      channel: channel, using: &rng)
            inviting[session, default: InviterRun()].run = (handshake, invite.id)
            step.send = [.response(response)]
        } catch {
            inviting[session] = nil
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
