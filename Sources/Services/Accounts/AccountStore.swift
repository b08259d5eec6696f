import GRDB
import Sodium
import Synchronization

/// Local accounts in the node's database: registration, login with lockout, password changes,
/// sessions ended early, deletion.
///
/// Rules it keeps:
/// - passwords are stored as Argon2id strings (`PasswordHash`), never in clear;
/// - the first account is the node's founder, and only the node's operator (the `api-token`
///   holder: the CLI on the machine) or the one-time setup link may make it; after that only
///   founder-level callers register accounts;
/// - every login attempt costs one Argon2id evaluation, so the time taken does not tell whether
///   a username exists;
/// - lockout counts cannot be lost to parallel guesses: an attempt is counted as a failure in
///   one transaction *before* the password is checked, and only a correct password clears the
///   count; a locked account is refused without looking at the password.
public struct AccountStore: Sendable {
    let pool: DatabasePool
    let policy: LoginPolicy
    let cost: PasswordHash.Cost
    /// A hash of nothing anyone knows, verified against when the username is unknown.
    let decoy: DecoyHash

    public init(pool: DatabasePool, policy: LoginPolicy = LoginPolicy(), cost: PasswordHash.Cost = .interactive) {
        self.pool = pool
        self.policy = policy
        self.cost = cost
        decoy = DecoyHash(cost: cost)
    }

    /// How a registration is allowed to make the first account (the founder).
    public enum FounderAuthority: Sendable {
        /// No special authority: only works once a founder exists (and `by` is founder-level).
        case none
        /// The one-time setup link, already checked by the caller.
        case setupLink
    }

