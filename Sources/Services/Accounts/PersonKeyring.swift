import Synchronization
import Wire

/// The persons signed in on this node, with their keys in clear: the only place those keys are
/// readable. A login opens an account's keys and puts them here; signing out, ending every
/// session, deleting the account or stopping the node takes them away, and the account must
/// log in again (with its password) before the node can sign as it.
///
/// One entry per account, whatever its number of sessions: signing out of one session ends the
/// others' ability to write as the person too (they are told to sign in again), which errs on
/// the side of a lost device's session losing its powers.
public final class PersonKeyring: Sendable {
    private let keys = Mutex<[Int64: PersonKeys]>([:])

    public init() {}

    /// Keeps `keys` for `account` until it is locked again.
    public func unlock(_ account: Int64, _ keys: PersonKeys) {
        self.keys.withLock { $0[account] = keys }
    }

    /// Forgets `account`'s keys.
    public func lock(_ account: Int64) {
        _ = keys.withLock { $0.removeValue(forKey: account) }
    }

    /// `account`'s keys, when it is signed in.
    public func keys(of account: Int64) -> PersonKeys? {
        keys.withLock { $0[account] }
    }

    /// How many persons are signed in.
    public var count: Int { keys.withLock { $0.count } }
}
