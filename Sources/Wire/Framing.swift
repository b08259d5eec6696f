/// Length-prefixed framing for TCP links (PROTOCOL.md section 4): each frame is a 4-byte
/// big-endian length followed by that many bytes. A length above the limit is an error the
/// link answers by closing; the decoder never buffers more than one frame plus its prefix.
public enum Framing {
    /// Default and hard upper bound for one frame's body, in bytes (1 MiB).
    public static let defaultMaximumFrameBytes = 1 << 20
    public static let prefixBytes = 4

    /// Prefixes `body` with its length.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        var out: [UInt8] = [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)]
        out.reserveCapacity(4 + body.count)
        out.append(contentsOf: body)
        return out
    }
}

/// Incremental frame reader: feed it bytes as they arrive, take complete frames out (each
/// copied into an array). A link's NIO pipeline keeps its own splitter,
/// `FrameDecoderHandler`, which passes frames on as slices of the read without a copy.
public struct FrameDecoder: Sendable {
    public let maximumFrameBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maximumFrameBytes: Int = Framing.defaultMaximumFrameBytes) {
        self.maximumFrameBytes = maximumFrameBytes
    }

    /// Bytes held that are not yet a whole frame.
    public var bufferedBytes: Int { buffer.count - start }

    /// Appends bytes read from the link.
    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame body, nil when more bytes are needed. Throws `frameTooLarge`
    /// as soon as a prefix announces more than the limit, before its body arrives.
    public mutating func next() throws(WireError) -> [UInt8]? {
        guard bufferedBytes >= Framing.prefixBytes else { compact(); return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= maximumFrameBytes else {
            throw .frameTooLarge(declared: length, limit: maximumFrameBytes)
        }
        guard bufferedBytes >= Framing.prefixBytes + length else { compact(); return nil }
        let bodyStart = start + Framing.prefixBytes
        let body = Array(buffer[bodyStart..<bodyStart + length])
        start = bodyStart + length
        return body
    }

    /// Drops consumed bytes once they are the larger part of the buffer, so a long-lived link
    /// does not keep every byte it ever read.
    private mutating func compact() {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
    }
}
