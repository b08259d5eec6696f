import Foundation

/// all-MiniLM-L6-v2's BERT encoder and sentence-transformers' pooling: token IDs in, one unit
/// vector of 384 numbers out per text.
///
/// The configuration is the model's published `config.json` (huggingface.co/sentence-transformers/
/// all-MiniLM-L6-v2): hidden size 384, 6 layers, 12 heads of 32, feed-forward 1536 with exact GELU,
/// LayerNorm epsilon 1e-12, 512 positions, 30522 words; then mean pooling and L2 normalisation
/// (its `modules.json`: Transformer, Pooling(mean), Normalize).
///
/// Rules it keeps:
/// - Texts of a batch are packed one after another, without padding: every token-wise step (the
///   embeddings, the Linear layers, LayerNorm, GELU) runs on all tokens at once, and attention runs
///   per text over its own tokens only. That is exactly what padding and an attention mask compute
///   (a masked score gets weight exp(-huge) = 0), without spending work on pad tokens.
/// - Positions restart at 0 in every text; every token is of type 0 (one segment).
/// - Mean pooling averages a text's real tokens, `[CLS]` and `[SEP]` included, as
///   sentence-transformers does (its mask covers them).
/// - The weights are checked against these shapes when loaded (`SafetensorsError.wrongShape`).
public struct MiniLMEncoder: Sendable {
    public static let hidden = 384
    public static let layers = 6
    public static let heads = 12
    public static let headSize = 32
    public static let intermediate = 1536
    public static let positions = 512
    public static let vocabularySize = 30522
    static let epsilon: Float = 1e-12

    struct Layer: Sendable {
        let query: [Float], queryBias: [Float]
        let key: [Float], keyBias: [Float]
        let value: [Float], valueBias: [Float]
        let attentionOutput: [Float], attentionOutputBias: [Float]
        let attentionNormGamma: [Float], attentionNormBeta: [Float]
        let intermediate: [Float], intermediateBias: [Float]
        let output: [Float], outputBias: [Float]
        let outputNormGamma: [Float], outputNormBeta: [Float]
    }

    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbeddings: [Float]
    let embeddingNormGamma: [Float], embeddingNormBeta: [Float]
    let layers: [Layer]

