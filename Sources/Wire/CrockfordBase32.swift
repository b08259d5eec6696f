/// Crockford's base32 alphabet (https://www.crockford.com/base32.html): digits and capital
/// letters without I, L, O and U, so that a code read aloud or typed by hand survives.
///
/// Decoding is forgiving in the ways Crockford specifies: lower case is accepted, `O`/`o` is
/// read as 0 and `I`/`i`/`L`/`l` as 1. `U` is never valid.
public enum CrockfordBase32 {
    /// The 32 symbols in value order.
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    private static let decodeTable: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (value, symbol) in alphabet.enumerated() {
            let upper = symbol.asciiValue!
            table[Int(upper)] = Int8(value)
            if symbol.isLetter { table[Int(upper) + 32] = Int8(value) }
        }
        for alias in "Oo" { table[Int(alias.asciiValue!)] = 0 }
        for alias in "IiLl" { table[Int(alias.asciiValue!)] = 1 }
        return table
    }()

    /// The value 0...31 of `symbol`, or nil when it is not a Crockford symbol or alias.
    public static func value(of symbol: Character) -> Int? {
        guard let ascii = symbol.asciiValue, ascii < 128 else { return nil }
        let v = decodeTable[Int(ascii)]
        return v < 0 ? nil : Int(v)
    }

    /// Encodes `bytes` most significant bit first, five bits per symbol. When the bit count is
    /// not a multiple of five the last symbol is padded with zero bits.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = ""
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return out
    }

    /// Decodes symbol values (as returned by `value(of:)`) back into `byteCount` bytes.
    /// Returns nil when the values carry more or fewer bits than `byteCount` needs, or when
    /// padding bits are not zero.
    public static func decode(values: [Int], byteCount: Int) -> [UInt8]? {
        guard values.count == (byteCount * 8 + 4) / 5 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        var buffer: UInt32 = 0
        var bits = 0
        for v in values {
            buffer = (buffer << 5) | UInt32(v)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        guard out.count == byteCount, buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    /// The Luhn mod 32 check symbol of `values` (Luhn's algorithm generalised to base N).
    ///
    /// It changes whenever exactly one symbol changes (doubling is a permutation of 0...31 in
    /// base 32), and whenever two adjacent symbols are swapped unless their values differ by 16
    /// or are 0 and 31. PROTOCOL.md section 2 states the algorithm.
    public static func luhnCheckValue(_ values: [Int]) -> Int {
        var factor = 2
        var sum = 0
        for v in values.reversed() {
            let addend = factor * v
            sum += addend / 32 + addend % 32
            factor = factor == 2 ? 1 : 2
        }
        return (32 - sum % 32) % 32
    }
}
