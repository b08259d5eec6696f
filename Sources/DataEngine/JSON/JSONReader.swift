import Foundation

/// A streaming JSON reader: it holds one buffer of the input (256 KiB from a file) and the value
/// being read, never the whole document, so a file of a million records is read in the memory
/// of one. The caller walks the outer structure (`beginArray`/`nextElement`,
/// `beginObject`/`nextKey`) and reads each record whole with `readValue`.
///
/// Limits it keeps: a value nests at most `maxDepth` levels (64); one `readValue` reads at most
/// `maxValueBytes` bytes of input (64 MiB by default). Strings must be valid UTF-8. Errors say the
/// line and column (in bytes, from 1) where the input went wrong.
public final class JSONReader {
    public struct Limits: Sendable {
        public var maxDepth = 64
        public var maxValueBytes = 64 << 20
        /// Accept `Infinity`, `-Infinity` and `NaN` as numbers (DuckDB prints them; JSON has none).
        public var allowNonFinite = false
        public init() {}
    }

    private var buffer: [UInt8] = []
    private var pos = 0
    /// Bytes of input before `buffer[0]`.
    private var consumed = 0
    private var line = 1
    private var lineStart = 0
    private let refill: () throws -> [UInt8]?
    private var exhausted = false
    public let limits: Limits
    private var valueStart = 0

    /// Reads `bytes` (already in memory).
    public init(bytes: [UInt8], limits: Limits = .init()) {
        buffer = bytes
        exhausted = true
        refill = { nil }
        self.limits = limits
    }

