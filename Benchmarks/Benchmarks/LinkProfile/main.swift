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
// the faster implementation links use, through a link between two transports in this process,
// and through a link to a second process (two nodes as they run: one process each), with the
// ratios. `--receiver` is the second process's part: it listens and prints its port.

let arguments = CommandLine.arguments.dropFirst()
let seconds = arguments.first.flatMap(Double.init) ?? 5
let linkOnly = arguments.contains("--link-only")
let messageBytes = 60_000, batch = 64
MemoryTuning.apply()

if arguments.contains("--receiver") {
    let (_, port) = try await Pair.listen()
    FileHandle.standardOutput.write(Data("\(port)\n".utf8))
    // Until the parent ends it (or its end of the pipe closes).
    _ = readLine()
    exit(0)
}

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

let message = MeshMessage.syncOps(team: [UInt8](repeating: 9, count: 32), ops: chunk, compressed: false, more: false, count: 0)
let inProcess = BulkStream(pair: try await Pair.make(), batch: batch)
let link = await rate(for: seconds) { await inProcess.step(message, batch: batch) }

// The same stream to a second process.
let receiver = Process()
receiver.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
receiver.arguments = ["--receiver"]
let fromReceiver = Pipe(), toReceiver = Pipe()
receiver.standardOutput = fromReceiver
receiver.standardInput = toReceiver
try receiver.run()
var portLine = Data()
while !portLine.contains(UInt8(ascii: "\n")), let byte = try fromReceiver.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
    portLine += byte
}
guard let port = Int(String(decoding: portLine, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
    fatalError("the receiver process printed no port")
}
let sender = try await Pair.dial(port: port)
let twoProcesses = BulkStream(sender: sender, to: CountingEndpoint.nodeID(seed: 2))
let linkBetweenProcesses = await rate(for: seconds) { await twoProcesses.step(message, batch: batch) }
receiver.terminate()

func gigabytes(_ batches: Double) -> Double { batches * Double(batch * messageBytes) / 1e9 }
print(String(format: "libsodium ChaCha20-Poly1305: %.0f batches/s (%.2f GB/s)", baseline, gigabytes(baseline)))
print(String(format: "the link's ChaCha20-Poly1305: %.0f batches/s (%.2f GB/s)", linkCipher, gigabytes(linkCipher)))
for (label, value) in [("link in one process", link), ("link between two processes", linkBetweenProcesses)] {
    print(label + String(format: ": %.0f batches/s (%.2f GB/s), %.0f%% of libsodium, %.0f%% of the link's cipher", value,
                         gigabytes(value), 100 * value / baseline, 100 * value / linkCipher))
}
if sink == 0, !linkOnly { print("no bytes were sealed") }
