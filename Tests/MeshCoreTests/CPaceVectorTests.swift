import Sodium
import Testing
import Wire
@testable import MeshCore

/// The ristretto255/SHA-512 vectors of draft-irtf-cfrg-cpace (Protocol/vectors/cpace/
/// cpace-ristretto255-sha512.md), byte for byte.
@Suite struct CPaceVectorTests {
    static func hex(_ s: String) -> [UInt8] { Hex.decode(s.filter { !$0.isWhitespace })! }

    static let prs = Array("Password".utf8)
    static let ci = hex("0b415f696e69746961746f720b425f726573706f6e646572")
    static let sid = hex("7e4b4791d6a8ef019b936c79fb7f2c57")
    static let ya = hex("da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08")
    static let yb = hex("d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d")
    static let adA = Array("ADa".utf8)
    static let adB = Array("ADb".utf8)

    @Test func generatorStringHashAndPoint() {
        let string = CPace.generatorString(password: Self.prs, channel: Self.ci, sid: Self.sid)
        #expect(string.count == 170)
        #expect(string == Self.hex("""
            11435061636552697374726574746f3235350850617373776f726464
            00000000000000000000000000000000000000000000000000000000
            00000000000000000000000000000000000000000000000000000000
            00000000000000000000000000000000000000000000000000000000
            00000000000000000000000000000000180b415f696e69746961746f
            720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
            2c57
            """))
        #expect(SHA512.hash(string) == Self.hex("""
            da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288
            b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772
            05f90851a657ee27
            """))
        #expect(CPace.generator(password: Self.prs, channel: Self.ci, sid: Self.sid)
            == Self.hex("222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56"))
    }

    @Test func sharesSecretPointAndISK() {
        let g = CPace.generator(password: Self.prs, channel: Self.ci, sid: Self.sid)
        let a = CPace.share(generator: g, scalar: Self.ya)
        let b = CPace.share(generator: g, scalar: Self.yb)
        #expect(a.point == Self.hex("d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157"))
        #expect(b.point == Self.hex("3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258"))
        let k = Self.hex("80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f")
        #expect(CPace.sharedPoint(scalar: Self.ya, peerShare: b.point) == k)
        #expect(CPace.sharedPoint(scalar: Self.yb, peerShare: a.point) == k)

        let transcript = CPace.transcript(initiator: a.point, initiatorAD: Self.adA, responder: b.point, responderAD: Self.adB)
        #expect(transcript == Self.hex("""
            20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e
            ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa
            8232b5ebe63324e2d9e7433f725803414462
            """))
        #expect(CPace.isk(sid: Self.sid, sharedPoint: k, transcript: transcript) == Self.hex("""
            b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dc
            ae7b35cd2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c
            3fa2068af7900447
            """))
        #expect(CPace.sidOutput(transcript: transcript) == Self.hex("""
            bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60
            b2a27c219813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b
            8611dcdfab880c47
            """))
    }

    @Test func scalarMultVfyValidAndInvalidPoints() {
        let s = Self.hex("7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05")
        let x = Self.hex("2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c")
        #expect(CPace.sharedPoint(scalar: s, peerShare: x)
            == Self.hex("7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e"))
        // Not a valid encoding, and the identity: both must abort.
        #expect(CPace.sharedPoint(scalar: s, peerShare: Self.hex("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c")) == nil)
        #expect(CPace.sharedPoint(scalar: s, peerShare: [UInt8](repeating: 0, count: 32)) == nil)
    }

    @Test func lengthPrefixUsesLEB128() {
        #expect(CPace.prependLength([1, 2]) == [2, 1, 2])
        let long = [UInt8](repeating: 7, count: 300)
        #expect(Array(CPace.prependLength(long).prefix(2)) == [0xAC, 0x02])
    }
}