    /// Registers `username`. With no account yet, the account becomes the founder, which needs
    /// the node's operator as `by` or `authority: .setupLink`; after that, `by` must be
    /// founder-level (the founder, or the node's operator).
    public func register(username: String, password: String, by caller: Caller?, authority: FounderAuthority = .none,
                         at nowMs: UInt64) throws(AccountError) -> Account {
        try Credentials.checkUsername(username)
        try Credentials.checkPassword(password)
        let hash: String
        do { hash = try PasswordHash.hash(password, cost: cost) } catch { throw .storage(error.description) }
        do {
            return try pool.write { db throws -> Account in
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0
                let founder = count == 0
                if founder {
                    guard caller == .nodeOperator || authority == .setupLink else { throw AccountError.setupRequired }
                } else {
                    if authority == .setupLink { throw AccountError.setupDone }
                    if caller?.isFounderLevel != true { throw AccountError.registrationClosed }
                }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE username = ?", arguments: [username]) == true {
                    throw AccountError.usernameTaken(username)
                }
                try db.execute(sql: "INSERT INTO accounts (username, password_hash, founder, created_ms) VALUES (?, ?, ?, ?)",
                               arguments: [username, hash, founder, Int64(nowMs)])
                return Account(id: db.lastInsertedRowID, username: username, founder: founder, createdMs: nowMs)
            }
        } catch let e as AccountError { throw e } catch { throw .storage("\(error)") }
    }

    /// Checks a login at `nowMs`. A locked account is refused without looking at the password.
    public func login(username: String, password: String, at nowMs: UInt64) throws(AccountError) -> Account {
        try verify(password: password, where: "username = ?", username, at: nowMs)
    }

    /// Sets a new password for `id` after checking the current one (a wrong one counts toward
    /// the lockout like a failed login), and ends every session of the account.
    public func changePassword(id: Int64, current: String, new: String, at nowMs: UInt64) throws(AccountError) -> Account {
        try Credentials.checkPassword(new)
        _ = try verify(password: current, where: "id = ?", id, at: nowMs)
        let hash: String
        do { hash = try PasswordHash.hash(new, cost: cost) } catch { throw .storage(error.description) }
        do {
            try pool.write { db in
                try db.execute(sql: "UPDATE accounts SET password_hash = ?, token_version = token_version + 1 WHERE id = ?",
                               arguments: [hash, id])
            }
        } catch { throw .storage("\(error)") }
        guard let account = try account(id: id) else { throw .noSuchAccount(id) }
        return account
    }

    /// Ends every session of `id`: tokens issued before carry an older version and are refused.
    public func revokeSessions(id: Int64) throws(AccountError) {
        do {
            try pool.write { db in
                try db.execute(sql: "UPDATE accounts SET token_version = token_version + 1 WHERE id = ?", arguments: [id])
                guard db.changesCount == 1 else { throw AccountError.noSuchAccount(id) }
            }
        } catch let e as AccountError { throw e } catch { throw .storage("\(error)") }
    }

    /// Deletes account `id` with its per-team access; the founder's account is kept.
    public func delete(id: Int64) throws(AccountError) {
        do {
            try pool.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT founder FROM accounts WHERE id = ?", arguments: [id]) else {
                    throw AccountError.noSuchAccount(id)
                }
                if row["founder"] as Bool { throw AccountError.founderProtected }
                try db.execute(sql: "DELETE FROM account_access WHERE account_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM accounts WHERE id = ?", arguments: [id])
            }
        } catch let e as AccountError { throw e } catch { throw .storage("\(error)") }
    }

    /// The account with `id`, if it still exists.
    public func account(id: Int64) throws(AccountError) -> Account? {
        do { return try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]).map(Self.account) } }
        catch { throw .storage("\(error)") }
    }

    /// Every account, by ID.
    public func all() throws(AccountError) -> [Account] {
        do { return try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM accounts ORDER BY id").map(Self.account) } }
        catch { throw .storage("\(error)") }
    }

    public func count() throws(AccountError) -> Int {
        do { return try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0 } } catch { throw .storage("\(error)") }
    }

    static func account(_ row: Row) -> Account {
        Account(id: row["id"], username: row["username"], founder: row["founder"], createdMs: UInt64(row["created_ms"] as Int64),
                tokenVersion: row["token_version"])
    }

    // MARK: Checking a password

    /// The account the row matching `condition` holds, if `password` is its password: the
    /// attempt is counted first (atomically), the password checked, and a correct one clears the
    /// count. Unknown accounts cost the same Argon2id evaluation.
    private func verify(password: String, where condition: String, _ key: any DatabaseValueConvertible & Sendable,
                        at nowMs: UInt64) throws(AccountError) -> Account {
        let counted: (account: Account, hash: String, state: LoginPolicy.State)?
        do {
            counted = try pool.write { db -> (Account, String, LoginPolicy.State)? in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE \(condition)", arguments: [key]) else { return nil }
                let state = Self.state(row)
                if let wait = policy.lockRemaining(state, at: nowMs) { throw AccountError.locked(retryAfterMs: wait) }
                let next = policy.failed(state, at: nowMs)
                try Self.store(next, id: row["id"], db)
                return (Self.account(row), row["password_hash"], next)
            }
        } catch let e as AccountError { throw e } catch { throw .storage("\(error)") }
        guard let counted else {
            _ = PasswordHash.verify(password, against: decoy.value)
            throw .invalidCredentials
        }
        guard PasswordHash.verify(password, against: counted.hash) else {
            if let wait = policy.lockRemaining(counted.state, at: nowMs) { throw .locked(retryAfterMs: wait) }
            throw .invalidCredentials
        }
        do { try pool.write { db in try Self.store(policy.succeeded(), id: counted.account.id, db) } } catch { throw .storage("\(error)") }
        return counted.account
    }

    private static func state(_ row: Row) -> LoginPolicy.State {
        LoginPolicy.State(failures: row["failures"], firstFailureMs: (row["first_failure_ms"] as Int64?).map(UInt64.init),
                          lockedUntilMs: (row["locked_until_ms"] as Int64?).map(UInt64.init))
    }

    private static func store(_ state: LoginPolicy.State, id: Int64, _ db: Database) throws {
        try db.execute(sql: "UPDATE accounts SET failures = ?, first_failure_ms = ?, locked_until_ms = ? WHERE id = ?",
                       arguments: [state.failures, state.firstFailureMs.map(Int64.init), state.lockedUntilMs.map(Int64.init), id])
    }
}

/// The decoy hash, made on the first login for an unknown name rather than at start-up (an
/// Argon2id hash costs 64 MiB and a tenth of a second).
final class DecoyHash: Sendable {
    private let cost: PasswordHash.Cost
    private let hash = Mutex<String?>(nil)

    init(cost: PasswordHash.Cost) { self.cost = cost }

    var value: String {
        hash.withLock { made in
            if made == nil { made = (try? PasswordHash.hash("decoy \(Sodium.randomBytes(count: 16))", cost: cost)) ?? "" }
            return made!
        }
    }
}
