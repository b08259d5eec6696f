import Crypto
import Foundation
import Replicas
import Testing
import Wire
@testable import Services

/// Vault formats v1 and v2 against Protocol/vectors/vault.json, which a third implementation
/// (Tests/Interop/vault_vectors.py: Python's hashlib, zlib and the cryptography package) made;
/// the browser test checks the page's code against the same file. Then v2's own refusals.
@Suite struct VaultVectorTests {
    struct Vectors: Decodable {
        struct Chunk: Decodable {
            let format: Int; let file: String; let index: UInt32; let last: Bool; let method: UInt8?
            let nonce: String; let plain: String; let sealed: String; let address: String
        }
        struct Entry: Decodable { let format: Int; let nonce: String; let json: String; let sealed: String }
        struct Refusal: Decodable {
            let why: String; let of: Int; let sealed: String?; let format: Int?; let index: UInt32?; let last: Bool?; let passphrase: String?
        }
        let passphrase: String; let team: String; let rounds: Int; let chunkKey: String; let entryKey: String
        let chunks: [Chunk]; let entries: [Entry]; let refusals: [Refusal]
    }

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Protocol/vectors/vault.json")
    static let vectors = try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    static let keys = try! VaultFormat.keys(passphrase: vectors.passphrase, team: OpID(hex: vectors.team)!, rounds: vectors.rounds)

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func hex(_ key: SymmetricKey) -> String { key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() } }

    @Test func theKeysAreThoseOfTheVectors() {
        #expect(Self.hex(Self.keys.chunk) == Self.vectors.chunkKey)
        #expect(Self.hex(Self.keys.entry) == Self.vectors.entryKey)
    }

    @Test func everyVectorChunkOpensToItsPlaintextAndHasItsAddress() throws {
        #expect(Self.vectors.chunks.count >= 4)
        for c in Self.vectors.chunks {
            let format = try #require(VaultFormat.Format(rawValue: c.format))
            let sealed = Self.bytes(c.sealed)
            let plain = try VaultFormat.openChunk(sealed, file: Self.bytes(c.file), index: c.index, last: c.last, keys: Self.keys, format: format)
            #expect(plain == Self.bytes(c.plain), "chunk \(c.index) of format \(c.format)")
            #expect(VaultFormat.address(sealed).description == c.address)
        }
    }

    @Test func sealingWithTheVectorsNonceAndMethodGivesItsBytes() throws {
        for c in Self.vectors.chunks where c.format == 2 {
            let method = try #require(c.method.flatMap(VaultFormat.Compression.init(rawValue:)))
            let sealed = try VaultFormat.sealChunk(Self.bytes(c.plain), file: Self.bytes(c.file), index: c.index, last: c.last, keys: Self.keys,
                                                   format: .v2, nonce: Self.bytes(c.nonce), compression: method)
            // Stored chunks are byte for byte; deflated ones depend on the deflate encoder, so
            // those are held to opening (above) and to the same length class here.
            if method == .stored { #expect(sealed == Self.bytes(c.sealed)) } else {
                #expect(try VaultFormat.openChunk(sealed, file: Self.bytes(c.file), index: c.index, last: c.last, keys: Self.keys, format: .v2)
                        == Self.bytes(c.plain))
            }
        }
    }

    @Test func entriesOpenWithTheirFormatAndSealByteForByte() throws {
        for e in Self.vectors.entries {
            let entry = try #require(VaultFormat.openEntry(e.sealed, keys: Self.keys), "entry of format \(e.format)")
            #expect(entry.format.rawValue == e.format)
            let expected = try JSONDecoder().decode(VaultFormat.Entry.self, from: Data(e.json.utf8))
            #expect(entry.name == expected.name && entry.size == expected.size && entry.file == expected.file && entry.chunks == expected.chunks)
            #expect(try VaultFormat.sealEntry(entry, keys: Self.keys, nonce: Self.bytes(e.nonce)) == e.sealed)
        }
    }

    @Test func theVectorsRefusalsDoNotOpen() throws {
        #expect(Self.vectors.refusals.count >= 5)
        for r in Self.vectors.refusals {
            let c = Self.vectors.chunks[r.of]
            let keys = try r.passphrase.map { try VaultFormat.keys(passphrase: $0, team: OpID(hex: Self.vectors.team)!) } ?? Self.keys
            #expect(throws: VaultError.self, "\(r.why) must not open") {
                _ = try VaultFormat.openChunk(Self.bytes(r.sealed ?? c.sealed), file: Self.bytes(c.file), index: r.index ?? c.index,
                                              last: r.last ?? c.last, keys: keys, format: VaultFormat.Format(rawValue: r.format ?? c.format)!)
            }
        }
    }

    // MARK: v2's own rules

    static let team = OpID(bytes: Array(repeating: 9, count: 32))!
    static let fastKeys = try! VaultFormat.keys(passphrase: "a test passphrase", team: team, rounds: 1_000)
    static let file: [UInt8] = Array(100..<116)

    static func sealRaw(_ inner: [UInt8], format: VaultFormat.Format = .v2, index: UInt32 = 0, last: Bool = true) throws -> [UInt8] {
        Array(try AES.GCM.seal(inner, using: fastKeys.chunk, authenticating: VaultFormat.chunkAAD(format, file: file, index: index, last: last)).combined!)
    }

    @Test func writersMakeV2AndKeepIncompressibleChunksStored() throws {
        #expect(VaultFormat.current == .v2)
        let text = Array(String(repeating: "the north gate well is dry. ", count: 2_000).utf8)
        let random = (0..<60_000).map { _ in UInt8.random(in: 0...255) }
        let small = try VaultFormat.sealChunk(text, file: Self.file, index: 0, last: false, keys: Self.fastKeys)
        let noise = try VaultFormat.sealChunk(random, file: Self.file, index: 1, last: true, keys: Self.fastKeys)
        #expect(small.count < text.count / 4, "text deflates")
        #expect(noise.count == random.count + 1 + 12 + 16, "noise is stored: one method byte, nonce and tag, no growth")
        #expect(try VaultFormat.openChunk(small, file: Self.file, index: 0, last: false, keys: Self.fastKeys, format: .v2) == text)
        #expect(try VaultFormat.openChunk(noise, file: Self.file, index: 1, last: true, keys: Self.fastKeys, format: .v2) == random)
        // A full chunk of noise, the largest v2 chunk, stays far inside what the node accepts.
        let full = try VaultFormat.sealChunk((0..<VaultFormat.chunkSize).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) },
                                             file: Self.file, index: 2, last: true, keys: Self.fastKeys)
        #expect(full.count <= VaultFormat.chunkSize + 29 && full.count <= VaultFormat.maxSealedChunk)
    }

    @Test func aChunkOfOneFormatDoesNotOpenAsTheOther() throws {
        let plain = Array("format confusion".utf8)
        let v1 = try VaultFormat.sealChunk(plain, file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v1)
        let v2 = try VaultFormat.sealChunk(plain, file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2)
        #expect(try VaultFormat.openChunk(v1, file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v1) == plain)
        #expect(throws: VaultError.chunkDoesNotOpen(0)) { try VaultFormat.openChunk(v1, file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2) }
        #expect(throws: VaultError.chunkDoesNotOpen(0)) { try VaultFormat.openChunk(v2, file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v1) }
        let entry = VaultFormat.Entry(name: "old.txt", size: 3, file: "00", chunks: 1, format: .v1)
        #expect(VaultFormat.openEntry(try VaultFormat.sealEntry(entry, keys: Self.fastKeys), keys: Self.fastKeys)?.format == .v1)
    }

    @Test func aChunkThatWouldOpenPastTheChunkSizeIsRefused() throws {
        let limit = VaultFormat.chunkSize
        // A deflate bomb: a few hundred bytes that unpack to one byte more than a chunk holds.
        let bomb = Deflate.compress([UInt8](repeating: 0, count: limit + 1))
        #expect(bomb.count < 1_024)
        #expect(throws: VaultError.chunkDoesNotOpen(0)) {
            try VaultFormat.openChunk(try Self.sealRaw([1] + bomb), file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2)
        }
        #expect(throws: VaultError.chunkDoesNotOpen(0)) {
            try VaultFormat.openChunk(try Self.sealRaw([0] + [UInt8](repeating: 1, count: limit + 1)), file: Self.file, index: 0, last: true,
                                      keys: Self.fastKeys, format: .v2)
        }
        // Exactly a chunk is fine, either way.
        let exact = Deflate.compress([UInt8](repeating: 0, count: limit))
        #expect(try VaultFormat.openChunk(try Self.sealRaw([1] + exact), file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2).count == limit)
    }

    @Test func anUnknownMethodOrAnEmptySealIsAClearError() throws {
        #expect(throws: VaultError.unknownCompression(0, 7)) {
            try VaultFormat.openChunk(try Self.sealRaw([7, 1, 2, 3]), file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2)
        }
        #expect(VaultError.unknownCompression(0, 7).description.contains("update elohim"))
        #expect(throws: VaultError.chunkDoesNotOpen(0)) {
            try VaultFormat.openChunk(try Self.sealRaw([]), file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2)
        }
        // Damaged deflate inside a good seal (a writer's bug) is refused, not a crash.
        #expect(throws: VaultError.chunkDoesNotOpen(0)) {
            try VaultFormat.openChunk(try Self.sealRaw([1, 0xff, 0xff, 0xff]), file: Self.file, index: 0, last: true, keys: Self.fastKeys, format: .v2)
        }
    }
}
