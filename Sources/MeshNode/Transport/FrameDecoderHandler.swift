import MeshCore
import NIOCore
import Wire

/// Splits a TCP byte stream into frames: a 4-byte big-endian length, then that many bytes
/// (PROTOCOL.md section 4). A length above the limit (one Noise message, 65,535 bytes) is an
/// error that closes the link before the body is read.
///
/// Frames that lie whole in one read go on as slices of it, without a copy; only a frame split
/// across reads is gathered, into a buffer of its own size. (NIO's `ByteToMessageHandler`
/// gathers every read that follows a split frame into one growing buffer and compacts it, which
/// on a bulk stream copied each byte once more.)
final class FrameDecoderHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let maximumFrameBytes: Int
    /// The start of a frame the last read cut off: its header, or part of it, then part of its body.
    private var partial: ByteBuffer?
    private var failed = false

    init(maximumFrameBytes: Int) {
        self.maximumFrameBytes = maximumFrameBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var incoming = unwrapInboundIn(data)
        do {
            if partial != nil, let frame = try complete(from: &incoming) {
                context.fireChannelRead(wrapInboundOut(frame))
            }
            guard partial == nil else { return }
            while let length = incoming.getInteger(at: incoming.readerIndex, as: UInt32.self) {
                let body = try checked(length)
                guard incoming.readableBytes >= 4 + body else { break }
                incoming.moveReaderIndex(forwardBy: 4)
                context.fireChannelRead(wrapInboundOut(incoming.readSlice(length: body)!))
            }
            if incoming.readableBytes > 0 {
                let known = incoming.getInteger(at: incoming.readerIndex, as: UInt32.self).map { 4 + Int($0) } ?? 4
                var start = context.channel.allocator.buffer(capacity: known)
                start.writeBuffer(&incoming)
                partial = start
            }
        } catch {
            // A peer that declares an oversized frame is not read any further.
            failed = true
            partial = nil
            context.fireErrorCaught(error)
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
    }

    /// Moves bytes from `incoming` into the cut-off frame; the frame's body once it is whole.
    private func complete(from incoming: inout ByteBuffer) throws -> ByteBuffer? {
        guard var gathered = partial else { return nil }
        if gathered.readableBytes < 4 {
            var header = incoming.readSlice(length: min(4 - gathered.readableBytes, incoming.readableBytes))!
            gathered.writeBuffer(&header)
            guard gathered.readableBytes == 4 else {
                partial = gathered
                return nil
            }
        }
        let body = try checked(gathered.getInteger(at: gathered.readerIndex, as: UInt32.self)!)
        var rest = incoming.readSlice(length: min(4 + body - gathered.readableBytes, incoming.readableBytes))!
        gathered.writeBuffer(&rest)
        guard gathered.readableBytes == 4 + body else {
            partial = gathered
            return nil
        }
        partial = nil
        gathered.moveReaderIndex(forwardBy: 4)
        return gathered
    }

    private func checked(_ length: UInt32) throws -> Int {
        guard Int(length) <= maximumFrameBytes else {
            throw WireError.frameTooLarge(declared: Int(length), limit: maximumFrameBytes)
        }
        return Int(length)
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
    /// then the Noise message). Pass the only reference to `message`: the sealer appends the
    /// fragment flag to it, which would otherwise copy it.
    static func frames(sealing message: consuming [UInt8], with sealer: inout LinkSealer,
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
