import Testing
@testable import Sodium

@Suite struct PasswordHashTests {
    @Test func argon2idHashesVerifyOnlyTheirPassword() throws {
        let stored = try PasswordHash.hash("correct horse", cost: .minimum)
        #expect(stored.hasPrefix("$argon2id$v=19$"))
        #expect(PasswordHash.verify("correct horse", against: stored))
        #expect(!PasswordHash.verify("correct hors", against: stored))
        #expect(!PasswordHash.verify("correct horse", against: "$argon2id$v=19$garbage"))
        #expect(try PasswordHash.hash("correct horse", cost: .minimum) != stored, "each hash has its own salt")
        #expect(throws: PasswordHashError.tooLong(1_025)) { try PasswordHash.hash(String(repeating: "x", count: 1_025)) }
    }
}
