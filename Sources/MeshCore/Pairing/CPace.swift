import Sodium

/// CPace over ristretto255 with SHA-512: the balanced PAKE of draft-irtf-cfrg-cpace
/// (../shared/vectors/cpace), in its initiator-responder form, with the explicit key
/// confirmation of the draft's section "Key confirmation".
///
/// Two parties who share a low-entropy password (PRS) each send one point; both derive the
/// same intermediate session key (ISK) only when their passwords, channel identifier (CI) and
/// session ID (sid) match. An eavesdropper, or an active party that guesses wrong, learns
/// nothing it could test further guesses against offline: each online attempt tests one guess.
///
/// Pure functions; the scalar comes from the caller's generator.
public enum CPace {
    /// Domain separation of the generator, for this group (the draft's G.DSI).
    public static let dsi = Array("CPaceRistretto255".utf8)
    /// Domain separation of the ISK (G.DSI_ISK).
    public static let dsiISK = Array("CPaceRistretto255_ISK".utf8)
    /// SHA-512's input block size (H.s_in_bytes), which fixes the zero padding.
    static let hashBlockBytes = 128

    /// A party's secret scalar and public share for one run.
    public struct Share: Sendable {
        public var scalar: [UInt8]
        public var point: [UInt8]
    }

    /// `prepend_len`: the LEB128 length of `bytes`, then `bytes`.
    public static func prependLength(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var n = bytes.count
        repeat {
            var b = UInt8(n & 0x7f)
            n >>= 7
            if n > 0 { b |= 0x80 }
            out.append(b)
        } while n > 0
        return out + bytes
    }

    /// `lv_cat`: each input with its length prepended, concatenated.
    public static func lengthValueConcat(_ parts: [UInt8]...) -> [UInt8] {
        parts.flatMap(prependLength)
    }

    /// The string hashed into the generator; zero padding keeps the password inside the
    /// first hash block.
    public static func generatorString(password: [UInt8], channel: [UInt8], sid: [UInt8]) -> [UInt8] {
        let pad = max(0, hashBlockBytes - 1 - prependLength(password).count - prependLength(dsi).count)
        return lengthValueConcat(dsi, password, [UInt8](repeating: 0, count: pad), channel, sid)
    }

    /// The password-derived generator g.
    public static func generator(password: [UInt8], channel: [UInt8], sid: [UInt8]) -> [UInt8] {
        Ristretto255.fromHash(SHA512.hash(generatorString(password: password, channel: channel, sid: sid)))
    }

    /// A fresh share: a uniform scalar y and Y = y·g.
    public static func share<R: RandomNumberGenerator>(generator g: [UInt8], using rng: inout R) -> Share {
        var wide = [UInt8](repeating: 0, count: Ristretto255.wideScalarByteCount)
        for i in wide.indices { wide[i] = UInt8.random(in: 0...255, using: &rng) }
        let scalar = Ristretto255.reduce(wide)
        return share(generator: g, scalar: scalar)
    }

    /// The share of a given scalar (for the published vectors).
    public static func share(generator g: [UInt8], scalar: [UInt8]) -> Share {
        // g comes from the one-way map, so it is never the identity, and a reduced nonzero
        // scalar keeps the product away from it; a zero scalar has probability 2^-252.
        Share(scalar: scalar, point: Ristretto255.multiply(scalar: scalar, point: g) ?? [])
    }

    /// `scalar_mult_vfy`: the shared point K, or nil (abort) when the peer's share is not a
    /// valid encoding or yields the identity.
    public static func sharedPoint(scalar: [UInt8], peerShare: [UInt8]) -> [UInt8]? {
        Ristretto255.multiply(scalar: scalar, point: peerShare)
    }

    /// `transcript_ir`: the initiator's share and associated data, then the responder's.
    public static func transcript(initiator: [UInt8], initiatorAD: [UInt8], responder: [UInt8], responderAD: [UInt8]) -> [UInt8] {
        lengthValueConcat(initiator, initiatorAD) + lengthValueConcat(responder, responderAD)
    }

    /// The intermediate session key: SHA-512 of lv_cat(DSI_ISK, sid, K) and the transcript.
    public static func isk(sid: [UInt8], sharedPoint k: [UInt8], transcript: [UInt8]) -> [UInt8] {
        SHA512.hash(lengthValueConcat(dsiISK, sid, k) + transcript)
    }

    /// The public session ID output: SHA-512 of "CPaceSidOutput" and the transcript.
    public static func sidOutput(transcript: [UInt8]) -> [UInt8] {
        SHA512.hash(Array("CPaceSidOutput".utf8) + transcript)
    }

    /// A party's key-confirmation tag over the message it sent:
    /// HMAC(SHA-512("CPaceMac" || sid || ISK), lv_cat(Y, AD)).
    public static func confirmation(isk: [UInt8], sid: [UInt8], share: [UInt8], ad: [UInt8]) -> [UInt8] {
        let macKey = SHA512.hash(Array("CPaceMac".utf8) + sid + isk)
        return SHA512.hmac(key: macKey, lengthValueConcat(share, ad))
    }
}
