import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import MeshCore
import MeshNode
import Sodium
import Synchronization

/// Who is asking: a local account, or the node's operator (the `elohim` CLI on this machine,
/// holding the `api-token` file of the data folder).
public enum Caller: Sendable, Equatable {
    case account(Account)
    case nodeOperator

    /// Founder-level: the founder account or the operator.
    public var isFounderLevel: Bool {
        switch self {
        case let .account(a): a.founder
        case .nodeOperator: true
        }
    }

    /// How the audit log names the caller.
    public var auditName: String {
        switch self {
        case let .account(a): "user:\(a.id):\(a.username)"
        case .nodeOperator: "node-operator"
        }
    }
}

/// The local services of one node, over its database and data folder: accounts and tokens,
/// the audit trail, request rate limits.
public final class NodeServices: Sendable {
    public static let operatorTokenFileName = "api-token"

    public let accounts: AccountStore
    public let tokens: TokenIssuer
    public let audit: AuditLog
    public let permissions: PermissionEngine
    public let chunks: ChunkStore
    /// The secret the CLI on this machine presents (from `api-token`, mode 0600).
    public let operatorToken: String
    /// Login tokens signed out before they expire.
    public let signedOut: SignedOutTokens
    /// The persons signed in, with their keys in clear (only while signed in).
    public let persons = PersonKeyring()
    /// The one-time secret of the setup link, while the node has no founder (nil after).
    private let setupSecret: Mutex<String?>
    private let limiter: Mutex<RateLimiter>
    /// When the audit log was last pruned to its retention.
    private let lastPruneMs = Mutex<UInt64>(0)
    /// Wall-clock milliseconds; injected so tests can move time.
    public let clock: @Sendable () -> UInt64

    public init(node: Node, passwordCost: PasswordHash.Cost = .interactive, limits: RateLimiter.Limits = .init(),
                clock: @escaping @Sendable () -> UInt64 = { Node.wallClockMs() }) async throws {
        let folder = node.folder.url.path
        accounts = AccountStore(pool: node.database.pool, cost: passwordCost)
        tokens = await TokenIssuer(key: try TokenIssuer.loadKey(folder: folder), node: node.nodeID.description)
        audit = AuditLog(pool: node.database.pool)
        permissions = PermissionEngine(pool: node.database.pool, clock: clock)
        chunks = node.chunkStore
        operatorToken = try Self.loadOperatorToken(folder: folder)
        signedOut = try SignedOutTokens(pool: node.database.pool, nowMs: clock())
        setupSecret = Mutex(try accounts.count() == 0 ? Sodium.randomBytes(count: 24).map { String(format: "%02x", $0) }.joined() : nil)
        limiter = Mutex(RateLimiter(limits: limits))
        self.clock = clock
        try pruneAuditIfDue()
    }

    /// The secret of the one-time setup link (`http://HOST:PORT/#setup=SECRET`), while the node
    /// has no founder; nil once it has one. A new one is made at each start until then.
    public var setupLinkSecret: String? { setupSecret.withLock { $0 } }

    /// Makes the founder with the setup link's secret, which is spent by it.
    public func setUpFounder(secret: String, username: String, name: String? = nil, password: String) throws(AccountError) -> Account {
        let matches = setupSecret.withLock { current in
            current.map { Sodium.constantTimeEqual(Array($0.utf8), Array(secret.utf8)) } ?? false
        }
        guard matches else { throw try accounts.count() == 0 ? .setupLinkInvalid : .setupDone }
        let (account, keys) = try accounts.registerPerson(username: username, name: name, password: password, by: nil,
                                                          authority: .setupLink, at: clock())
        setupSecret.withLock { $0 = nil }
        // The setup link signs the founder in at once.
        persons.unlock(account.id, keys)
        return account
    }

    /// Registers an account (a person, with a display name and keys of its own); spends the
    /// setup link when it makes the founder. The new person is not signed in.
    public func register(username: String, name: String? = nil, password: String, by caller: Caller?) throws(AccountError) -> Account {
        let account = try accounts.register(username: username, name: name, password: password, by: caller, at: clock())
        if account.founder { setupSecret.withLock { $0 = nil } }
        return account
    }

    /// Checks a login and opens the person's keys with the password, so the node can sign as
    /// the person until they sign out. Returns the account as stored after (an account made
    /// before persons existed has its person now).
    public func login(username: String, password: String) throws(AccountError) -> Account {
        let account = try accounts.login(username: username, password: password, at: clock())
        persons.unlock(account.id, try accounts.unlockPerson(id: account.id, password: password))
        return try accounts.account(id: account.id) ?? account
    }

