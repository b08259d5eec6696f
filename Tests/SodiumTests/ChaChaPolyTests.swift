import Testing
@testable import Sodium

/// The fast path (BoringSSL through swift-crypto) must be the very AEAD libsodium computes:
/// a node sealing with one and a peer (or a third-party Noise library) opening with the other.
@Suite struct ChaChaPolyTests {
    // RFC 8439 section 2.8.2: the AEAD example ("sunscreen").
    let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
    let nonce = hex("070000004041424344454647")
    let ad = hex("50515253c0c1c2c3c4c5c6c7")
    let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
    let rfcTag = hex("1ae10b594f09e26a7e902ecbd0600691")
    let rfcCiphertextStart = hex("d31a8d34648e60db7b86afbc53ef7ec2")

    @Test func rfc8439Example() {
        let sealed = ChaChaPoly.seal(plaintext, key: key, nonce: nonce, ad: ad)
        #expect(Array(sealed.prefix(16)) == rfcCiphertextStart)
        #expect(Array(sealed.suffix(16)) == rfcTag)
        #expect(sealed == ChaChaPoly.Libsodium.seal(plaintext, key: key, nonce: nonce, ad: ad))
        #expect(ChaChaPoly.open(sealed, key: key, nonce: nonce, ad: ad) == plaintext)
    }

    /// Seeded random keys, nonces, associated data and sizes around the edges of ChaCha20's
    /// 64-byte blocks, the switch to BoringSSL and a link's 64 KB frames: each seals what the
    /// other opens.
    @Test(arguments: [0, 1, 15, 16, 63, 64, 65, 255, 1_000, 8_191, 8_192, 8_193, 60_000, 65_518])
    func agreesWithLibsodium(size: Int) {
        var rng = TestRNG(seed: UInt64(size) &+ 11)
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let nonce = (0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let message = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let ad = size % 2 == 0 ? [] : (0..<(size % 40)).map { _ in UInt8.random(in: 0...255, using: &rng) }

        let fast = ChaChaPoly.seal(message, key: key, nonce: nonce, ad: ad)
        #expect(fast == ChaChaPoly.Libsodium.seal(message, key: key, nonce: nonce, ad: ad))
        #expect(ChaChaPoly.Libsodium.open(fast, key: key, nonce: nonce, ad: ad) == message)
        #expect(ChaChaPoly.open(ChaChaPoly.Libsodium.seal(message, key: key, nonce: nonce, ad: ad), key: key, nonce: nonce, ad: ad) == message)

        // In place: the same bytes, written over the plaintext.
        var buffer = message + [UInt8](repeating: 0xEE, count: ChaChaPoly.tagByteCount)
        buffer.withUnsafeMutableBytes { ChaChaPoly.sealInPlace($0, count: size, key: key, nonce: nonce, ad: ad) }
        #expect(buffer == fast)
    }

    @Test func anAlteredByteOrWrongContextDoesNotOpen() {
        var sealed = ChaChaPoly.seal(plaintext, key: key, nonce: nonce, ad: ad)
        #expect(ChaChaPoly.open(sealed, key: key, nonce: nonce, ad: []) == nil)
        var otherNonce = nonce
        otherNonce[11] ^= 1
        #expect(ChaChaPoly.open(sealed, key: key, nonce: otherNonce, ad: ad) == nil)
        for index in [0, 57, sealed.count - 1] {
            sealed[index] ^= 0x80
            #expect(ChaChaPoly.open(sealed, key: key, nonce: nonce, ad: ad) == nil)
            sealed[index] ^= 0x80
        }
        #expect(ChaChaPoly.open(sealed, key: key, nonce: nonce, ad: ad) == plaintext)
        #expect(ChaChaPoly.open(Array(sealed.prefix(15)), key: key, nonce: nonce) == nil)
        #expect(ChaChaPoly.open(sealed, key: [1, 2, 3], nonce: nonce) == nil)
    }
}
