import Assistant
import Foundation
import Testing

@Suite struct WordPieceTokenizerTests {
    /// Every sentence gives the same IDs as HF `tokenizers` (Rust) over the same vocab.txt.
    @Test(.enabled(if: Reference.available, Reference.skipReason))
    func matchesHuggingFaceTokenizers() throws {
        let tokenizer = try #require(Reference.embedder).tokenizer
        let expected = try Reference.run("tokenize", Sentences.varied, as: [[Int32]].self)
        for (text, ids) in zip(Sentences.varied, expected) {
            #expect(tokenizer.encode(text).ids == ids, "\(text.debugDescription)")
        }
    }

    @Test(.enabled(if: Reference.available, Reference.skipReason))
    func longTextIsCutAt256AndSaysSo() throws {
        let tokenizer = try #require(Reference.embedder).tokenizer
        let long = tokenizer.encode(Sentences.long)
        #expect(long.ids.count == 256 && long.truncated)
        #expect(long.ids.first == tokenizer.clsID && long.ids.last == tokenizer.sepID)
        #expect(!tokenizer.encode("short").truncated)
        #expect(tokenizer.encode("").ids == [tokenizer.clsID, tokenizer.sepID])
    }

    /// The rules on a tiny vocabulary, without the model.
    @Test func greedyLongestMatchAndUnknownWords() throws {
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "aff", "!", "cafe"].joined(separator: "\n")
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encode("Unaffable!").ids == [2, 4, 5, 6, 8, 3])
        #expect(tokenizer.encode("CAFÉ unx").ids == [2, 9, 1, 3])
        #expect(tokenizer.encode(String(repeating: "un", count: 51)).ids == [2, 1, 3])
    }

    @Test func vocabularyWithoutSpecialTokensIsRefused() {
        #expect(throws: ModelFilesError.badVocabulary(path: "v.txt", detail: "it lacks [CLS]")) {
            try WordPieceTokenizer(vocabulary: "[UNK]\nhello\n", source: "v.txt")
        }
    }
}
