import MeshCore
import NIOCore
import Wire

/// Splits a TCP byte stream into frames: a 4-byte big-endian length, then that many bytes
/// (PROTOCOL.md section 4). A length above the limit (one Noise message, 65,535 bytes) is an
/// error that closes the link before the body is read.
struct FrameDecoderHandler: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumFrameBytes: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= maximumFrameBytes else {
            throw WireError.frameTooLarge(declared: Int(length), limit: maximumFrameBytes)
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A truncated frame at the end of the stream is dropped with the link.
        .needMoreData
    }
}

extension ByteBuffer {
    /// One frame: length prefix and body.
    static func frame(_ body: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 4 + body.count)
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    /// The frames of one message, sealed straight into their send buffers (length prefix,
    /// then the Noise message): the message is copied once, into the buffer it leaves in.
    static func frames(sealing message: [UInt8], with sealer: inout LinkSealer,
                       allocator: ByteBufferAllocator) throws(LinkError) -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        try sealer.seal(message) { count, fill in
            var buffer = allocator.buffer(capacity: 4 + count)
            buffer.writeInteger(UInt32(count))
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { space in
                fill(UnsafeMutableRawBufferPointer(rebasing: space[0..<count]))
                return count
            }
            out.append(buffer)
        }
        return out
    }
}
