import NIOCore

/// Splits a byte stream into lines (NDJSON: one JSON value a line), holding at most `maxLineBytes`
/// of an unfinished line.
///
/// Rules it keeps: a line ends at `\n`, and a `\r` before it is dropped; empty lines are skipped;
/// a line longer than `maxLineBytes` is an error as soon as the buffer passes the limit (not when
/// its end finally arrives), so a server that never sends `\n` cannot grow the buffer without bound.
struct LineBuffer {
    let maxLineBytes: Int
    private var pending: ByteBuffer

    init(maxLineBytes: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.maxLineBytes = maxLineBytes
        self.pending = allocator.buffer(capacity: 0)
    }

    struct LineTooLong: Error {}

    /// Appends `bytes`; the lines they complete, in order.
    mutating func append(_ bytes: ByteBuffer) throws(LineTooLong) -> [ByteBuffer] {
        var bytes = bytes
        pending.writeBuffer(&bytes)
        var lines: [ByteBuffer] = []
        while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - pending.readerIndex
            guard length <= maxLineBytes else { throw LineTooLong() }
            var line = pending.readSlice(length: length)!
            pending.moveReaderIndex(forwardBy: 1)
            if line.readableBytesView.last == UInt8(ascii: "\r") { line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)! }
            if line.readableBytes > 0 { lines.append(line) }
        }
        guard pending.readableBytes <= maxLineBytes else { throw LineTooLong() }
        // Give the consumed bytes back, so a long stream of short lines keeps a small buffer.
        pending.discardReadBytes()
        return lines
    }

    /// What is left when the stream ends: a last line without its `\n`, if any.
    mutating func finish() -> ByteBuffer? {
        defer { pending.clear() }
        var line = pending
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        return line.readableBytes > 0 ? line : nil
    }
}
