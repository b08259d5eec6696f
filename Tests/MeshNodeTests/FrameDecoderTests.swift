import NIOCore
import NIOEmbedded
import Testing
import Wire
@testable import MeshNode

/// The link's frame splitter, fed through an `EmbeddedChannel` the way reads arrive from a
/// socket: whole, several at once, or cut anywhere.
@Suite struct FrameDecoderTests {
    /// Frames of assorted sizes (an empty one, a one-byte one, large ones), each filled with
    /// its own index so a mixed-up or shifted frame shows.
    let bodies: [[UInt8]] = [0, 1, 3, 4, 5, 700, 65_535, 2, 40_000].enumerated().map { index, size in
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    var stream: [UInt8] {
        bodies.flatMap { body in withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + body }
    }

    func decoded(feeding stream: [UInt8], inReadsOf sizes: (Int) -> Int) throws -> [[UInt8]] {
        let channel = EmbeddedChannel(handler: FrameDecoderHandler(maximumFrameBytes: 65_535))
        var offset = 0, read = 0
        while offset < stream.count {
            let end = min(stream.count, offset + sizes(read))
            try channel.writeInbound(ByteBuffer(bytes: stream[offset..<end]))
            offset = end
            read += 1
        }
        var frames: [[UInt8]] = []
        while let frame = try channel.readInbound(as: ByteBuffer.self) { frames.append(Array(buffer: frame)) }
        _ = try channel.finish()
        return frames
    }

    @Test func framesComeOutWholeHoweverTheReadsCutTheStream() throws {
        #expect(try decoded(feeding: stream) { _ in Int.max } == bodies)
        #expect(try decoded(feeding: stream) { _ in 1 } == bodies)
        for size in [2, 3, 5, 4_099, 65_536, 262_144] {
            #expect(try decoded(feeding: stream) { _ in size } == bodies, "reads of \(size) bytes")
        }
        // Irregular reads, cutting headers and bodies at varying places.
        #expect(try decoded(feeding: stream) { [1, 6, 7_000, 3, 65_540, 2][$0 % 6] } == bodies)
    }

    @Test func aFrameStillCutOffWhenTheStreamEndsIsNotDelivered() throws {
        let cut = Array(stream.dropLast(1))
        #expect(try decoded(feeding: cut) { _ in 1_000 } == Array(bodies.dropLast()))
    }

    @Test func anOversizedLengthFailsTheLinkBeforeItsBodyArrives() throws {
        let channel = EmbeddedChannel(handler: FrameDecoderHandler(maximumFrameBytes: 100))
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(3)); bytes.writeBytes([1, 2, 3])
        bytes.writeInteger(UInt32(101))
        #expect(throws: WireError.frameTooLarge(declared: 101, limit: 100)) { try channel.writeInbound(bytes) }
        #expect(try Array(buffer: channel.readInbound(as: ByteBuffer.self)!) == [1, 2, 3])
        #expect(!channel.isActive)
        // Nothing more is read from a peer that broke the rule.
        _ = try? channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 1, 9]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    @Test func anOversizedLengthSplitAcrossReadsIsCaughtToo() throws {
        let channel = EmbeddedChannel(handler: FrameDecoderHandler(maximumFrameBytes: 100))
        try channel.writeInbound(ByteBuffer(bytes: [0, 0]))
        #expect(throws: WireError.frameTooLarge(declared: 256, limit: 100)) {
            try channel.writeInbound(ByteBuffer(bytes: [1, 0, 7]))
        }
    }
}
