import Foundation
import Replicas
import Testing
@testable import Services

/// The vault's format (v2, what writers make): what opens, and everything that must not.
@Suite struct VaultFormatTests {
    static let team = OpID(bytes: Array(repeating: 7, count: 32))!
    static let keys = try! VaultFormat.keys(passphrase: "correct horse battery", team: team)
    static let file: [UInt8] = Array(0..<16)

    @Test func chunksOpenOnlyWithTheirKeyFileAndPlace() throws {
        let plain = Array("the field report, twice: the field report".utf8)
        let sealed = try VaultFormat.sealChunk(plain, file: Self.file, index: 3, last: false, keys: Self.keys)
        #expect(try VaultFormat.openChunk(sealed, file: Self.file, index: 3, last: false, keys: Self.keys, format: .v2) == plain)
        #expect(try VaultFormat.sealChunk(plain, file: Self.file, index: 3, last: false, keys: Self.keys) != sealed, "a fresh nonce each time")

        let decoy = try VaultFormat.keys(passphrase: "decoy passphrase", team: Self.team)
        let otherTeam = try VaultFormat.keys(passphrase: "correct horse battery", team: OpID(bytes: Array(repeating: 8, count: 32))!)
        var altered = sealed
        altered[altered.count / 2] ^= 1
        let attempts: [(String, () throws -> [UInt8])] = [
            ("another passphrase", { try VaultFormat.openChunk(sealed, file: Self.file, index: 3, last: false, keys: decoy, format: .v2) }),
            ("another team", { try VaultFormat.openChunk(sealed, file: Self.file, index: 3, last: false, keys: otherTeam, format: .v2) }),
            ("another position", { try VaultFormat.openChunk(sealed, file: Self.file, index: 4, last: false, keys: Self.keys, format: .v2) }),
            ("claimed to be last (truncation)", { try VaultFormat.openChunk(sealed, file: Self.file, index: 3, last: true, keys: Self.keys, format: .v2) }),
            ("another file", { try VaultFormat.openChunk(sealed, file: Array(1...16), index: 3, last: false, keys: Self.keys, format: .v2) }),
            ("one bit flipped", { try VaultFormat.openChunk(altered, file: Self.file, index: 3, last: false, keys: Self.keys, format: .v2) }),
        ]
        for (what, open) in attempts {
            #expect(throws: VaultError.self, "\(what) must not open") { _ = try open() }
        }
        #expect(VaultFormat.address(sealed) == VaultFormat.address(sealed) && VaultFormat.address(sealed) != VaultFormat.address(altered))
    }

    @Test func entriesOfAnotherPassphraseAreInvisibleNotErrors() throws {
        let entry = VaultFormat.Entry(name: "map.pdf", size: 12_345, file: "00112233445566778899aabbccddeeff", chunks: 1)
        let sealed = try VaultFormat.sealEntry(entry, keys: Self.keys)
        #expect(!sealed.contains("map"), "the name is sealed")
        #expect(VaultFormat.openEntry(sealed, keys: Self.keys) == entry)
        let decoy = try VaultFormat.keys(passphrase: "decoy passphrase", team: Self.team)
        #expect(VaultFormat.openEntry(sealed, keys: decoy) == nil)
        #expect(VaultFormat.openEntry("not base64 at all", keys: Self.keys) == nil)
    }

    @Test func theKeyIsPBKDF2WithTheRoundsOfTheFormat() throws {
        // The same passphrase and team give the same keys; fewer rounds give other keys.
        let again = try VaultFormat.keys(passphrase: "correct horse battery", team: Self.team)
        let weak = try VaultFormat.keys(passphrase: "correct horse battery", team: Self.team, rounds: 1_000)
        let sealed = try VaultFormat.sealEntry(.init(name: "n", size: 1, file: "", chunks: 0), keys: Self.keys)
        #expect(VaultFormat.openEntry(sealed, keys: again) != nil)
        #expect(VaultFormat.openEntry(sealed, keys: weak) == nil)
        #expect(VaultFormat.rounds == 600_000)
    }
}
