import Crypto
import CryptoExtras
import Foundation
import Replicas
import Wire

/// The vault's formats (PROTOCOL.md section 11): what a client (the CLI, the web page) does to a
/// file before the node sees a byte. Writers make v2; readers open v1 and v2.
///
/// - Key (both formats): PBKDF2-HMAC-SHA256 of the passphrase, 600,000 rounds, salt =
///   SHA-256("elohim/vault/v1/salt" || team ID), 32 bytes; then `HMAC-SHA256(key,
///   "elohim/vault/v1/chunk")` and `HMAC-SHA256(key, "elohim/vault/v1/entry")` as the chunk and entry
///   keys. Nothing per passphrase is stored: a second passphrase opens a second vault that leaves no
///   other trace. One passphrase opens its v1 and v2 files alike.
/// - A file is cut into plaintext chunks of `chunkSize` bytes, each sealed with AES-256-GCM under a
///   fresh 12-byte nonce, with associated data "elohim/vault/vN" || file ID (16 random bytes) || chunk
///   index (4 bytes big-endian) || 1 for the last chunk else 0; a sealed chunk is nonce || ciphertext
///   || tag, addressed by its SHA-256. What is sealed: v1, the chunk zstd-compressed; v2, one method
///   byte (0 stored, 1 raw deflate) then the chunk in that method, so a browser, which ships deflate
///   and not zstd, can write and read it.
/// - The entry (name, size, file ID, chunk count) is JSON sealed under the entry key with associated
///   data "elohim/vault/vN/entry", base64, stored as the replica's blob name; which associated data
///   opens it tells the file's format. The replica's size is the chunk count times `chunkSize`.
public enum VaultFormat {
    /// A format of the vault; the associated data of every chunk and entry names it, so a chunk
    /// cannot be read as the other format's.
    public enum Format: Int, Sendable, Equatable, CustomStringConvertible {
        /// zstd inside every chunk (the first format; read everywhere zstd is, written no more).
        case v1 = 1
        /// A method byte inside every chunk: stored or raw deflate.
        case v2 = 2

        public var description: String { "v\(rawValue)" }
        var chunkLabel: [UInt8] { Array("elohim/vault/v\(rawValue)".utf8) }
        var entryLabel: [UInt8] { Array("elohim/vault/v\(rawValue)/entry".utf8) }
    }

    /// How a v2 chunk's plaintext is held inside its seal (the byte before it).
    public enum Compression: UInt8, Sendable {
        case stored = 0
        /// RFC 1951 raw deflate, as `CompressionStream("deflate-raw")` makes it.
        case deflate = 1
    }

    /// What writers make.
    public static let current = Format.v2
    public static let rounds = 600_000
    public static let chunkSize = ChunkLimits.chunkSize
    /// The largest sealed chunk the node takes (v1's bound, the larger: a chunk zstd cannot shrink
    /// grows by zstd's frame bound, plus nonce and tag). A v2 chunk is at most chunkSize + 29 bytes.
    public static let maxSealedChunk = ChunkLimits.maxSealedChunk
    static let nonceBytes = 12

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

    static func chunkAAD(_ format: Format, file: [UInt8], index: UInt32, last: Bool) -> [UInt8] {
        format.chunkLabel + file + withUnsafeBytes(of: index.bigEndian, Array.init) + [last ? 1 : 0]
    }

    /// Seals plaintext chunk `index` of file `file` (at most `chunkSize` bytes) in `format`.
    /// v2 deflates the chunk and keeps it stored when deflate does not make it smaller.
    public static func sealChunk(_ plain: [UInt8], file: [UInt8], index: UInt32, last: Bool, keys: Keys,
                                 format: Format = current) throws -> [UInt8] {
        try sealChunk(plain, file: file, index: index, last: last, keys: keys, format: format, nonce: nil, compression: nil)
    }

    /// The same with a chosen nonce and v2 method, for test vectors; nil picks a random nonce and the smaller method.
    static func sealChunk(_ plain: [UInt8], file: [UInt8], index: UInt32, last: Bool, keys: Keys, format: Format,
                          nonce: [UInt8]?, compression: Compression?) throws -> [UInt8] {
        precondition(plain.count <= chunkSize, "a vault chunk holds at most \(chunkSize) bytes")
        let inner: [UInt8]
        switch format {
        case .v1:
            inner = Zstd.compress(plain)
        case .v2:
            let deflated = compression == .stored ? [] : Deflate.compress(plain)
            let useDeflate = compression == .deflate || (compression == nil && deflated.count < plain.count)
            inner = useDeflate ? [Compression.deflate.rawValue] + deflated : [Compression.stored.rawValue] + plain
        }
        let box = try AES.GCM.seal(inner, using: keys.chunk, nonce: try nonce.map { try AES.GCM.Nonce(data: $0) } ?? AES.GCM.Nonce(),
                                   authenticating: chunkAAD(format, file: file, index: index, last: last))
        return Array(box.combined!)
    }

