import Testing
@testable import Sodium

@Suite struct Ed25519Tests {
    // RFC 8032 section 7.1, TEST 1: the empty message under a fixed secret key.
    let rfcSeed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    let rfcPublic = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    let rfcSignature = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

    @Test func rfc8032Vector() {
        let pair = Ed25519KeyPair(seed: rfcSeed)!
        #expect(pair.publicKey.bytes == rfcPublic)
        #expect(pair.sign([UInt8]()) == rfcSignature)
        #expect(pair.publicKey.isValidSignature(rfcSignature, for: [UInt8]()))
    }

    @Test func rejectsAlteredMessageAndSignature() {
        let pair = Ed25519KeyPair.generate()
        let message: [UInt8] = Array("claim item 7".utf8)
        var signature = pair.sign(message)
        #expect(pair.publicKey.isValidSignature(signature, for: message))
        #expect(!pair.publicKey.isValidSignature(signature, for: Array("claim item 8".utf8)))
        signature[0] ^= 1
        #expect(!pair.publicKey.isValidSignature(signature, for: message))
        #expect(!pair.publicKey.isValidSignature([1, 2, 3], for: message))
    }

    @Test func wrongLengthsAreRefused() {
        #expect(Ed25519KeyPair(seed: [0, 1, 2]) == nil)
        #expect(Ed25519PublicKey(bytes: [UInt8](repeating: 0, count: 31)) == nil)
    }

    @Test func seededGenerationIsReproducible() {
        var a = TestRNG(seed: 42), b = TestRNG(seed: 42)
        #expect(Ed25519KeyPair.generate(using: &a).publicKey == Ed25519KeyPair.generate(using: &b).publicKey)
    }
}

@Suite struct BLAKE2bTests {
    // RFC 7693 appendix A: BLAKE2b-512("abc").
    @Test func rfc7693Vector() {
        let expected = hex("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        #expect(BLAKE2b.hash(Array("abc".utf8), outputLength: 64) == expected)
    }

    @Test func incrementalEqualsOneShot() {
        let h = BLAKE2b(outputLength: 20)
        h.update(Array("ab".utf8))
        h.update(Array("c".utf8))
        #expect(h.finalize() == BLAKE2b.hash(Array("abc".utf8), outputLength: 20))
        #expect(BLAKE2b.hash(Array("abc".utf8), outputLength: 20) != Array(BLAKE2b.hash(Array("abc".utf8), outputLength: 32).prefix(20)))
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

/// SplitMix64: a tiny seeded generator for reproducible tests.
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
