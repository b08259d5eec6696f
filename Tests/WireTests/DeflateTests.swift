import Testing
import Wire

/// Raw deflate through zlib: what it packs, it unpacks; what is damaged, trailing or too large is refused.
@Suite struct DeflateTests {
    @Test func roundTripsAndShrinksText() throws {
        let text = Array(String(repeating: "a field report, ", count: 1_000).utf8)
        let packed = Deflate.compress(text)
        #expect(packed.count < text.count / 10)
        #expect(try Deflate.decompress(packed, maxSize: text.count) == text)
        #expect(try Deflate.decompress(Deflate.compress([]), maxSize: 0) == [])
    }

    @Test func refusesWhatUnpacksPastTheLimit() {
        let packed = Deflate.compress([UInt8](repeating: 0, count: 100_001))
        #expect(throws: DeflateError.tooLarge(limit: 100_000)) { try Deflate.decompress(packed, maxSize: 100_000) }
    }

    @Test func refusesDamagedTruncatedAndTrailingBytes() {
        let packed = Deflate.compress(Array("twenty bytes of text".utf8))
        #expect(throws: DeflateError.corrupt) { try Deflate.decompress(Array(packed.dropLast(2)), maxSize: 100) }
        #expect(throws: DeflateError.trailingBytes) { try Deflate.decompress(packed + [0], maxSize: 100) }
        #expect(throws: DeflateError.corrupt) { try Deflate.decompress([0xff, 0xff, 0xff], maxSize: 100) }
    }

    @Test func gzipHasItsHeader() {
        let gz = Deflate.compress(Array("page".utf8), wrapper: .gzip)
        #expect(Array(gz.prefix(3)) == [0x1f, 0x8b, 8])
    }
}
