import Foundation
import Sodium
import Testing
import Wire
@testable import MeshNode

@Suite struct IdentityFileTests {
    @Test func createsOnceWithMode0600AndReusesAfterwards() throws {
        let folder = TemporaryFolder()
        let url = folder.file(IdentityFile.fileName)
        let (first, created) = try IdentityFile.loadOrCreate(at: url)
        #expect(created)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let (second, createdAgain) = try IdentityFile.loadOrCreate(at: url)
        #expect(!createdAgain)
        #expect(second.publicKey == first.publicKey)
        #expect(second.seed == first.seed)
    }

    @Test func corruptFileStopsWithItsName() throws {
        let folder = TemporaryFolder()
        let url = folder.file(IdentityFile.fileName)
        _ = try IdentityFile.loadOrCreate(at: url)
        // Flip one hex digit of the seed: the public key no longer follows from it.
        var text = try String(contentsOf: url, encoding: .utf8)
        let seedLine = text.range(of: "seed: ")!
        let digit = text.index(seedLine.upperBound, offsetBy: 5)
        text.replaceSubrange(digit...digit, with: text[digit] == "a" ? "b" : "a")
        try text.write(to: url, atomically: false, encoding: .utf8)
        let expected = IdentityError.corrupt(url.path, reason: "'public-key' does not match the seed")
        #expect(throws: expected) { try IdentityFile.loadOrCreate(at: url) }
        #expect(expected.description.contains(url.path))
        // Truncated and binary files are refused too, never replaced by a new identity.
        try Data([0xFF, 0xFE, 0x00]).write(to: url)
        #expect(throws: IdentityError.self) { try IdentityFile.loadOrCreate(at: url) }
        try "version: 1\nseed: 00\n".write(to: url, atomically: false, encoding: .utf8)
        #expect(throws: IdentityError.corrupt(url.path, reason: "'seed' is not 64 hex digits")) {
            try IdentityFile.loadOrCreate(at: url)
        }
    }

    @Test func fileReadableByOthersIsRefused() throws {
        let folder = TemporaryFolder()
        let url = folder.file(IdentityFile.fileName)
        _ = try IdentityFile.loadOrCreate(at: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: url.path)
        #expect(throws: IdentityError.readableByOthers(url.path, mode: 0o644)) { try IdentityFile.load(at: url) }
        #expect(IdentityError.readableByOthers(url.path, mode: 0o644).description.contains("chmod 600"))
    }
}
