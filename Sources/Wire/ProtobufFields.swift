/// The protobuf binary format at its simplest (protobuf.dev, "Encoding"): enough to write and
/// read the Envelope and the bulk messages (SyncOps, ChunkData, Gossip) without SwiftProtobuf's
/// intermediate `Data` values, each of which cost a copy of the payload (three each way for a
/// 60 KB SyncOps). What is written is byte for byte what SwiftProtobuf writes for the same
/// values (fields in number order, proto3 defaults left out); the tests hold it to that.
enum ProtobufField {
    /// A varint field (uint32, uint64, bool, enum); left out when zero.
    case varint(UInt32, UInt64)
    /// A length-delimited field; left out when empty.
    case bytes(UInt32, [UInt8])
    /// A message written in place as a length-delimited field; left out when it is empty.
    case message(UInt32, [ProtobufField])

    /// The serialized fields, in one array of exactly their size plus one byte of spare
    /// capacity: a link appends its fragment flag there without moving the message.
    static func serialize(_ fields: [ProtobufField]) -> [UInt8] {
        let size = size(of: fields)
        return [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, initialized in
            var at = 0
            write(fields, into: buffer, at: &at)
            precondition(at == size, "protobuf size and bytes written disagree")
            initialized = size
        }
    }

    private static func size(of fields: [ProtobufField]) -> Int {
        var total = 0
        for field in fields {
            switch field {
            case let .varint(number, value) where value != 0:
                total += varintSize(UInt64(number) << 3) + varintSize(value)
            case let .bytes(number, value) where !value.isEmpty:
                total += varintSize(UInt64(number) << 3 | 2) + varintSize(UInt64(value.count)) + value.count
            case let .message(number, inner):
                let length = size(of: inner)
                if length > 0 { total += varintSize(UInt64(number) << 3 | 2) + varintSize(UInt64(length)) + length }
            default:
                break
            }
        }
        return total
    }

    private static func write(_ fields: [ProtobufField], into buffer: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        for field in fields {
            switch field {
            case let .varint(number, value) where value != 0:
                writeVarint(UInt64(number) << 3, into: buffer, at: &at)
                writeVarint(value, into: buffer, at: &at)
            case let .bytes(number, value) where !value.isEmpty:
                writeVarint(UInt64(number) << 3 | 2, into: buffer, at: &at)
                writeVarint(UInt64(value.count), into: buffer, at: &at)
                _ = value.withUnsafeBufferPointer { source in
                    UnsafeMutableBufferPointer(rebasing: buffer[at..<(at + source.count)]).update(fromContentsOf: source)
                }
                at += value.count
            case let .message(number, inner):
                let length = size(of: inner)
                guard length > 0 else { continue }
                writeVarint(UInt64(number) << 3 | 2, into: buffer, at: &at)
                writeVarint(UInt64(length), into: buffer, at: &at)
                write(inner, into: buffer, at: &at)
            default:
                break
            }
        }
    }

    private static func varintSize(_ value: UInt64) -> Int {
        value == 0 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
    }

    private static func writeVarint(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at: inout Int) {
        var rest = value
        while rest >= 0x80 {
            buffer[at] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            at += 1
        }
        buffer[at] = UInt8(rest)
        at += 1
    }
}

/// Reads the fields of one serialized message, in order, from a range of an array. Unknown
/// fields are the caller's to skip (proto3: a newer peer's fields are not an error); anything
/// that does not parse is `WireError.malformed`.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        /// Where a length-delimited value lies in the array.
        case bytes(Range<Int>)
        /// A fixed32 or fixed64 value: no field read here has one, so only skipped.
        case fixed
    }

    let bytes: [UInt8]
    private var at: Int
    private let end: Int
    /// The message's name, for errors.
    let what: String

    init(_ bytes: [UInt8], in range: Range<Int>, what: String) {
        self.bytes = bytes
        at = range.lowerBound
        end = range.upperBound
        self.what = what
    }

    /// The next field's number and value; nil at the end.
    mutating func next() throws(WireError) -> (number: UInt32, value: Value)? {
        guard at < end else { return nil }
        let key = try varint()
        let number = key >> 3
        guard number > 0, number <= 0x1FFF_FFFF else { throw .malformed(what: what) }
        switch key & 7 {
        case 0:
            return (UInt32(number), .varint(try varint()))
        case 1, 5:
            let width = key & 7 == 1 ? 8 : 4
            guard end - at >= width else { throw .malformed(what: what) }
            at += width
            return (UInt32(number), .fixed)
        case 2:
            let length = try varint()
            guard length <= UInt64(end - at) else { throw .malformed(what: what) }
            let start = at
            at += Int(length)
            return (UInt32(number), .bytes(start..<at))
        default:
            // Groups (wire types 3 and 4) are proto2's; nothing here ever sends them.
            throw .malformed(what: what)
        }
    }

    private mutating func varint() throws(WireError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while at < end, shift < 64 {
            let byte = bytes[at]
            at += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw .malformed(what: what)
    }
}

extension ProtobufReader.Value {
    /// The value of a varint field, or malformed when the field came with another wire type.
    func varint(_ reader: ProtobufReader) throws(WireError) -> UInt64 {
        guard case let .varint(value) = self else { throw .malformed(what: reader.what) }
        return value
    }

    /// The bytes of a length-delimited field (copied out), or malformed for another wire type.
    func bytes(_ reader: ProtobufReader) throws(WireError) -> [UInt8] {
        guard case let .bytes(range) = self else { throw .malformed(what: reader.what) }
        return Array(reader.bytes[range])
    }

    /// Where a length-delimited field's bytes lie, or malformed for another wire type.
    func range(_ reader: ProtobufReader) throws(WireError) -> Range<Int> {
        guard case let .bytes(range) = self else { throw .malformed(what: reader.what) }
        return range
    }
}
