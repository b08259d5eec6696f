import Foundation
import Logging
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
        limiter = Mutex(RateLimiter(limits: limits))
        self.clock = clock
        try pruneAuditIfDue()
    }

    /// Records an audit entry; once an hour, first drops the entries past the 90-day retention.
    public func record(_ entry: AuditEntry) throws {
        try pruneAuditIfDue()
        try audit.record(entry)
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

    /// The caller a bearer token names: the operator token, or a login token of a live account.
    public func caller(bearer token: String) async throws(TokenError) -> Caller {
        if Sodium.constantTimeEqual(Array(token.utf8), Array(operatorToken.utf8)) { return .nodeOperator }
        let id = try await tokens.verify(token, at: clock())
        guard let account = try? accounts.account(id: id) else { throw .invalid }
        return .account(account)
    }

    /// The operator token file in `folder`, made (0600) when missing.
    public static func loadOperatorToken(folder: String) throws(TokenError) -> String {
        let path = (folder as NSString).appendingPathComponent(operatorTokenFileName)
        let fm = FileManager.default
        if let data = fm.contents(atPath: path) {
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
