import CSystemZlib

/// Deflate (RFC 1951) through zlib, whole buffers at a time, with a hard limit on what
/// decompression may produce: a small stream must not be able to unpack into gigabytes.
///
/// Raw deflate is what vault format v2 compresses chunks with (PROTOCOL.md section 11), because
/// browsers ship it (`CompressionStream("deflate-raw")`) and do not ship zstd. Gzip (RFC 1952,
/// deflate in a gzip wrapper) is what the node compresses the web page's files with.
public enum Deflate {
    public enum Wrapper: Sendable {
        /// No header or trailer (RFC 1951 alone).
        case raw
        /// A gzip header and CRC-32 trailer (RFC 1952), as HTTP's `Content-Encoding: gzip`.
        case gzip

        var windowBits: Int32 { self == .raw ? -15 : 15 + 16 }
    }

    /// Compresses `bytes` (level 0-9; 6 is zlib's default balance of size and time).
    public static func compress(_ bytes: [UInt8], wrapper: Wrapper = .raw, level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let ok = deflateInit2_(&stream, level, Z_DEFLATED, wrapper.windowBits, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(ok == Z_OK, "zlib cannot start a deflate stream (out of memory)")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.count)))
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(dst.count)
                let status = deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "zlib cannot fail to compress into its own bound")
                return Int(stream.total_out)
            }
        }
        out.removeLast(out.count - written)
        return out
    }

    /// Decompresses one complete raw deflate stream that unpacks to at most `maxSize` bytes.
    /// Throws when the stream is damaged, incomplete, followed by other bytes, or too large.
    public static func decompress(_ bytes: [UInt8], maxSize: Int) throws(DeflateError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, Wrapper.raw.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt
        }
        defer { inflateEnd(&stream) }
        // One byte more than allowed: a stream that fills it is too large.
        var out = [UInt8](repeating: 0, count: maxSize + 1)
        let (status, produced, consumed) = out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src -> (Int32, Int, Int) in
                stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(dst.count)
                let status = inflate(&stream, Z_FINISH)
                return (status, Int(stream.total_out), Int(stream.total_in))
            }
        }
        guard produced <= maxSize else { throw .tooLarge(limit: maxSize) }
        guard status == Z_STREAM_END else { throw .corrupt }
        guard consumed == bytes.count else { throw .trailingBytes }
        out.removeLast(out.count - produced)
        return out
    }
}

public enum DeflateError: Error, Equatable, CustomStringConvertible {
    case corrupt
    case trailingBytes
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .corrupt: "damaged or incomplete deflate stream"
        case .trailingBytes: "bytes after the end of the deflate stream"
        case let .tooLarge(limit): "deflate stream unpacks to more than the limit of \(limit) bytes"
        }
    }
}
