import CSodium

/// Password storage with Argon2id (libsodium's `crypto_pwhash_str`, algorithm Argon2id v1.3).
///
/// The stored string is self-describing (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`): it carries
/// its own salt and cost, so costs can rise later without breaking old hashes. A password is
/// never kept or logged in clear; callers pass it in and drop it.
public enum PasswordHash {
    /// Cost of a hash: libsodium's "interactive" limits (64 MiB, 2 passes), about 0.1 s on
    /// this kind of machine, as a login answered by a person can afford.
    public struct Cost: Sendable {
        public var operations: UInt64
        public var memoryBytes: Int
        public init(operations: UInt64, memoryBytes: Int) {
            self.operations = operations
            self.memoryBytes = memoryBytes
        }
        public static let interactive = Cost(operations: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE),
                                             memoryBytes: Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))
        /// The smallest cost libsodium accepts, for tests only.
        public static let minimum = Cost(operations: UInt64(crypto_pwhash_OPSLIMIT_MIN), memoryBytes: Int(crypto_pwhash_MEMLIMIT_MIN))
        /// libsodium's "moderate" limits (256 MiB, 3 passes), about a second: for keys that guard
        /// a whole backup and are derived once.
        public static let moderate = Cost(operations: UInt64(crypto_pwhash_OPSLIMIT_MODERATE),
                                          memoryBytes: Int(crypto_pwhash_MEMLIMIT_MODERATE))
    }

    /// The longest password accepted, in bytes (longer input is refused, not truncated).
    public static let maxPasswordBytes = 1_024

    /// The storable hash of `password`. Throws when hashing cannot get its memory.
    public static func hash(_ password: String, cost: Cost = .interactive) throws(PasswordHashError) -> String {
        Sodium.ready()
        let bytes = Array(password.utf8)
        guard bytes.count <= maxPasswordBytes else { throw .tooLong(bytes.count) }
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let text = cString(bytes)
        let rc = text.withUnsafeBufferPointer { c in
            crypto_pwhash_str_alg(&out, c.baseAddress!, UInt64(bytes.count), cost.operations, cost.memoryBytes,
                                  crypto_pwhash_ALG_ARGON2ID13)
        }
        guard rc == 0 else { throw .outOfMemory }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `stored` (in constant time for a given hash). A malformed
    /// stored string never matches.
    public static func verify(_ password: String, against stored: String) -> Bool {
        Sodium.ready()
        let bytes = Array(password.utf8)
        guard bytes.count <= maxPasswordBytes, stored.utf8.count < Int(crypto_pwhash_STRBYTES) else { return false }
        let text = cString(bytes)
        return text.withUnsafeBufferPointer { c in crypto_pwhash_str_verify(stored, c.baseAddress!, UInt64(bytes.count)) == 0 }
    }

    /// The bytes with a terminating zero, so even an empty password has an address.
    private static func cString(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }
}

public enum PasswordHashError: Error, Equatable, CustomStringConvertible {
    case tooLong(Int)
    case outOfMemory
    case badSalt(Int)

    public var description: String {
        switch self {
        case let .tooLong(n): "the password is \(n) bytes long; at most \(PasswordHash.maxPasswordBytes) are accepted"
        case .outOfMemory: "the password could not be hashed: not enough memory for Argon2id"
        case let .badSalt(n): "a key derivation needs a \(PasswordHash.saltBytes)-byte salt; got \(n) bytes"
        }
    }
}
