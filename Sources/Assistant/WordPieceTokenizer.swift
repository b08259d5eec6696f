import Foundation

/// BERT's uncased tokenizer, as all-MiniLM-L6-v2 was trained with: a basic pass that cleans,
/// lowercases and splits the text into words, then WordPiece over each word.
///
/// Rules it keeps (they are HF `tokenizers`' BertNormalizer, BertPreTokenizer and WordPiece, which
/// the tests compare against):
/// - Cleaning drops U+0000, U+FFFD and control characters (general categories Cc, Cf, Cs, Co, Cn,
///   except tab, newline and carriage return) and turns every White_Space character into a space.
/// - Each CJK ideograph (the BERT ranges) becomes a word of its own.
/// - Accents are stripped (NFD, then nonspacing marks, Mn, dropped), then each scalar is lowercased
///   on its own (no context rules such as Greek final sigma: the reference maps char by char).
/// - Words split at whitespace, and every punctuation character (Unicode P* categories and the
///   ASCII symbols !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) is a word of its own.
/// - WordPiece: greedy longest match from the left, later pieces prefixed `##`; a word with a part
///   that matches nothing, or longer than 100 scalars, is one `[UNK]`.
/// - Output is `[CLS] pieces… [SEP]`, at most `maxTokens` (256, sentence-transformers'
///   max_seq_length for this model) in all: pieces beyond are dropped and `truncated` says so.
/// - Vocabulary words are compared byte for byte (Swift's `String ==` would also match canonically
///   equivalent spellings, which the reference does not).
public struct WordPieceTokenizer: Sendable {
    /// A vocabulary word's UTF-8 bytes, so that lookups are exact.
    struct Word: Hashable, Sendable {
        let bytes: [UInt8]
        init<S: Sequence>(_ scalars: S) where S.Element == Unicode.Scalar {
            var b: [UInt8] = []
            for s in scalars { b.append(contentsOf: UTF8.encode(s)!) }
            bytes = b
        }
        init(_ string: String) { bytes = Array(string.utf8) }
    }

    /// One text's token IDs.
    public struct Encoding: Sendable, Equatable {
        public let ids: [Int32]
        /// True when pieces were dropped to fit `maxTokens`.
        public let truncated: Bool
    }

    public let maxTokens: Int
    public let maxWordLength = 100
    let vocabulary: [Word: Int32]
    public let clsID: Int32, sepID: Int32, unkID: Int32
    public var vocabularySize: Int { vocabulary.count }

    /// Reads `vocab.txt`: one word a line, its ID the line number from 0.
    public init(vocabularyFile path: String, maxTokens: Int = 256) throws(ModelFilesError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .fileMissing(path: path) }
        try self.init(vocabulary: String(decoding: data, as: UTF8.self), source: path, maxTokens: maxTokens)
    }

    public init(vocabulary text: String, source: String = "vocabulary", maxTokens: Int = 256) throws(ModelFilesError) {
        var vocabulary: [Word: Int32] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for (i, line) in lines.enumerated() {
            let word = line.hasSuffix("\r") ? line.dropLast() : line
            // The first line with a word wins, as in the reference.
            if vocabulary[Word(String(word))] == nil { vocabulary[Word(String(word))] = Int32(i) }
        }
        func id(_ token: String) throws(ModelFilesError) -> Int32 {
            guard let id = vocabulary[Word(token)] else { throw .badVocabulary(path: source, detail: "it lacks \(token)") }
            return id
        }
        self.vocabulary = vocabulary
        self.maxTokens = maxTokens
        clsID = try id("[CLS]")
        sepID = try id("[SEP]")
        unkID = try id("[UNK]")
    }

    /// `[CLS] … [SEP]` for `text`.
    public func encode(_ text: String) -> Encoding {
        let room = maxTokens - 2
        var ids: [Int32] = [clsID]
        var truncated = false
        outer: for word in Self.words(of: text) {
            for id in pieces(of: word) {
                if ids.count - 1 == room { truncated = true; break outer }
                ids.append(id)
            }
        }
        ids.append(sepID)
        return Encoding(ids: ids, truncated: truncated)
    }

    /// How many word pieces `text` becomes, without `[CLS]`/`[SEP]` and without the window's cut:
    /// what the chunker measures so that a chunk fits the model.
    public func pieceCount(_ text: String) -> Int {
        Self.words(of: text).reduce(0) { $0 + pieces(of: $1).count }
    }

    /// WordPiece over one word.
    func pieces(of word: [Unicode.Scalar]) -> [Int32] {
        if word.count > maxWordLength { return [unkID] }
        var out: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var candidate = Word(word[start..<end])
                if start > 0 { candidate = Word(bytes: Array("##".utf8) + candidate.bytes) }
                if let id = vocabulary[candidate] { found = id; break }
                end -= 1
            }
            guard let found else { return [unkID] }
            out.append(found)
            start = end
        }
        return out
    }

    /// The basic pass: cleaned, accent-stripped, lowercased words and punctuation marks.
    static func words(of text: String) -> [[Unicode.Scalar]] {
        // Clean and isolate CJK ideographs.
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) { cleaned.append(" "); continue }
            if isCJK(s) { cleaned.append(" "); cleaned.append(s); cleaned.append(" ") } else { cleaned.append(s) }
        }
        // Strip accents: decompose, drop nonspacing marks; then lowercase scalar by scalar.
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        var normal: [Unicode.Scalar] = []
        for s in decomposed.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
            normal.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
        }
        // Split at whitespace (dropped) and punctuation (kept, alone).
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for s in normal {
            if isWhitespace(s) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if isPunctuation(s) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([s])
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Control, format, surrogate, private-use and unassigned scalars; tab, newline and carriage
    /// return count as whitespace instead.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// BERT's CJK ideograph blocks (not Hangul or kana, which are split like letters).
    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}

extension WordPieceTokenizer.Word {
    init(bytes: [UInt8]) { self.bytes = bytes }
}
