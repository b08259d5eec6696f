import Sodium

/// A node's identifier: the first 20 bytes of BLAKE2b-160 over a domain tag and the node's
/// Ed25519 public key (PROTOCOL.md section 2).
///
/// Text form: 32 Crockford base32 symbols of the 160 bits, then one Luhn mod 32 check symbol,
/// 33 symbols in all. Parsing is case-insensitive, ignores `-` and spaces, forgives O for 0 and
/// I/L for 1, and rejects every string in which exactly one symbol was mistyped.
///
/// Stored as three integers so that hashing and comparing, which the router and the simulator
/// do millions of times, touch no heap memory. Ordering is by the bytes, big-endian.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 20
    public static let textLength = 33
    /// The domain tag hashed before the public key, so a node ID never equals another hash.
    public static let derivationTag = Array("elohim/node-id/v1".utf8)

    private let high: UInt64
    private let middle: UInt64
    private let low: UInt32

    /// Wraps 20 raw bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        var h: UInt64 = 0, m: UInt64 = 0, l: UInt32 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { m = m << 8 | UInt64(bytes[i]) }
        for i in 16..<20 { l = l << 8 | UInt32(bytes[i]) }
        (high, middle, low) = (h, m, l)
    }

    /// The node ID of the holder of `publicKey`.
    public init(publicKey: Ed25519PublicKey) {
        let hasher = BLAKE2b(outputLength: Self.byteCount)
        hasher.update(Self.derivationTag)
        hasher.update(publicKey.bytes)
        self.init(bytes: hasher.finalize())!
    }

    /// A node ID drawn from a caller's generator: for simulations, where no keys exist.
    public static func random<R: RandomNumberGenerator>(using rng: inout R) -> NodeID {
        var bytes = [UInt8](repeating: 0, count: byteCount)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        return NodeID(bytes: bytes)!
    }

    /// The 20 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.byteCount)
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: high >> UInt64(s))) }
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: middle >> UInt64(s))) }
        for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: low >> UInt32(s))) }
        return out
    }

    /// The canonical text: 33 upper-case symbols.
    public var description: String {
        let body = CrockfordBase32.encode(bytes)
        let values = body.map { CrockfordBase32.value(of: $0)! }
        return body + String(CrockfordBase32.alphabet[CrockfordBase32.luhnCheckValue(values)])
    }

    /// The first eight symbols: enough to tell nodes apart in logs and traces.
    public var short: String { String(description.prefix(8)) }

    /// Parses the text form. Throws a `NodeIDParseError` that says what was wrong.
    public init(parsing text: String) throws(NodeIDParseError) {
        var values: [Int] = []
        values.reserveCapacity(Self.textLength)
        var position = 0
        for ch in text where ch != "-" && ch != " " {
            position += 1
            guard let v = CrockfordBase32.value(of: ch) else {
                throw .invalidSymbol(ch, position: position, text: text)
            }
            values.append(v)
        }
        guard values.count == Self.textLength else {
            throw .wrongLength(found: values.count, text: text)
        }
        let check = values.removeLast()
        guard CrockfordBase32.luhnCheckValue(values) == check,
              let bytes = CrockfordBase32.decode(values: values, byteCount: Self.byteCount) else {
            throw .checkFailed(text: text)
        }
        self.init(bytes: bytes)!
    }

    /// Node IDs are hash outputs, so their first 64 bits are as good a hash key as all 160,
    /// and one word hashes faster (the simulator looks IDs up millions of times).
    public func hash(into hasher: inout Hasher) { hasher.combine(high) }

    public static func < (a: NodeID, b: NodeID) -> Bool {
        (a.high, a.middle, a.low) < (b.high, b.middle, b.low)
    }
}

/// Why a string is not a node ID. Each message says what to do about it.
public enum NodeIDParseError: Error, Equatable, CustomStringConvertible {
    case wrongLength(found: Int, text: String)
    case invalidSymbol(Character, position: Int, text: String)
    case checkFailed(text: String)

    public var description: String {
        switch self {
        case let .wrongLength(found, text):
            return "'\(text)' is not a node ID: it has \(found) symbols, a node ID has \(NodeID.textLength) "
                + "(32 and a check symbol). Copy it again from `elohim id` on that node."
        case let .invalidSymbol(ch, position, text):
            return "'\(text)' is not a node ID: symbol \(position) '\(ch)' is not in Crockford base32 "
                + "(0-9 and A-Z without I, L, O, U). Copy it again from `elohim id` on that node."
        case let .checkFailed(text):
            return "'\(text)' is not a node ID: its check symbol does not match, so a symbol was mistyped. "
                + "Copy it again from `elohim id` on that node."
        }
    }
}