    /// Reads the file at `path` in chunks of `chunkSize` bytes.
    public convenience init(path: String, limits: Limits = .init(), chunkSize: Int = 256 << 10) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataEngineError.cannotRead(path) }
        self.init(handle: handle, limits: limits, chunkSize: chunkSize)
    }

    public init(handle: FileHandle, limits: Limits = .init(), chunkSize: Int = 256 << 10) {
        refill = {
            guard let data = try handle.read(upToCount: chunkSize), !data.isEmpty else {
                try? handle.close()
                return nil
            }
            return [UInt8](data)
        }
        self.limits = limits
    }

    // MARK: Position and errors

    /// Where the reader is, for messages: line and column from 1.
    public var location: (line: Int, column: Int) { (line, consumed + pos - lineStart + 1) }

    func error(_ what: String) -> DataEngineError {
        let (l, c) = location
        return .badJSON(line: l, column: c, what)
    }

    // MARK: Bytes

    /// The byte at the cursor, refilling the buffer when it is used up; nil at the end of input.
    @inline(__always) private func peekByte() throws -> UInt8? {
        if pos < buffer.count { return buffer[pos] }
        return try refillAndPeek()
    }

    private func refillAndPeek() throws -> UInt8? {
        while pos >= buffer.count {
            if exhausted { return nil }
            guard let next = try refill() else {
                exhausted = true
                return nil
            }
            consumed += buffer.count
            buffer = next
            pos = 0
        }
        return buffer[pos]
    }

    /// Skips whitespace and returns the next byte without consuming it (nil at the end).
    public func peek() throws -> UInt8? {
        while let b = try peekByte() {
            switch b {
            case 0x20, 0x09, 0x0D: pos += 1
            case 0x0A:
                pos += 1
                line += 1
                lineStart = consumed + pos
            default: return b
            }
        }
        return nil
    }

    /// True when only whitespace is left.
    public func atEnd() throws -> Bool { try peek() == nil }

    private func expect(_ byte: UInt8, _ what: String) throws {
        guard try peek() == byte else { throw error("expected \(what)\(try describeNext())") }
        pos += 1
    }

    private func describeNext() throws -> String {
        guard let b = try peekByte() else { return ", found the end of the input" }
        if b >= 0x20 && b < 0x7F { return ", found '\(Character(UnicodeScalar(b)))'" }
        return ", found byte 0x\(String(b, radix: 16))"
    }

    // MARK: Walking the outer structure

    /// Consumes `[`.
    public func beginArray() throws { try expect(UInt8(ascii: "["), "'['") }

    /// Before each element of an array that `beginArray` opened: true when one follows (the comma
    /// before it consumed), false after consuming the closing `]`.
    public func nextElement(first: Bool) throws -> Bool {
        if try peek() == UInt8(ascii: "]") {
            pos += 1
            return false
        }
        if !first { try expect(UInt8(ascii: ","), "',' or ']' between array elements") }
        if try peek() == UInt8(ascii: "]") { throw error("a ']' may not follow a ','") }
        return true
    }

    /// Consumes `{`.
    public func beginObject() throws { try expect(UInt8(ascii: "{"), "'{'") }

    /// Before each member of an object that `beginObject` opened: its key (the colon consumed), or
    /// nil after consuming the closing `}`.
    public func nextKey(first: Bool) throws -> String? {
        if try peek() == UInt8(ascii: "}") {
            pos += 1
            return nil
        }
        if !first { try expect(UInt8(ascii: ","), "',' or '}' between object members") }
        guard try peek() == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes\(try describeNext())") }
        let key = try readString()
        try expect(UInt8(ascii: ":"), "':' after a member name")
        return key
    }

    // MARK: Values

    /// Reads one whole value.
    public func readValue() throws -> JSONValue {
        _ = try peek()
        valueStart = consumed + pos
        return try value(depth: 0)
    }

    private func checkSize() throws {
        if consumed + pos - valueStart > limits.maxValueBytes {
            throw error("one value is larger than \(limits.maxValueBytes) bytes, the limit of a record")
        }
    }

    private func value(depth: Int) throws -> JSONValue {
        guard let b = try peek() else { throw error("expected a value, found the end of the input") }
        switch b {
        case UInt8(ascii: "{"):
            guard depth < limits.maxDepth else { throw error("values nest deeper than \(limits.maxDepth) levels") }
            pos += 1
            var members: [JSONMember] = []
            var first = true
            while let key = try nextKey(first: first) {
                first = false
                members.append(JSONMember(key, try value(depth: depth + 1)))
                try checkSize()
            }
            return .object(members)
        case UInt8(ascii: "["):
            guard depth < limits.maxDepth else { throw error("values nest deeper than \(limits.maxDepth) levels") }
            pos += 1
            var items: [JSONValue] = []
            var first = true
            while try nextElement(first: first) {
                first = false
                items.append(try value(depth: depth + 1))
                try checkSize()
            }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N") where limits.allowNonFinite: try literal("NaN"); return .number("NaN")
        case UInt8(ascii: "I") where limits.allowNonFinite: try literal("Infinity"); return .number("Infinity")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try readNumber())
        default:
            throw error("expected a value\(try describeNext())")
        }
    }

    private func literal(_ word: StaticString) throws {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for expected in bytes {
            guard try peekByte() == expected else { throw error("expected '\(word)'\(try describeNext())") }
            pos += 1
        }
    }

    /// A number per RFC 8259 section 6, kept as written.
    private func readNumber() throws -> String {
        var text: [UInt8] = []
        func take() throws -> UInt8? {
            guard let b = try peekByte() else { return nil }
            return b
        }
        func digits() throws -> Int {
            var n = 0
            while let b = try take(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") {
                text.append(b); pos += 1; n += 1
                if text.count > 400 { throw error("a number longer than 400 characters") }
            }
            return n
        }
        if try take() == UInt8(ascii: "-") {
            text.append(UInt8(ascii: "-")); pos += 1
            if limits.allowNonFinite, try take() == UInt8(ascii: "I") {
                try literal("Infinity")
                return "-Infinity"
            }
        }
        let first = try take()
        if first == UInt8(ascii: "0") {
            text.append(UInt8(ascii: "0")); pos += 1
            if let b = try take(), b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") { throw error("a number may not start with 0 followed by digits") }
        } else if try digits() == 0 {
            throw error("expected digits in a number\(try describeNext())")
        }
        if try take() == UInt8(ascii: ".") {
            text.append(UInt8(ascii: ".")); pos += 1
            guard try digits() > 0 else { throw error("expected digits after the decimal point") }
        }
        if let b = try take(), b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            text.append(b); pos += 1
            if let s = try take(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { text.append(s); pos += 1 }
            guard try digits() > 0 else { throw error("expected digits in the exponent") }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A string literal (the cursor on its opening quote), escapes decoded.
    private func readString() throws -> String {
        pos += 1
        var scratch: [UInt8] = []
        var usedScratch = false
        while true {
            // Fast path: a run with no quote, backslash or control character.
            let start = pos
            var i = pos
            let count = buffer.count
            while i < count {
                let b = buffer[i]
                if b == 0x22 || b == 0x5C || b < 0x20 { break }
                i += 1
            }
            if i < count && buffer[i] == 0x22 && !usedScratch {
                pos = i + 1
                guard let s = String(validating: buffer[start..<i], as: UTF8.self) else {
                    pos = start
                    throw error("a string that is not valid UTF-8")
                }
                return s
            }
            scratch.append(contentsOf: buffer[start..<i])
            usedScratch = true
            pos = i
            if scratch.count > limits.maxValueBytes { throw error("a string longer than \(limits.maxValueBytes) bytes") }
            guard let b = try peekByte() else { throw error("a string that never ends (a missing closing quote)") }
            switch b {
            case 0x22:
                pos += 1
                guard let s = String(validating: scratch, as: UTF8.self) else { throw error("a string that is not valid UTF-8") }
                return s
            case 0x5C:
                pos += 1
                try readEscape(into: &scratch)
            case _ where b < 0x20:
                throw error(b == 0x0A ? "a line break inside a string (write it as \\n)" : "a control character inside a string (escape it as \\u00XX)")
            default:
                break  // the buffer ran out; the next round refills it
            }
        }
    }

    private func readEscape(into out: inout [UInt8]) throws {
        guard let e = try peekByte() else { throw error("a string that never ends") }
        pos += 1
        switch e {
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "/"): out.append(0x2F)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4()
            if (0xD800..<0xDC00).contains(code) {
                // A high surrogate must be followed by \u and a low one.
                guard try peekByte() == UInt8(ascii: "\\") else { throw error("a lone UTF-16 surrogate in a \\u escape") }
                pos += 1
                guard try peekByte() == UInt8(ascii: "u") else { throw error("a lone UTF-16 surrogate in a \\u escape") }
                pos += 1
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("a lone UTF-16 surrogate in a \\u escape") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(code) {
                throw error("a lone UTF-16 surrogate in a \\u escape")
            }
            out.append(contentsOf: Array(String(UnicodeScalar(code)!).utf8))
        default:
            pos -= 1
            throw error("an unknown escape '\\\(Character(UnicodeScalar(e)))' in a string")
        }
    }

    private func hex4() throws -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let b = try peekByte() else { throw error("a \\u escape needs four hex digits") }
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs four hex digits")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }
}
