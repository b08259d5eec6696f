import Wire

/// A pairing code as people read it to each other: `OMNI-` and eight Crockford base32
/// symbols in two groups, e.g. `OMNI-7K3D-QX9M` (PROTOCOL.md section 10).
///
/// - The first group is the rendezvous **tag**: a node with an open code may announce it (mDNS
///   TXT `pair=`), so a joiner finds the right inviter. It is not secret.
/// - The whole code (canonical spelling) is the CPace password.
/// - Parsing forgives what people get wrong: case, `O` for 0, `I` and `L` for 1, missing or
///   extra dashes and spaces, a missing `OMNI` prefix. It refuses `U` and anything outside
///   the alphabet, with a message that names the character.
public struct OmniCode: Hashable, Sendable, CustomStringConvertible {
    /// The eight symbols, canonical (upper case, no aliases).
    public let symbols: String

    public static let symbolCount = 8
    public static let prefix = "OMNI"

    /// The code of eight symbol values 0...31.
    init(values: [Int]) {
        precondition(values.count == Self.symbolCount && values.allSatisfy { (0..<32).contains($0) })
        symbols = String(values.map { CrockfordBase32.alphabet[$0] })
    }

    /// A fresh code from `rng` (40 bits, of which 20 are the announced tag).
    public static func random<R: RandomNumberGenerator>(using rng: inout R) -> OmniCode {
        OmniCode(values: (0..<symbolCount).map { _ in Int.random(in: 0..<32, using: &rng) })
    }

    /// Reads a code as typed or heard; throws a message that says what to fix.
    public init(parsing text: String) throws(OmniCodeError) {
        var body = Substring(text.trimmingWhitespace().uppercased())
        if body.hasPrefix(Self.prefix) { body = body.dropFirst(Self.prefix.count) }
        var values: [Int] = []
        for ch in body where ch != "-" && ch != " " {
            guard let v = CrockfordBase32.value(of: ch) else { throw .badSymbol(ch) }
            values.append(v)
        }
        guard values.count == Self.symbolCount else { throw .wrongLength(values.count) }
        self.init(values: values)
    }

    /// The rendezvous tag: the first four symbols.
    public var tag: String { String(symbols.prefix(4)) }

    /// The CPace password: the canonical spelling's bytes.
    public var password: [UInt8] { Array(description.utf8) }

    /// `OMNI-XXXX-XXXX`.
    public var description: String { "\(Self.prefix)-\(symbols.prefix(4))-\(symbols.suffix(4))" }

    /// True when `tag` is four symbols of the alphabet (as announced by a peer).
    public static func isTag(_ tag: String) -> Bool {
        tag.count == 4 && tag.allSatisfy { CrockfordBase32.alphabet.contains($0) }
    }
}

/// Why a typed code was not accepted.
public enum OmniCodeError: Error, Equatable, CustomStringConvertible {
    case badSymbol(Character)
    case wrongLength(Int)

    public var description: String {
        switch self {
        case let .badSymbol(ch):
            "'\(ch)' cannot appear in a pairing code: codes use 0-9 and A-Z without I, L, O and U. Check the code and type it as OMNI-XXXX-XXXX"
        case let .wrongLength(n):
            "a pairing code has 8 symbols after OMNI- (OMNI-XXXX-XXXX); this one has \(n)"
        }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
