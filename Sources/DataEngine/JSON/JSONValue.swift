/// A JSON value that keeps what Foundation's parser loses: the order of an object's members
/// (and members with the same name twice, as a SQL result with two columns called `a` prints
/// them), and a number's digits as written (a 20-digit integer stays exact).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number as written in the source (`-12.5e3`; `Infinity`, `-Infinity` and `NaN` only
    /// when the reader was told to accept them, as DuckDB prints non-finite doubles).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// True for null, booleans, numbers and strings.
    public var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    /// The value as JSON text (compact; strings escaped per RFC 8259; non-finite numbers as
    /// strings, since JSON has no spelling for them).
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .number(n):
            if n.first == "I" || n.first == "N" || n.hasPrefix("-I") { JSONValue.writeString(n, to: &out) } else { out += n }
        case let .string(s): JSONValue.writeString(s, to: &out)
        case let .array(items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case let .object(members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(m.key, to: &out)
                out += ":"
                m.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Writes `s` as a JSON string literal.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// The text a spreadsheet cell or a CSV field shows for this value: strings as they are,
    /// null as nothing, arrays and objects as JSON.
    public var cellText: String {
        switch self {
        case .null: ""
        case let .bool(b): b ? "true" : "false"
        case let .number(n): n
        case let .string(s): s
        case .array, .object: jsonText
        }
    }
}

/// One member of a JSON object, in the order it was written.
public struct JSONMember: Sendable, Equatable {
    public let key: String
    public let value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}
