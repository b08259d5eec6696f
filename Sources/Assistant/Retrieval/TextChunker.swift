import Foundation

/// One piece of a document, small enough for the embedding model to see whole.
public struct TextChunk: Sendable, Equatable {
    /// The chunk's text, exactly as it stands in the document (a slice, whitespace kept).
    public let text: String
    /// Where the slice is in the document, as UTF-8 byte offsets (for its place: page, lines).
    public let start: Int
    public let end: Int
    /// How many word pieces the model will see.
    public let pieces: Int
}

/// Cuts a text into overlapping chunks measured in the model's word pieces.
///
/// Rules it keeps:
/// - no chunk holds more than `maxPieces` pieces, unless one single word is longer (it then stands
///   alone); with the default 250, a chunk fits all-MiniLM-L6-v2's 256-token window whole
///   (the original product's 512-token chunks would have had half of each chunk unseen by the
///   vectors, since the model reads no further than 256);
/// - consecutive chunks share about `overlapPieces` pieces (whole words), so a sentence cut at a
///   border is whole in one of them;
/// - a chunk ends after a sentence or a paragraph when one ends in its last 30%, so chunks read
///   as passages;
/// - every word of the text is in at least one chunk, in order; the result is the same for the
///   same text (no randomness, no hashing).
public struct TextChunker: Sendable {
    public var maxPieces: Int
    public var overlapPieces: Int
    /// Counts the pieces a word becomes (`WordPieceTokenizer.pieceCount` in use; tests may count words).
    public let count: @Sendable (String) -> Int

    public init(maxPieces: Int = 250, overlapPieces: Int = 50, count: @escaping @Sendable (String) -> Int) {
        self.maxPieces = max(1, maxPieces)
        self.overlapPieces = max(0, min(overlapPieces, maxPieces / 2))
        self.count = count
    }

    /// A word of the text: where it is (UTF-8 offsets), what it costs, and whether a sentence or a
    /// paragraph ends with it.
    struct Word {
        let start: Int, end: Int, pieces: Int
        let endsSentence: Bool
    }

    public func chunks(of text: String) -> [TextChunk] {
        let utf8 = Array(text.utf8)
        let words = Self.words(in: utf8, count: count)
        guard !words.isEmpty else { return [] }
        var out: [TextChunk] = []
        var first = 0
        while first < words.count {
            // Take words while they fit.
            var last = first, used = words[first].pieces
            while last + 1 < words.count, used + words[last + 1].pieces <= maxPieces {
                last += 1
                used += words[last].pieces
            }
            // Prefer to end where a sentence ends, if one does in the last 30% of the chunk.
            if last + 1 < words.count {
                var running = used
                var candidate = last
                while candidate > first, running > maxPieces * 7 / 10 {
                    if words[candidate].endsSentence { break }
                    running -= words[candidate].pieces
                    candidate -= 1
                }
                if words[candidate].endsSentence, candidate < last {
                    used -= words[(candidate + 1)...last].reduce(0) { $0 + $1.pieces }
                    last = candidate
                }
            }
            let start = words[first].start, end = words[last].end
            out.append(TextChunk(text: String(decoding: utf8[start..<end], as: UTF8.self), start: start, end: end, pieces: used))
            if last + 1 >= words.count { break }
            // The next chunk starts `overlapPieces` back, but always after this one's first word.
            var next = last + 1, shared = 0
            while next - 1 > first, shared + words[next - 1].pieces <= overlapPieces {
                next -= 1
                shared += words[next].pieces
            }
            first = next
        }
        return out
    }

    /// The text's whitespace-separated words with their offsets and costs.
    static func words(in utf8: [UInt8], count: (String) -> Int) -> [Word] {
        var words: [Word] = []
        var i = 0
        let n = utf8.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x0B }
        while i < n {
            while i < n, isSpace(utf8[i]) { i += 1 }
            guard i < n else { break }
            let start = i
            while i < n, !isSpace(utf8[i]) { i += 1 }
            let end = i
            // A paragraph ends at a blank line (or a page break); a sentence at . ! ? (and closing quotes after them).
            var j = i, newlines = 0, pageBreak = false
            while j < n, isSpace(utf8[j]) { if utf8[j] == 0x0A { newlines += 1 }; if utf8[j] == 0x0C { pageBreak = true }; j += 1 }
            var k = end - 1
            while k > start, utf8[k] == 0x22 || utf8[k] == 0x27 || utf8[k] == 0x29 { k -= 1 }  // " ' )
            let punctuation = utf8[k] == 0x2E || utf8[k] == 0x21 || utf8[k] == 0x3F || utf8[k] == 0x3A
            let word = String(decoding: utf8[start..<end], as: UTF8.self)
            words.append(Word(start: start, end: end, pieces: max(1, count(word)),
                              endsSentence: punctuation || newlines >= 2 || pageBreak || j == n))
        }
        return words
    }
}
