import Foundation
import GRDB
import MeshNode
import Sodium
import Testing
import Wire
@testable import Services

/// A person's keys (PROTOCOL.md section 13): sealed under the password on disk, opened only by
/// that password, moved to a new password with it, made at the first login of an older account.
@Suite struct PersonKeysTests {
    /// The cheapest Argon2id cost: these tests check the sealing, not the cost.
    static let cost = PasswordHash.Cost.minimum

    @Test func sealedKeysOpenOnlyWithTheirPassword() throws {
        let keys = PersonKeys.generate()
        let sealed = try keys.sealed(password: "correct horse battery", cost: Self.cost)
        #expect(sealed.person == keys.id)
        let opened = try sealed.open(password: "correct horse battery")
        #expect(opened.id == keys.id && opened.boxPublicKey == keys.boxPublicKey && opened.secret == keys.secret)
        #expect(throws: PersonKeyError.wrongPassword) { try sealed.open(password: "correct horse batterY") }
        #expect(!sealed.box.contains(subsequence: keys.signing.seed), "the seed is not stored in clear")
    }

    @Test func alteredSealedKeysAreRefused() throws {
        let keys = PersonKeys.generate()
        let sealed = try keys.sealed(password: "correct horse battery", cost: Self.cost)
        var flipped = sealed
        flipped.box[5] ^= 1
        #expect(throws: PersonKeyError.wrongPassword) { try flipped.open(password: "correct horse battery") }
        // Someone else's public key beside these sealed keys: the associated data no longer matches.
        var swapped = sealed
        swapped.signingPublicKey = PersonKeys.generate().signing.publicKey
        #expect(throws: PersonKeyError.wrongPassword) { try swapped.open(password: "correct horse battery") }
        var otherBox = sealed
        otherBox.boxPublicKey = PersonKeys.generate().boxPublicKey
        #expect(throws: PersonKeyError.wrongPassword) { try otherBox.open(password: "correct horse battery") }
        var salted = sealed
        salted.salt[0] ^= 1
        #expect(throws: PersonKeyError.wrongPassword) { try salted.open(password: "correct horse battery") }
    }

    @Test func aRegisteredAccountIsAPersonWhoseKeysItsPasswordOpens() throws {
        try Self.withStore { store, _ in
            let founder = try store.register(username: "amara", name: "  Amara Okafor ", password: "long enough pass",
                                             by: nil, authority: .setupLink, at: 1_000)
            #expect(founder.name == "Amara Okafor", "the name is trimmed")
            let person = try #require(founder.person)
            let sealed = try #require(try store.sealedKeys(id: founder.id))
            #expect(sealed.person == person)
            #expect(try store.unlockPerson(id: founder.id, password: "long enough pass").id == person)
            #expect(throws: AccountError.personKeys(.wrongPassword)) {
                try store.unlockPerson(id: founder.id, password: "not the password")
            }
            #expect(try store.account(person: person)?.id == founder.id)
            let plain = try store.register(username: "ben_01", password: "long enough pass", by: .account(founder), at: 2_000)
            #expect(plain.name == "ben_01", "without a display name, the username is shown")
            #expect(plain.person != nil && plain.person != person, "every account is a person of its own")
        }
    }

    @Test func displayNamesAreCheckedBeforeAnythingIsStored() throws {
        try Self.withStore { store, _ in
            for bad in ["", "   ", String(repeating: "é", count: 33), "Eve\u{202E}gnp.exe", "tab\tin", "zero\u{200B}width"] {
                #expect(throws: AccountError.badName) {
                    try store.register(username: "eve", name: bad, password: "long enough pass", by: nil, authority: .setupLink, at: 1)
                }
            }
            #expect(try store.count() == 0, "a refused registration leaves no account behind")
            let ok = try store.register(username: "eve", name: String(repeating: "é", count: 32), password: "long enough pass",
                                        by: nil, authority: .setupLink, at: 1)
            #expect(ok.name.utf8.count == 64, "64 bytes is the limit, inclusive")
        }
    }

    /// An account made before persons existed has no keys; its first login makes them, sealed
    /// under the password just checked, and later logins open the same keys.
    @Test func anOlderAccountBecomesAPersonAtItsNextLogin() throws {
        try Self.withStore { store, db in
            let hash = try PasswordHash.hash("long enough pass", cost: Self.cost)
            try db.pool.write { db in
                try db.execute(sql: "INSERT INTO accounts (username, password_hash, founder, created_ms) VALUES ('old', ?, 1, 5)",
                               arguments: [hash])
            }
            let before = try store.login(username: "old", password: "long enough pass", at: 10)
            #expect(before.person == nil && before.name == "old")
            #expect(try store.sealedKeys(id: before.id) == nil)
            let first = try store.unlockPerson(id: before.id, password: "long enough pass")
            let after = try #require(try store.account(id: before.id))
            #expect(after.person == first.id)
            #expect(try store.unlockPerson(id: before.id, password: "long enough pass").id == first.id, "made once, then opened")
        }
    }

    @Test func aNewPasswordResealsTheSameKeysAndRetiresTheOld() throws {
        try Self.withStore { store, _ in
            let a = try store.register(username: "amara", password: "first password", by: nil, authority: .setupLink, at: 1)
            let changed = try store.changePassword(id: a.id, current: "first password", new: "second password", at: 2)
            #expect(changed.person == a.person && changed.tokenVersion == a.tokenVersion + 1)
            #expect(try store.unlockPerson(id: a.id, password: "second password").id == a.person)
            #expect(throws: AccountError.personKeys(.wrongPassword)) { try store.unlockPerson(id: a.id, password: "first password") }
            #expect(throws: AccountError.invalidCredentials) {
                try store.changePassword(id: a.id, current: "first password", new: "third password", at: 3)
            }
            #expect(try store.unlockPerson(id: a.id, password: "second password").id == a.person, "a refused change moves nothing")
        }
    }

    @Test func theKeyringForgetsOnLock() {
        let ring = PersonKeyring()
        let keys = PersonKeys.generate()
        ring.unlock(7, keys)
        #expect(ring.keys(of: 7)?.id == keys.id && ring.count == 1)
        ring.lock(7)
        #expect(ring.keys(of: 7) == nil && ring.count == 0)
        ring.lock(7)
    }

    static func withStore(_ body: (AccountStore, NodeDatabase) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-persons-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = try NodeDatabase(path: folder.appendingPathComponent(NodeDatabase.fileName).path)
        try body(AccountStore(pool: db.pool, cost: cost), db)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence s: [UInt8]) -> Bool {
        guard !s.isEmpty, s.count <= count else { return false }
        return (0...(count - s.count)).contains { Array(self[$0..<($0 + s.count)]) == s }
    }
}