    /// Loads the weights from `file`, checking every tensor's shape.
    public init(weights file: SafetensorsFile) throws(SafetensorsError) {
        let h = Self.hidden, f = Self.intermediate
        // Some exports prefix every name with "bert."; the sentence-transformers one does not.
        let prefix = file.entries["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func tensor(_ name: String, _ shape: [Int]) throws(SafetensorsError) -> [Float] { try file.floats(prefix + name, shape: shape) }
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [Self.vocabularySize, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [Self.positions, h])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [2, h])
        embeddingNormGamma = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBeta = try tensor("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for i in 0..<Self.layers {
            let p = "encoder.layer.\(i)."
            layers.append(Layer(
                query: try tensor(p + "attention.self.query.weight", [h, h]), queryBias: try tensor(p + "attention.self.query.bias", [h]),
                key: try tensor(p + "attention.self.key.weight", [h, h]), keyBias: try tensor(p + "attention.self.key.bias", [h]),
                value: try tensor(p + "attention.self.value.weight", [h, h]), valueBias: try tensor(p + "attention.self.value.bias", [h]),
                attentionOutput: try tensor(p + "attention.output.dense.weight", [h, h]),
                attentionOutputBias: try tensor(p + "attention.output.dense.bias", [h]),
                attentionNormGamma: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBeta: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                intermediate: try tensor(p + "intermediate.dense.weight", [f, h]), intermediateBias: try tensor(p + "intermediate.dense.bias", [f]),
                output: try tensor(p + "output.dense.weight", [h, f]), outputBias: try tensor(p + "output.dense.bias", [h]),
                outputNormGamma: try tensor(p + "output.LayerNorm.weight", [h]),
                outputNormBeta: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }

    /// One unit vector per sequence of token IDs (each at most `positions` long, IDs in the vocabulary).
    public func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let h = Self.hidden
        precondition(sequences.allSatisfy { !$0.isEmpty && $0.count <= Self.positions })
        let lengths = sequences.map(\.count)
        var starts: [Int] = []
        var total = 0
        for n in lengths { starts.append(total); total += n }

        // Embeddings: word + position + token type 0, then LayerNorm.
        var x = [Float](repeating: 0, count: total * h)
        x.withUnsafeMutableBufferPointer { xb in
            for (s, ids) in sequences.enumerated() {
                for (position, id) in ids.enumerated() {
                    let row = xb.baseAddress! + (starts[s] + position) * h
                    let word = Int(id) * h, place = position * h
                    precondition(id >= 0 && Int(id) < Self.vocabularySize)
                    for i in 0..<h { row[i] = wordEmbeddings[word + i] + positionEmbeddings[place + i] + tokenTypeEmbeddings[i] }
                }
            }
            DenseMath.layerNorm(xb.baseAddress!, rows: total, width: h, gamma: embeddingNormGamma, beta: embeddingNormBeta, epsilon: Self.epsilon)
        }

        var scratch = Scratch(tokens: total, longest: lengths.max() ?? 0)
        for layer in layers { run(layer, on: &x, lengths: lengths, starts: starts, scratch: &scratch) }

        // Mean pooling over each text's tokens, then L2 normalisation.
        return sequences.indices.map { s in
            var v = [Float](repeating: 0, count: h)
            for t in starts[s]..<(starts[s] + lengths[s]) { for i in 0..<h { v[i] += x[t * h + i] } }
            let n = Float(lengths[s])
            for i in 0..<h { v[i] /= n }
            // sentence-transformers' Normalize divides by max(norm, 1e-12).
            let norm = max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return v.map { $0 / norm }
        }
    }

    /// Buffers one forward pass reuses across layers.
    struct Scratch {
        var q, k, v, context, projected, wide, scores: [Float]
        init(tokens: Int, longest: Int) {
            let h = MiniLMEncoder.hidden
            q = .init(repeating: 0, count: tokens * h); k = q; v = q; context = q; projected = q
            wide = .init(repeating: 0, count: tokens * MiniLMEncoder.intermediate)
            scores = .init(repeating: 0, count: longest * longest)
        }
    }

    /// One encoder layer, in place on `x[tokens × 384]`.
    func run(_ layer: Layer, on x: inout [Float], lengths: [Int], starts: [Int], scratch: inout Scratch) {
        let h = Self.hidden, d = Self.headSize, f = Self.intermediate
        let tokens = x.count / h
        let scale = 1 / Float(d).squareRoot()
        x.withUnsafeMutableBufferPointer { xb in
            let x = xb.baseAddress!
            scratch.q.withUnsafeMutableBufferPointer { qb in
            scratch.k.withUnsafeMutableBufferPointer { kb in
            scratch.v.withUnsafeMutableBufferPointer { vb in
            scratch.context.withUnsafeMutableBufferPointer { cb in
            scratch.projected.withUnsafeMutableBufferPointer { pb in
            scratch.wide.withUnsafeMutableBufferPointer { wb in
            scratch.scores.withUnsafeMutableBufferPointer { sb in
                let q = qb.baseAddress!, k = kb.baseAddress!, v = vb.baseAddress!
                let context = cb.baseAddress!, projected = pb.baseAddress!, wide = wb.baseAddress!, scores = sb.baseAddress!
                DenseMath.linear(x, rows: tokens, inputs: h, weight: layer.query, bias: layer.queryBias, outputs: h, into: q)
                DenseMath.linear(x, rows: tokens, inputs: h, weight: layer.key, bias: layer.keyBias, outputs: h, into: k)
                DenseMath.linear(x, rows: tokens, inputs: h, weight: layer.value, bias: layer.valueBias, outputs: h, into: v)
                // Self-attention per text and head: softmax(Q Kᵀ / √32) V, each head a 32-column slice.
                for (s, n) in lengths.enumerated() {
                    let base = starts[s] * h
                    for head in 0..<Self.heads {
                        let column = base + head * d
                        DenseMath.gemm(m: n, n: n, k: d, alpha: scale, a: q + column, lda: h, b: k + column, ldb: h,
                                       transposeB: true, c: scores, ldc: n)
                        DenseMath.softmaxRows(scores, rows: n, width: n)
                        DenseMath.gemm(m: n, n: d, k: n, alpha: 1, a: scores, lda: n, b: v + column, ldb: h,
                                       transposeB: false, c: context + column, ldc: h)
                    }
                }
                // Output projection, residual, LayerNorm.
                DenseMath.linear(context, rows: tokens, inputs: h, weight: layer.attentionOutput, bias: layer.attentionOutputBias,
                                 outputs: h, into: projected)
                DenseMath.add(x, into: projected, count: tokens * h)
                DenseMath.layerNorm(projected, rows: tokens, width: h, gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta,
                                    epsilon: Self.epsilon)
                // Feed-forward: 384 → 1536, GELU, → 384, residual, LayerNorm; the result is the layer's output.
                DenseMath.linear(projected, rows: tokens, inputs: h, weight: layer.intermediate, bias: layer.intermediateBias,
                                 outputs: f, into: wide)
                DenseMath.gelu(wide, count: tokens * f)
                DenseMath.linear(wide, rows: tokens, inputs: f, weight: layer.output, bias: layer.outputBias, outputs: h, into: x)
                DenseMath.add(projected, into: x, count: tokens * h)
                DenseMath.layerNorm(x, rows: tokens, width: h, gamma: layer.outputNormGamma, beta: layer.outputNormBeta,
                                    epsilon: Self.epsilon)
            }}}}}}}
        }
    }
}
