@testable import Assistant
import Foundation
import Testing

/// The chunker's rules, with words as pieces (each whitespace word costs its length in "pieces"
/// where asked) so the tests need no model.
@Suite struct TextChunkerTests {
    static let oneEach = TextChunker(maxPieces: 20, overlapPieces: 5) { _ in 1 }

    static func words(_ n: Int, every: Int = 0) -> String {
        (0..<n).map { i in every > 0 && (i + 1) % every == 0 ? "w\(i)." : "w\(i)" }.joined(separator: " ")
    }

    @Test func everyWordIsInAChunkInOrderAndNoChunkIsTooBig() {
        let text = Self.words(500)
        let chunks = Self.oneEach.chunks(of: text)
        #expect(chunks.count > 25)
        var covered = Set<Int>()
        var lastStart = -1
        for chunk in chunks {
            #expect(chunk.pieces <= 20)
            #expect(chunk.pieces == chunk.text.split(separator: " ").count)
            #expect(chunk.start > lastStart, "chunks move forward")
            lastStart = chunk.start
            #expect(String(decoding: Array(text.utf8)[chunk.start..<chunk.end], as: UTF8.self) == chunk.text)
            for w in chunk.text.split(separator: " ") { covered.insert(Int(w.dropFirst())!) }
        }
        #expect(covered == Set(0..<500))
    }

    @Test func consecutiveChunksOverlapByAboutTheOverlap() {
        let chunks = Self.oneEach.chunks(of: Self.words(200))
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            let shared = Set(a.text.split(separator: " ")).intersection(b.text.split(separator: " ")).count
            #expect(shared == 5, "\(a.text) | \(b.text)")
        }
    }

    @Test func aChunkEndsWhereASentenceEndsWhenOneIsNearTheEnd() {
        // A sentence ends every 17 words: a 20-word window holds one end in its last 30%.
        let chunks = TextChunker(maxPieces: 20, overlapPieces: 0) { _ in 1 }.chunks(of: Self.words(170, every: 17))
        for chunk in chunks.dropLast() { #expect(chunk.text.hasSuffix("."), "\(chunk.text)") }
        // A window whose last word ends a sentence is kept whole.
        let exact = TextChunker(maxPieces: 20, overlapPieces: 0) { _ in 1 }.chunks(of: Self.words(60, every: 20))
        #expect(exact.map(\.pieces) == [20, 20, 20])
        // With no sentence end, the window is filled.
        let plain = Self.oneEach.chunks(of: Self.words(100))
        #expect(plain.dropLast().allSatisfy { $0.pieces == 20 })
    }

    @Test func costsArePiecesNotWords() {
        let chunker = TextChunker(maxPieces: 10, overlapPieces: 2) { $0.count }  // a word costs its letters
        let chunks = chunker.chunks(of: "abcd efgh ijkl mnop qrst uvwx")
        #expect(chunks.allSatisfy { $0.pieces <= 10 })
        #expect(chunks.map(\.text) == ["abcd efgh", "ijkl mnop", "qrst uvwx"])
        // A word longer than the window stands alone.
        let long = chunker.chunks(of: "ab " + String(repeating: "z", count: 30) + " cd")
        #expect(long.map(\.text) == ["ab", String(repeating: "z", count: 30), "cd"])
    }

    @Test func emptyAndBlankTextsGiveNoChunks() {
        #expect(Self.oneEach.chunks(of: "").isEmpty)
        #expect(Self.oneEach.chunks(of: " \n\t\u{0C} ").isEmpty)
        #expect(Self.oneEach.chunks(of: "one").map(\.text) == ["one"])
    }

    @Test func nonASCIIOffsetsAreBytes() {
        let text = "Zürich ĉu 東京 naïve"
        let chunks = TextChunker(maxPieces: 2, overlapPieces: 0) { _ in 1 }.chunks(of: text)
        #expect(chunks.map(\.text) == ["Zürich ĉu", "東京 naïve"])
        #expect(chunks[1].start == "Zürich ĉu ".utf8.count)
    }

    @Test func placesNamePagesLinesAndHeadings() {
        let pages = DocumentText(text: "one\u{0C}two\u{0C}three", pageStarts: [0, 4, 8])
        #expect(pages.place(start: 0, end: 3) == "page 1")
        #expect(pages.place(start: 4, end: 13) == "pages 2–3")
        let md = DocumentText.plain("# Pumps\nintro\n\n## Seals\nline a\nline b\n```\n# not a heading\n```\nend", markdown: true)
        #expect(md.headings.map(\.title) == ["Pumps", "Seals"])
        let seals = md.text.utf8.count - "line a\nline b\n```\n# not a heading\n```\nend".utf8.count
        #expect(md.place(start: seals, end: seals + 13) == "Seals, lines 5–6")
        #expect(md.place(start: 0, end: 2) == "Pumps, line 1")
        #expect(DocumentText(text: "a\nb\nc").place(start: 2, end: 5) == "lines 2–3")
    }
}
