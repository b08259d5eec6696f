import Foundation
import LinkHarness
import MeshCore
import MeshNode
import Sodium
import Wire

// The link's bulk throughput outside the benchmark harness (no malloc interposer), for
// profiling with `perf record -g` and for a second opinion on the harness's figure:
//   swift run -c release LinkProfile [seconds] [--link-only]
// Prints batches of 64 × 60 KB per second through libsodium's ChaCha20-Poly1305 alone, through
// the faster implementation links use, and through a link on loopback, with the ratios.

let seconds = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 5
let linkOnly = CommandLine.arguments.contains("--link-only")
let messageBytes = 60_000, batch = 64
MemoryTuning.apply()

func rate(for duration: Double, _ step: () async -> Void) async -> Double {
    let clock = ContinuousClock(), start = clock.now
    var batches = 0
    while clock.now - start < .seconds(duration) {
        await step()
        batches += 1
    }
    let elapsed = clock.now - start
    return Double(batches) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}

let key = [UInt8](repeating: 1, count: 32), nonce = [UInt8](repeating: 0, count: 12)
let chunk = [UInt8](repeating: 7, count: messageBytes)
var sink = 0
let baseline = linkOnly ? .nan : await rate(for: seconds) {
    for _ in 0..<batch { sink &+= ChaChaPoly.Libsodium.seal(chunk, key: key, nonce: nonce).count }
}
let linkCipher = linkOnly ? .nan : await rate(for: seconds) {
    for _ in 0..<batch { sink &+= ChaChaPoly.seal(chunk, key: key, nonce: nonce).count }
}

let pair = try await Pair.make()
let message = MeshMessage.syncOps(team: [UInt8](repeating: 9, count: 32), ops: chunk, compressed: false, more: false, count: 0)
let stream = BulkStream(pair: pair)
let link = await rate(for: seconds) { await stream.step(message, batch: batch) }
func gigabytes(_ batches: Double) -> Double { batches * Double(batch * messageBytes) / 1e9 }
print(String(format: "libsodium ChaCha20-Poly1305: %.0f batches/s (%.2f GB/s)", baseline, gigabytes(baseline)))
print(String(format: "the link's ChaCha20-Poly1305: %.0f batches/s (%.2f GB/s)", linkCipher, gigabytes(linkCipher)))
print(String(format: "link: %.0f batches/s (%.2f GB/s), %.0f%% of libsodium, %.0f%% of the link's cipher", link, gigabytes(link),
             100 * link / baseline, 100 * link / linkCipher))
if sink == 0, !linkOnly { print("no bytes were sealed") }
