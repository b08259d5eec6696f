import Sodium
import Wire
@testable import Replicas

/// A key pair per small number, so authors are stable across runs.
func keys(_ n: UInt8) -> Ed25519KeyPair { Ed25519KeyPair(seed: [UInt8](repeating: n, count: 32))! }

/// SplitMix64 for seeded property tests.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A team with a founder and authors for tests: writes ops with explicit wall times.
struct TeamFixture {
    var authors: [OpAuthor]
    var replica: TeamReplica
    var genesis: SignedOp

    /// Author 0 creates the team; authors 1... are added with `roles`.
    init(roles: [Role] = [.admin, .member, .guest], wallMs: UInt64 = 1_000, nonce: [UInt8] = [1, 2, 3]) {
        var founder = OpAuthor(keyPair: keys(1))
        genesis = founder.createTeam(name: "field team", nonce: nonce, wallMs: wallMs)
        replica = try! TeamReplica(genesis: genesis)
        authors = [founder]
        for (i, role) in roles.enumerated() {
            let author = OpAuthor(keyPair: keys(UInt8(i + 2)))
            authors.append(author)
            _ = write(0, .addMember(publicKey: author.keyPair.publicKey, role: role, invite: nil), at: wallMs + UInt64(i) + 1)
        }
    }

    /// Author `a` writes `op` at `wallMs` and the replica takes it in.
    @discardableResult
    mutating func write(_ a: Int, _ op: TeamOperation, at wallMs: UInt64) -> (SignedOp, RuleOutcome?) {
        let signed = authors[a].write(op, in: replica, wallMs: wallMs)
        let report = replica.ingest([signed])
        return (signed, report.outcomes[signed.id])
    }

    func id(_ a: Int) -> NodeID { authors[a].id }
}
