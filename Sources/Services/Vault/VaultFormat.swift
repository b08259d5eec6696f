import Crypto
import CryptoExtras
import Foundation
import Replicas
import Wire

/// Vault format v1 (PROTOCOL.md section 11): what the CLI (and a browser, with Web Crypto and a
/// zstd build) does to a file before the node sees a byte.
///
/// - Key: PBKDF2-HMAC-SHA256 of the passphrase, 600,000 rounds, salt = SHA-256("elohim/vault/v1/salt"
///   || team ID), 32 bytes; then `HMAC-SHA256(key, "elohim/vault/v1/chunk")` and
///   `HMAC-SHA256(key, "elohim/vault/v1/entry")` as the chunk and entry keys. Nothing per passphrase
///   is stored: a second passphrase opens a second vault that leaves no other trace.
/// - A file is cut into plaintext chunks of `chunkSize` bytes; each is zstd-compressed and sealed with
///   AES-256-GCM under a fresh 12-byte nonce, with associated data "elohim/vault/v1" || file ID (16
///   random bytes) || chunk index (4 bytes big-endian) || 1 for the last chunk else 0; a sealed chunk is
///   nonce || ciphertext || tag, addressed by its SHA-256.
/// - The entry (name, size, file ID, chunk count) is JSON sealed the same way (associated data
///   "elohim/vault/v1/entry"), base64, and stored as the replica's blob name; the replica's size is
///   the chunk count times `chunkSize`, so it tells only how many chunks there are.
public enum VaultFormat {
    public static let version = "v1"
    public static let rounds = 600_000
    public static let chunkSize = ChunkLimits.chunkSize
    /// The largest sealed chunk: a chunk zstd cannot shrink grows by zstd's frame bound, plus nonce and tag.
    public static let maxSealedChunk = ChunkLimits.maxSealedChunk

    /// The keys of one passphrase in one team.
    public struct Keys: Sendable {
        let chunk: SymmetricKey
        let entry: SymmetricKey
    }

    /// Derives the keys (about half a second: the rounds are the point).
    public static func keys(passphrase: String, team: TeamID, rounds: Int = rounds) throws -> Keys {
        let salt = SHA256.hash(data: Array("elohim/vault/v1/salt".utf8) + team.bytes)
        let master = try KDF.Insecure.PBKDF2.deriveKey(from: Array(passphrase.utf8), salt: Array(salt), using: .sha256,
                                                        outputByteCount: 32, unsafeUncheckedRounds: rounds)
        func sub(_ label: String) -> SymmetricKey {
            SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(label.utf8), using: master)))
        }
        return Keys(chunk: sub("elohim/vault/v1/chunk"), entry: sub("elohim/vault/v1/entry"))
    }

    static func chunkAAD(file: [UInt8], index: UInt32, last: Bool) -> [UInt8] {
        Array("elohim/vault/v1".utf8) + file + withUnsafeBytes(of: index.bigEndian, Array.init) + [last ? 1 : 0]
    }

    /// Seals plaintext chunk `index` of file `file`.
    public static func sealChunk(_ plain: [UInt8], file: [UInt8], index: UInt32, last: Bool, keys: Keys) throws -> [UInt8] {
        let box = try AES.GCM.seal(Zstd.compress(plain), using: keys.chunk, authenticating: chunkAAD(file: file, index: index, last: last))
        return Array(box.combined!)
    }

    /// Opens a sealed chunk; throws when the key, the file, the position or a byte is wrong.
    public static func openChunk(_ sealed: [UInt8], file: [UInt8], index: UInt32, last: Bool, keys: Keys) throws(VaultError) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            let compressed = try AES.GCM.open(box, using: keys.chunk, authenticating: chunkAAD(file: file, index: index, last: last))
            return try Zstd.decompress(Array(compressed), maxSize: chunkSize)
        } catch { throw .chunkDoesNotOpen(index) }
    }

    public static func address(_ sealed: [UInt8]) -> BlobID { OpID(bytes: Array(SHA256.hash(data: sealed)))! }

    /// What the sealed entry holds.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var size: UInt64
        public var file: String
        public var chunks: Int
        public init(name: String, size: UInt64, file: String, chunks: Int) {
            self.name = name
            self.size = size
            self.file = file
            self.chunks = chunks
        }
    }

    public static func sealEntry(_ e: Entry, keys: Keys) throws -> String {
        let box = try AES.GCM.seal(try JSONEncoder().encode(e), using: keys.entry, authenticating: Array("elohim/vault/v1/entry".utf8))
        return box.combined!.base64EncodedString()
    }

    /// The entry, or nil when it was sealed under another passphrase (another vault) or is not v1.
    public static func openEntry(_ text: String, keys: Keys) -> Entry? {
        guard let data = Data(base64Encoded: text), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: keys.entry, authenticating: Array("elohim/vault/v1/entry".utf8)) else { return nil }
        return try? JSONDecoder().decode(Entry.self, from: plain)
    }
}

public enum VaultError: Error, Equatable, CustomStringConvertible {
    case chunkDoesNotOpen(UInt32)
    case notFound(String)
    case io(String)

    public var description: String {
        switch self {
        case let .chunkDoesNotOpen(i): "chunk \(i) does not open: a wrong passphrase, or the stored bytes were altered"
        case let .notFound(what): "\(what) is not in this vault (under this passphrase): check the name with `elohim vault ls`"
        case let .io(why): why
        }
    }
}
