import CSodium

/// The ristretto255 prime-order group (RFC 9496) through libsodium, for CPace (the pairing
/// PAKE). Points and scalars travel as their canonical 32-byte encodings.
public enum Ristretto255 {
    public static let pointByteCount = Int(crypto_core_ristretto255_BYTES)
    public static let scalarByteCount = Int(crypto_core_ristretto255_SCALARBYTES)
    /// Bytes of uniform input that `fromHash` maps to a point.
    public static let hashByteCount = Int(crypto_core_ristretto255_HASHBYTES)
    /// Bytes that `reduce` turns into a uniformly distributed scalar.
    public static let wideScalarByteCount = Int(crypto_core_ristretto255_NONREDUCEDSCALARBYTES)

    /// The point of 64 uniform bytes (the one-way map of RFC 9496 section 4.3.4).
    public static func fromHash(_ hash: [UInt8]) -> [UInt8] {
        precondition(hash.count == hashByteCount, "ristretto255 from_hash takes 64 bytes")
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: pointByteCount)
        _ = crypto_core_ristretto255_from_hash(&out, hash)
        return out
    }

    /// `scalar · point`. Nil when `point` is not a canonical encoding or the product is the
    /// identity: the `scalar_mult_vfy` of the CPace draft, which must abort on both.
    public static func multiply(scalar: [UInt8], point: [UInt8]) -> [UInt8]? {
        guard scalar.count == scalarByteCount, point.count == pointByteCount else { return nil }
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: pointByteCount)
        return crypto_scalarmult_ristretto255(&out, scalar, point) == 0 ? out : nil
    }

    /// A scalar from 64 bytes, reduced modulo the group order (uniform when the input is).
    public static func reduce(_ wide: [UInt8]) -> [UInt8] {
        precondition(wide.count == wideScalarByteCount, "ristretto255 scalar reduction takes 64 bytes")
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: scalarByteCount)
        crypto_core_ristretto255_scalar_reduce(&out, wide)
        return out
    }
}

/// SHA-512 (FIPS 180-4) and HMAC-SHA-512 (RFC 2104) through libsodium.
public enum SHA512 {
    public static let byteCount = Int(crypto_hash_sha512_BYTES)

    public static func hash(_ input: [UInt8]) -> [UInt8] {
        Sodium.ready()
        var out = [UInt8](repeating: 0, count: byteCount)
        _ = crypto_hash_sha512(&out, input, UInt64(input.count))
        return out
    }

    /// HMAC-SHA-512 of `message` under a key of any length.
    public static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Sodium.ready()
        var state = crypto_auth_hmacsha512_state()
        var out = [UInt8](repeating: 0, count: byteCount)
        _ = crypto_auth_hmacsha512_init(&state, key, key.count)
        _ = crypto_auth_hmacsha512_update(&state, message, UInt64(message.count))
        _ = crypto_auth_hmacsha512_final(&state, &out)
        return out
    }
}
