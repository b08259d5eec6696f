import Replicas
import Wire

/// The inviter's codes and the rules over them, with no IO: the node persists every
/// `PairingInvite` this returns changed, before it answers the peer (so a crash cannot reset an
/// attempt count).
public struct InviteBook: Sendable {
    /// Attempts a code survives without pairing before it is burned.
    public static let maxAttempts = 5
    /// Codes open at once (each announces its tag; the mDNS TXT record has room for 16).
    public static let maxOpen = 16
    /// Longest and shortest lifetime of a code.
    public static let maxLifetimeMs: UInt64 = 30 * 86_400_000
    public static let minLifetimeMs: UInt64 = 60_000
    public static let defaultLifetimeMs: UInt64 = 7 * 86_400_000
    /// Closed codes kept for listing; older ones are forgotten.
    public static let maxKept = 200

    /// Every code, oldest first.
    public private(set) var invites: [PairingInvite]

    public init(invites: [PairingInvite] = []) {
        self.invites = invites.sorted { ($0.createdMs, $0.id) < ($1.createdMs, $1.id) }
    }

    public func invite(id: String) -> PairingInvite? { invites.first { $0.id == id } }

    public func open(at nowMs: UInt64) -> [PairingInvite] { invites.filter { $0.status(at: nowMs) == .open } }

    /// How long after a code's expiry the node still answers pairing runs about it.
    public static let answerWindowMs: UInt64 = 86_400_000

    /// Whether an untrusted peer may start a pairing run here: while any code is within its
    /// lifetime, or expired less than `answerWindowMs` ago. Used and burned codes count, so a
    /// late joiner is told "already used" or "burned" instead of seeing a closed link; a node
    /// that never made a code offers no pairing surface at all.
    public func answersPairing(at nowMs: UInt64) -> Bool {
        invites.contains { !$0.revoked && nowMs < $0.expiresMs + Self.answerWindowMs }
    }

    /// The tags to announce, sorted.
    public func announcedTags(at nowMs: UInt64) -> [String] { open(at: nowMs).map(\.code.tag).sorted() }

    /// A new code, whose tag differs from every open code's. Returns it and the invites to
    /// forget (the oldest closed ones beyond `maxKept`).
    public mutating func create<R: RandomNumberGenerator>(lifetimeMs: UInt64, grant: TeamGrant?, at nowMs: UInt64,
                                                          using rng: inout R) throws(InviteError) -> (PairingInvite, forgotten: [PairingInvite]) {
        guard (Self.minLifetimeMs...Self.maxLifetimeMs).contains(lifetimeMs) else { throw .badLifetime(lifetimeMs) }
        let open = self.open(at: nowMs)
        guard open.count < Self.maxOpen else { throw .tooManyOpen }
        let taken = Set(open.map(\.code.tag))
        var code = OmniCode.random(using: &rng)
        while taken.contains(code.tag) || code.symbols.hasPrefix("0MN1") { code = OmniCode.random(using: &rng) }
        var id = ""
        repeat { id = String((0..<8).map { _ in CrockfordBase32.alphabet[Int.random(in: 0..<32, using: &rng)] }) }
        while invite(id: id) != nil
        let invite = PairingInvite(id: id, code: code, createdMs: nowMs, expiresMs: nowMs + lifetimeMs, grant: grant)
        invites.append(invite)
        var forgotten: [PairingInvite] = []
        while invites.count > Self.maxKept, let i = invites.firstIndex(where: { $0.status(at: nowMs) != .open }) {
            forgotten.append(invites.remove(at: i))
        }
        return (invite, forgotten)
    }

    /// A pairing attempt names `tag`: the open code with that tag, its attempt counted; or why not.
    public mutating func beginAttempt(tag: String, at nowMs: UInt64) -> Result<PairingInvite, PairingRefusal> {
        // Prefer an open code; otherwise report what became of the newest with that tag.
        let candidates = invites.indices.filter { invites[$0].code.tag == tag }
        guard let i = candidates.last(where: { invites[$0].status(at: nowMs) == .open }) ?? candidates.last else {
            return .failure(.unknownCode)
        }
        let status = invites[i].status(at: nowMs)
        guard status == .open else { return .failure(PairingRefusal(status)) }
        invites[i].attempts += 1
        return .success(invites[i])
    }

    /// The attempt on `id` succeeded for `joiner`: the code is spent. Fails when the code
    /// closed meanwhile (revoked, or used by a concurrent attempt).
    public mutating func complete(id: String, joiner: NodeID, at nowMs: UInt64) -> Result<PairingInvite, PairingRefusal> {
        guard let i = invites.firstIndex(where: { $0.id == id }) else { return .failure(.unknownCode) }
        if invites[i].usedBy != nil { return .failure(.used) }
        if invites[i].revoked { return .failure(.revoked) }
        invites[i].usedBy = joiner
        invites[i].usedMs = nowMs
        return .success(invites[i])
    }

    /// Revokes an open code. Revoking a closed one changes nothing and says why.
    public mutating func revoke(id: String, at nowMs: UInt64) throws(InviteError) -> PairingInvite {
        guard let i = invites.firstIndex(where: { $0.id == id }) else { throw .noSuchInvite(id) }
        let status = invites[i].status(at: nowMs)
        guard status == .open else { throw .notOpen(id, status) }
        invites[i].revoked = true
        return invites[i]
    }
}

extension InviteBook {
    /// Reads a lifetime as people type it: a number and a unit, `s`, `m`, `h` or `d`
    /// (`7d`, `12h`, `30m`); a bare number is seconds.
    public static func lifetimeMs(parsing text: String) throws(InviteError) -> UInt64 {
        let t = text.trimmingWhitespace().lowercased()
        let units: [Character: UInt64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        // The unit is required: "2" could mean seconds, hours or days.
        guard let last = t.last, let unit = units[last], let n = UInt64(t.dropLast()), n <= maxLifetimeMs else {
            throw .badLifetimeText(text)
        }
        let ms = n * unit
        guard (minLifetimeMs...maxLifetimeMs).contains(ms) else { throw .badLifetime(ms) }
        return ms
    }
}

/// Why an invite could not be made or changed.
public enum InviteError: Error, Equatable, Sendable, CustomStringConvertible {
    case badLifetime(UInt64)
    case badLifetimeText(String)
    case tooManyOpen
    case noSuchInvite(String)
    case notOpen(String, InviteStatus)

    public var description: String {
        switch self {
        case let .badLifetime(ms):
            "an invite lives between 1 minute and 30 days; \(ms / 1000) s is outside that (try --expires 7d)"
        case let .badLifetimeText(text):
            "'\(text)' is not a lifetime: write a number and a unit, s, m, h or d (for example 7d or 12h)"
        case .tooManyOpen:
            "\(InviteBook.maxOpen) codes are open already: revoke one (elohim invite revoke ID) or wait for one to be used"
        case let .noSuchInvite(id): "no invite \(id): list them with `elohim invite list`"
        case let .notOpen(id, status): "invite \(id) is \(status.rawValue) already"
        }
    }
}