    /// Changes an account's password (its person's keys are sealed again under the new one).
    public func changePassword(id: Int64, current: String, new: String) throws(AccountError) -> Account {
        let account = try accounts.changePassword(id: id, current: current, new: new, at: clock())
        if persons.keys(of: id) == nil { persons.unlock(id, try accounts.unlockPerson(id: id, password: new)) }
        return account
    }

    /// Ends every session of an account and forgets its keys.
    public func revokeSessions(id: Int64) throws(AccountError) {
        try accounts.revokeSessions(id: id)
        persons.lock(id)
    }

    /// Deletes an account and forgets its keys.
    public func deleteAccount(id: Int64) throws(AccountError) {
        try accounts.delete(id: id)
        persons.lock(id)
    }

    /// Signs out one login token and forgets the person's keys (every session of the account
    /// must sign in again before writing as the person); when the sign-out list is full, ends
    /// every session of the account.
    public func signOut(_ verified: TokenIssuer.Verified) throws {
        persons.lock(verified.account)
        if try !signedOut.add(verified.jti, expiresMs: verified.expiresMs, nowMs: clock()) {
            try accounts.revokeSessions(id: verified.account)
        }
    }

    /// Who the node signs as for `caller` (PROTOCOL.md section 13): an account's person, with
    /// its keys when it is signed in; nil for the node's operator (the node signs).
    public func actingPerson(for caller: Caller?) -> ActingPerson? {
        guard case let .account(account)? = caller, let person = account.person else { return nil }
        return ActingPerson(id: person, keys: persons.keys(of: account.id)?.signing)
    }

    /// Records an audit entry; once an hour, first drops the entries past the 90-day retention.
    /// Returns the entry's ID (to complete an entry recorded before its action ran).
    @discardableResult
    public func record(_ entry: AuditEntry) throws -> Int64 {
        try pruneAuditIfDue()
        return try audit.begin(entry)
    }

    private func pruneAuditIfDue() throws {
        let now = clock()
        let due = lastPruneMs.withLock { last -> Bool in
            guard last == 0 || now >= last + 3_600_000 else { return false }
            last = now
            return true
        }
        if due { try audit.prune(at: now) }
    }

    /// Counts a request against the limits; the wait in milliseconds when over.
    public func admit(_ key: String, kind: RateLimiter.Kind) -> UInt64? {
        let now = clock()
        return limiter.withLock { $0.admit(key, kind: kind, at: now) }
    }

    /// The caller a bearer token names: the operator token, or a login token of a live account
    /// whose sessions it still belongs to (not signed out, its version current).
    public func caller(bearer token: String) async throws(TokenError) -> Caller {
        try await session(bearer: token).caller
    }

    /// The caller and, for a login token, what the token says (for signing it out).
    public func session(bearer token: String) async throws(TokenError) -> (caller: Caller, token: TokenIssuer.Verified?) {
        if Sodium.constantTimeEqual(Array(token.utf8), Array(operatorToken.utf8)) { return (.nodeOperator, nil) }
        let verified = try await tokens.verify(token, at: clock())
        guard let account = try? accounts.account(id: verified.account) else { throw .revoked }
        guard verified.version == account.tokenVersion, !signedOut.contains(verified.jti) else { throw .revoked }
        return (.account(account), verified)
    }

    /// Throws when the file at `path` can be read by other users (a credential must be 0600).
    static func checkPrivate(_ path: String) throws(TokenError) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw .keyFile(path, "it has mode \(String(mode, radix: 8)) and other users can read it, which makes them the node's operator: "
                           + "run `chmod 600 \(path)` and start the node again")
        }
    }

    /// The operator token file in `folder`, made (0600) when missing.
    public static func loadOperatorToken(folder: String) throws(TokenError) -> String {
        let path = (folder as NSString).appendingPathComponent(operatorTokenFileName)
        let fm = FileManager.default
        if let data = fm.contents(atPath: path) {
            // An operator credential: whoever reads it is the node's operator.
            try Self.checkPrivate(path)
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count == 64, text.allSatisfy(\.isHexDigit) else {
                throw .keyFile(path, "it should hold 64 hex digits; delete it and restart the node to make a new one")
            }
            return text
        }
        let token = Sodium.randomBytes(count: 32).map { String(format: "%02x", $0) }.joined()
        guard fm.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw .keyFile(path, "cannot create it")
        }
        return token
    }

}
