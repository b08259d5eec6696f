import Assistant
import Foundation
import Testing

@Suite struct MiniLMEmbeddingTests {
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += Double(a[i]) * Double(b[i]); na += Double(a[i] * a[i]); nb += Double(b[i] * b[i]) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    /// The Swift pipeline against tokenizers + a float64 NumPy forward pass with padding and an
    /// attention mask (the reference embeds all sentences as one padded batch; Swift packs them).
    @Test(.enabled(if: Reference.available, Reference.skipReason))
    func equalsTheNumPyReference() throws {
        let embedder = try #require(Reference.embedder)
        let texts = Sentences.varied
        let expected = try Reference.run("embed", texts, as: [[Double]].self)
        let batch = embedder.embed(texts)
        #expect(batch.count == texts.count)
        for (i, text) in texts.enumerated() {
            let ours = batch[i]
            #expect(ours.count == 384)
            let worst = zip(ours, expected[i]).map { abs(Double($0) - $1) }.max() ?? .infinity
            let reference = expected[i].map { Float($0) }
            #expect(worst <= 1e-4, "\(text.prefix(40).debugDescription): max |difference| \(worst)")
            #expect(Self.cosine(ours, reference) >= 0.9999, "\(text.prefix(40).debugDescription)")
        }
        // One at a time gives what the batch gave.
        for i in [0, 2, texts.count - 1] {
            let alone = embedder.embed([texts[i]])[0]
            #expect(zip(alone, batch[i]).allSatisfy { abs($0 - $1) <= 1e-5 })
        }
    }

    @Test(.enabled(if: Reference.available, Reference.skipReason))
    func vectorsAreUnitLengthAndDeterministic() throws {
        let embedder = try #require(Reference.embedder)
        let a = embedder.embed(["Water crew: pump 3 leaks"]), b = embedder.embed(["Water crew: pump 3 leaks"])
        #expect(a == b)
        let norm = a[0].reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(norm - 1) <= 1e-5)
    }

    /// The model knows what sentences mean: a paraphrase is nearer than an unrelated sentence.
    @Test(.enabled(if: Reference.available, Reference.skipReason))
    func paraphraseIsNearerThanUnrelatedText() throws {
        let embedder = try #require(Reference.embedder)
        let v = embedder.embed(["The cat sits on the mat", "A cat is sitting on a rug", "Quarterly tax filings are due in April"])
        let near = Self.cosine(v[0], v[1]), far = Self.cosine(v[0], v[2])
        #expect(near > far + 0.3, "paraphrase \(near), unrelated \(far)")
    }
}
