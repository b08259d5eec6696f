import Replicas
import Wire

/// One pairing code this node handed out, and what became of it.
///
/// Rules (the Pairing issue; PROTOCOL.md section 10): single use; expires at `expiresMs`
/// (wall clock, milliseconds since 1970); each pairing attempt counts, and once
/// `InviteBook.maxAttempts` attempts have not succeeded the code is burned; a revoked code
/// is dead at once.
public struct PairingInvite: Hashable, Sendable {
    /// A stable handle for listing and revoking (not the code, which stays secret).
    public var id: String
    public var code: OmniCode
    public var createdMs: UInt64
    public var expiresMs: UInt64
    /// Pairing attempts begun with this code (each counted before the inviter answers).
    public var attempts: Int
    public var usedBy: NodeID?
    public var usedMs: UInt64?
    public var revoked: Bool
    /// What the joiner also receives: a team membership.
    public var grant: TeamGrant?

    public init(id: String, code: OmniCode, createdMs: UInt64, expiresMs: UInt64, attempts: Int = 0, usedBy: NodeID? = nil,
                usedMs: UInt64? = nil, revoked: Bool = false, grant: TeamGrant? = nil) {
        self.id = id
        self.code = code
        self.createdMs = createdMs
        self.expiresMs = expiresMs
        self.attempts = attempts
        self.usedBy = usedBy
        self.usedMs = usedMs
        self.revoked = revoked
        self.grant = grant
    }

    /// Attempts that did not pair.
    public var failures: Int { attempts - (usedBy == nil ? 0 : 1) }

    public func status(at nowMs: UInt64) -> InviteStatus {
        if usedBy != nil { return .used }
        if revoked { return .revoked }
        if attempts >= InviteBook.maxAttempts { return .burned }
        if nowMs >= expiresMs { return .expired }
        return .open
    }
}

public enum InviteStatus: String, Sendable, CaseIterable {
    case open, used, revoked, burned, expired
}

/// A team membership that comes with a code: the joiner is added to `team` with `role` by a
/// signed `add-member` op that cites `inviteOp` (the team's `create-invite` op).
public struct TeamGrant: Hashable, Sendable {
    public var team: TeamID
    public var role: Role
    public var inviteOp: OpID

    public init(team: TeamID, role: Role, inviteOp: OpID) {
        self.team = team
        self.role = role
        self.inviteOp = inviteOp
    }
}

/// Why an inviter refused a pairing attempt; the raw value travels in `PairResult.refusal`.
public enum PairingRefusal: String, Error, Sendable, Hashable, CaseIterable {
    case unknownCode = "unknown-code"
    case expired
    case used
    case burned
    case revoked
    case wrongCode = "wrong-code"
    case busy
    case badRequest = "bad-request"

    /// What the joiner's user reads.
    public var message: String {
        switch self {
        case .unknownCode: "the inviter has no open code with that first group: check the code, or ask for a new one"
        case .expired: "the code has expired: ask the inviter for a new one"
        case .used: "the code was already used: each code pairs one device; ask for a new one"
        case .burned: "the code was burned after too many wrong tries: ask the inviter for a new one"
        case .revoked: "the inviter revoked the code: ask for a new one"
        case .wrongCode: "the code does not match the inviter's: check it with them (each wrong try counts; 5 burn the code)"
        case .busy: "the inviter is busy with other pairings: try again in a few seconds"
        case .badRequest: "the pairing request was not valid"
        }
    }

    init(_ status: InviteStatus) {
        switch status {
        case .used: self = .used
        case .revoked: self = .revoked
        case .burned: self = .burned
        case .expired: self = .expired
        case .open: self = .badRequest
        }
    }
}
