import GRDB
import Sodium
import Synchronization

/// Local accounts in the node's database: registration, login with lockout.
///
/// Passwords are stored as Argon2id strings (`PasswordHash`); the first account registered is
/// the node's founder, and after it only the founder may register more. Every login attempt,
/// good or bad, costs one Argon2id evaluation, so the time taken does not tell whether a
/// username exists.
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

    /// Registers `username`. With no account yet, anyone may, and becomes the founder; after
    /// that, `by` must be founder-level (the founder, or the node's operator).
    public func register(username: String, password: String, by caller: Caller?, at nowMs: UInt64) throws(AccountError) -> Account {
        try Credentials.checkUsername(username)
        try Credentials.checkPassword(password)
        let hash: String
        do { hash = try PasswordHash.hash(password, cost: cost) } catch { throw .storage(error.description) }
        do {
            return try pool.write { db throws -> Account in
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0
                let founder = count == 0
                if !founder && caller?.isFounderLevel != true { throw AccountError.registrationClosed }
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
        let row: Row?
        do { row = try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE username = ?", arguments: [username]) } }
        catch { throw .storage("\(error)") }
        guard let row else {
            _ = PasswordHash.verify(password, against: decoy.value)
            throw .invalidCredentials
        }
        let account = Self.account(row)
        var state = LoginPolicy.State(failures: row["failures"], firstFailureMs: (row["first_failure_ms"] as Int64?).map(UInt64.init),
                                      lockedUntilMs: (row["locked_until_ms"] as Int64?).map(UInt64.init))
        if let wait = policy.lockRemaining(state, at: nowMs) { throw .locked(retryAfterMs: wait) }
        let good = PasswordHash.verify(password, against: row["password_hash"])
        state = good ? policy.succeeded() : policy.failed(state, at: nowMs)
        do {
            try pool.write { db in
                try db.execute(sql: "UPDATE accounts SET failures = ?, first_failure_ms = ?, locked_until_ms = ? WHERE id = ?",
                               arguments: [state.failures, state.firstFailureMs.map(Int64.init), state.lockedUntilMs.map(Int64.init), account.id])
            }
        } catch { throw .storage("\(error)") }
        guard good else {
            if let wait = policy.lockRemaining(state, at: nowMs) { throw .locked(retryAfterMs: wait) }
            throw .invalidCredentials
        }
        return account
    }

    /// The account with `id`, if it still exists.
    public func account(id: Int64) throws(AccountError) -> Account? {
        do { return try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]).map(Self.account) } }
        catch { throw .storage("\(error)") }
    }

    public func count() throws(AccountError) -> Int {
        do { return try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0 } } catch { throw .storage("\(error)") }
    }

    static func account(_ row: Row) -> Account {
        Account(id: row["id"], username: row["username"], founder: row["founder"], createdMs: UInt64(row["created_ms"] as Int64))
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
