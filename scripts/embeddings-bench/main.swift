// Embeddings per second of the Assistant module's MiniLM encoder, compiled with -O by
// scripts/measure-embeddings.sh (a release build of the module's own sources, without building
// the whole node). Prints one JSON object; the same sentence and batch as minilm_reference.py's bench.
import Foundation

let arguments = CommandLine.arguments
let seconds = Double(arguments[2]) ?? 5
let embedder = try MiniLMEmbedder(files: MiniLMModelFiles(directory: arguments[1]))
let sentence = "The pump at well 3 leaks when the pressure rises above four bar."
let batch = (0..<32).map { "\(sentence) Report number \($0)." }
_ = embedder.embed([sentence])

/// Texts embedded per second, embedding `texts` together again and again for `seconds`.
func rate(_ texts: [String]) -> Double {
    let start = Date()
    var done = 0
    while Date().timeIntervalSince(start) < seconds {
        _ = embedder.embed(texts)
        done += texts.count
    }
    return Double(done) / Date().timeIntervalSince(start)
}
let single = rate([sentence]), batched = rate(batch)
print(#"{"single_per_second": \#(single), "batch32_per_second": \#(batched)}"#)