    /// Opens a sealed chunk of a `format` file; throws when the key, the file, the position or a
    /// byte is wrong, or when it would open to more than `chunkSize` bytes.
    public static func openChunk(_ sealed: [UInt8], file: [UInt8], index: UInt32, last: Bool, keys: Keys,
                                 format: Format) throws(VaultError) -> [UInt8] {
        let inner: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            inner = Array(try AES.GCM.open(box, using: keys.chunk, authenticating: chunkAAD(format, file: file, index: index, last: last)))
        } catch { throw .chunkDoesNotOpen(index) }
        switch format {
        case .v1:
            do { return try Zstd.decompress(inner, maxSize: chunkSize) } catch { throw .chunkDoesNotOpen(index) }
        case .v2:
            guard let method = inner.first else { throw .chunkDoesNotOpen(index) }
            let body = Array(inner.dropFirst())
            switch Compression(rawValue: method) {
            case .stored:
                guard body.count <= chunkSize else { throw .chunkDoesNotOpen(index) }
                return body
            case .deflate:
                do { return try Deflate.decompress(body, maxSize: chunkSize) } catch { throw .chunkDoesNotOpen(index) }
            case nil:
                throw .unknownCompression(index, method)
            }
        }
    }

    public static func address(_ sealed: [UInt8]) -> BlobID { OpID(bytes: Array(SHA256.hash(data: sealed)))! }

    /// What the sealed entry holds. `format` is not in the JSON: the entry's associated data
    /// says it, and the entry's chunks are in that format.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var size: UInt64
        public var file: String
        public var chunks: Int
        public var format: Format

        enum CodingKeys: String, CodingKey { case name, size, file, chunks }

        public init(name: String, size: UInt64, file: String, chunks: Int, format: Format = current) {
            self.name = name
            self.size = size
            self.file = file
            self.chunks = chunks
            self.format = format
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(name: try c.decode(String.self, forKey: .name), size: try c.decode(UInt64.self, forKey: .size),
                      file: try c.decode(String.self, forKey: .file), chunks: try c.decode(Int.self, forKey: .chunks), format: .v1)
        }
    }

    /// The entry sealed in its format, base64.
    public static func sealEntry(_ e: Entry, keys: Keys) throws -> String {
        try sealEntry(e, keys: keys, nonce: nil)
    }

    static func sealEntry(_ e: Entry, keys: Keys, nonce: [UInt8]?) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let box = try AES.GCM.seal(try encoder.encode(e), using: keys.entry, nonce: try nonce.map { try AES.GCM.Nonce(data: $0) } ?? AES.GCM.Nonce(),
                                   authenticating: e.format.entryLabel)
        return box.combined!.base64EncodedString()
    }

    /// The entry with its format, or nil when it was sealed under another passphrase (another
    /// vault) or in no format this version reads.
    public static func openEntry(_ text: String, keys: Keys) -> Entry? {
        guard let data = Data(base64Encoded: text), let box = try? AES.GCM.SealedBox(combined: data) else { return nil }
        for format in [Format.v2, .v1] {
            if let plain = try? AES.GCM.open(box, using: keys.entry, authenticating: format.entryLabel),
               var entry = try? JSONDecoder().decode(Entry.self, from: plain) {
                entry.format = format
                return entry
            }
        }
        return nil
    }
}

public enum VaultError: Error, Equatable, CustomStringConvertible {
    case chunkDoesNotOpen(UInt32)
    case unknownCompression(UInt32, UInt8)
    case notFound(String)
    case io(String)

    public var description: String {
        switch self {
        case let .chunkDoesNotOpen(i): "chunk \(i) does not open: a wrong passphrase, or the stored bytes were altered"
        case let .unknownCompression(i, m):
            "chunk \(i) is compressed with method \(m), which this version of elohim does not know: update elohim to open it"
        case let .notFound(what): "\(what) is not in this vault (under this passphrase): check the name with `elohim vault ls`"
        case let .io(why): why
        }
    }
}
