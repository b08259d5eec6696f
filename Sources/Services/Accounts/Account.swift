import Foundation
import Replicas
import Wire

/// A local user of one node, and the person they are (PROTOCOL.md section 13): a display name
/// and keys of their own, with which they sign what they write in teams where they are members.
/// The first account made on a node is its founder.
public struct Account: Sendable, Equatable {
    public var id: Int64
    public var username: String
    /// What others see: the display name, or the username when none was given.
    public var name: String
    /// The person's ID (of their signing key); nil for an account made before persons existed,
    /// until its next login makes its keys.
    public var person: NodeID?
    /// The person's Ed25519 public key (what another node needs to add them to a team).
    public var personKey: [UInt8]?
    public var founder: Bool
    public var createdMs: UInt64
    /// Tokens carry the version they were issued at; bumping it (a new password, "sign out
    /// everywhere") ends every session at once.
    public var tokenVersion: Int64

    public init(id: Int64, username: String, founder: Bool, createdMs: UInt64, tokenVersion: Int64 = 0, name: String? = nil,
                person: NodeID? = nil, personKey: [UInt8]? = nil) {
        self.id = id
        self.username = username
        self.name = name ?? username
        self.person = person
        self.personKey = personKey
        self.founder = founder
        self.createdMs = createdMs
        self.tokenVersion = tokenVersion
    }
}

/// Rules for usernames and passwords, checked before anything is stored.
public enum Credentials {
    public static let usernameLength = 3...32
    public static let passwordLength = 10...1_024

    /// Letters, digits, `.`, `_` and `-`; 3 to 32 characters.
    public static func checkUsername(_ name: String) throws(AccountError) {
        guard usernameLength.contains(name.count),
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSetASCII.isAlnum($0) || "._-".unicodeScalars.contains($0)) })
        else { throw .badUsername(name) }
    }

    /// A display name: after trimming, what the team's ops accept (`OpValidator.personName`:
    /// it is shown on every member's screen and written into the team's log).
    public static let nameBytes = 1...OpLimits.personNameBytes

    /// The name trimmed, or the reason it is refused.
    public static func checkName(_ name: String) throws(AccountError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        do { try OpValidator.personName(trimmed) } catch { throw .badName }
        return trimmed
    }

    /// At least 10 characters (a passphrase is better than a clever password), at most 1,024 bytes.
    public static func checkPassword(_ password: String) throws(AccountError) {
        guard password.count >= passwordLength.lowerBound else { throw .weakPassword }
        guard password.utf8.count <= passwordLength.upperBound else { throw .passwordTooLong }
    }
}

enum CharacterSetASCII {
    static func isAlnum(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }
}

/// Why an account operation failed, with what the user should do.
public enum AccountError: Error, Equatable, CustomStringConvertible {
    case badUsername(String)
    case badName
    case weakPassword
    case passwordTooLong
    case usernameTaken(String)
    /// Registration after the first account needs the founder.
    case registrationClosed
    /// The first account (the founder) is made only with the operator token or the setup link.
    case setupRequired
    /// The founder exists already: the setup link is spent.
    case setupDone
    /// Not the setup link of this start (it changes at every start until a founder exists).
    case setupLinkInvalid
    case noSuchAccount(Int64)
    /// The founder account cannot be deleted (it would leave the node without one).
    case founderProtected
    case invalidCredentials
    /// Too many failed logins: try again after `retryAfterMs`.
    case locked(retryAfterMs: UInt64)
    /// The person's stored keys could not be opened or made.
    case personKeys(PersonKeyError)
    case storage(String)

    public var description: String {
        switch self {
        case let .badUsername(name):
            "username '\(name)' is not allowed: use 3 to 32 letters, digits, '.', '_' or '-'"
        case .badName: "the display name must be 1 to \(Credentials.nameBytes.upperBound) bytes of text, without control characters"
        case .weakPassword: "the password is too short: use at least \(Credentials.passwordLength.lowerBound) characters (a passphrase works well)"
        case .passwordTooLong: "the password is longer than \(Credentials.passwordLength.upperBound) bytes"
        case let .usernameTaken(name): "username '\(name)' is taken on this node: pick another"
        case .registrationClosed: "this node has a founder already: only the founder can create more accounts (log in as the founder)"
        case .setupRequired:
            "this node has no founder yet: open the setup link `elohim node run` printed, or run `elohim account create --founder` on the node's machine"
        case .setupDone: "this node has a founder already: sign in instead"
        case .setupLinkInvalid:
            "this setup link is not valid: use the one the node printed at its latest start (`elohim node run` prints a new one each start)"
        case let .noSuchAccount(id): "no account \(id) on this node"
        case .founderProtected: "the founder's account cannot be deleted"
        case .invalidCredentials: "wrong username or password"
        case let .locked(ms):
            "too many failed logins: this account is locked for \((ms + 59_999) / 60_000) more minute(s)"
        case let .personKeys(e): "the account's person keys: \(e)"
        case let .storage(why): "the account store failed: \(why)"
        }
    }
}
