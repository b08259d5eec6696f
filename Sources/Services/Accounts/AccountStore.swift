import Foundation
import GRDB
import Sodium
import Synchronization
import Wire

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
    public func register(username: String, name: String? = nil, password: String, by caller: Caller?,
                         authority: FounderAuthority = .none, at nowMs: UInt64) throws(AccountError) -> Account {
        try registerPerson(username: username, name: name, password: password, by: caller, authority: authority, at: nowMs).account
    }

    /// `register`, also returning the new person's keys in clear (for a caller that signs the
    /// person in at once, as the setup link does).
    public func registerPerson(username: String, name: String? = nil, password: String, by caller: Caller?,
                               authority: FounderAuthority = .none, at nowMs: UInt64) throws(AccountError) -> (account: Account, keys: PersonKeys) {
        try Credentials.checkUsername(username)
        let name = try Credentials.checkName(name ?? username)
        try Credentials.checkPassword(password)
        let hash: String
        do { hash = try PasswordHash.hash(password, cost: cost) } catch { throw .storage(error.description) }
        let keys = PersonKeys.generate()
        let sealed: SealedPersonKeys
        do { sealed = try keys.sealed(password: password, cost: cost) } catch { throw .personKeys(error) }
        do {
            let account = try pool.write { db throws -> Account in
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
                try db.execute(sql: "INSERT INTO accounts (username, password_hash, founder, created_ms, name) VALUES (?, ?, ?, ?, ?)",
                               arguments: [username, hash, founder, Int64(nowMs), name])
                let id = db.lastInsertedRowID
                try Self.store(sealed, id: id, db)
                return Account(id: id, username: username, founder: founder, createdMs: nowMs, name: name, person: keys.id,
                               personKey: keys.signing.publicKey.bytes)
            }
            return (account, keys)
        } catch let e as AccountError { throw e } catch { throw .storage("\(error)") }
    }

    // MARK: The person's keys

    /// The person's keys of account `id`, opened with `password` (which the caller has just
    /// checked, by a login). An account made before persons existed gets its keys now, sealed
    /// under this password: the only moment its password is at hand.
    public func unlockPerson(id: Int64, password: String) throws(AccountError) -> PersonKeys {
        if let sealed = try sealedKeys(id: id) {
            do { return try sealed.open(password: password) } catch { throw .personKeys(error) }
        }
        let keys = PersonKeys.generate()
        let sealed: SealedPersonKeys
        do { sealed = try keys.sealed(password: password, cost: cost) } catch { throw .personKeys(error) }
        do {
            return try pool.write { db throws -> PersonKeys in
                // Two first logins at once: the first to store its keys wins, the other opens them.
                if try Row.fetchOne(db, sql: "SELECT person FROM accounts WHERE id = ? AND person IS NOT NULL", arguments: [id]) != nil {
                    return try (Self.sealedKeys(db, id: id)!).open(password: password)
                }
                try Self.store(sealed, id: id, db)
                return keys
            }
        } catch let e as PersonKeyError { throw .personKeys(e) } catch let e as AccountError { throw e } catch { throw .storage("\(error)") }
    }

    /// The sealed keys of account `id`; nil when it has none yet.
    public func sealedKeys(id: Int64) throws(AccountError) -> SealedPersonKeys? {
        do { return try pool.read { db in try Self.sealedKeys(db, id: id) } } catch { throw .storage("\(error)") }
    }

    /// The account whose person is `person`, if it is on this node.
    public func account(person: NodeID) throws(AccountError) -> Account? {
        do {
            return try pool.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE person = ?", arguments: [person.description]).map(Self.account)
            }
        } catch { throw .storage("\(error)") }
    }

    static func sealedKeys(_ db: Database, id: Int64) throws -> SealedPersonKeys? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]),
              let signing = (row["person_public_key"] as Data?).flatMap({ Ed25519PublicKey(bytes: [UInt8]($0)) }),
              let box = row["box_public_key"] as Data?, let salt = row["keys_salt"] as Data?,
              let nonce = row["keys_nonce"] as Data?, let sealed = row["keys_box"] as Data?,
              let operations = row["keys_operations"] as Int64?, let memory = row["keys_memory"] as Int64?
        else { return nil }
        return SealedPersonKeys(signingPublicKey: signing, boxPublicKey: [UInt8](box), salt: [UInt8](salt), nonce: [UInt8](nonce),
                                box: [UInt8](sealed), operations: UInt64(operations), memoryBytes: Int(memory))
    }

    static func store(_ sealed: SealedPersonKeys, id: Int64, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE accounts SET person = ?, person_public_key = ?, box_public_key = ?, keys_salt = ?, keys_nonce = ?,
                keys_box = ?, keys_operations = ?, keys_memory = ? WHERE id = ?
            """, arguments: [sealed.person.description, Data(sealed.signingPublicKey.bytes), Data(sealed.boxPublicKey), Data(sealed.salt),
                             Data(sealed.nonce), Data(sealed.box), Int64(sealed.operations), Int64(sealed.memoryBytes), id])
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
        // The person's keys move to the new password in the same transaction as the hash, so
        // no state has one password for the login and the other for the keys.
        let keys = try unlockPerson(id: id, password: current)
        let resealed: SealedPersonKeys
        do { resealed = try keys.sealed(password: new, cost: cost) } catch { throw .personKeys(error) }
        do {
            try pool.write { db in
                try db.execute(sql: "UPDATE accounts SET password_hash = ?, token_version = token_version + 1 WHERE id = ?",
                               arguments: [hash, id])
                try Self.store(resealed, id: id, db)
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
                tokenVersion: row["token_version"], name: row["name"],
                person: (row["person"] as String?).flatMap { try? NodeID(parsing: $0) },
                personKey: (row["person_public_key"] as Data?).map { [UInt8]($0) })
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
