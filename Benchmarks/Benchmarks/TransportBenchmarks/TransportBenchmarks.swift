import Benchmark
import Foundation
import Logging
import MeshCore
import MeshNode
import Sodium
import Wire
import LinkHarness

/// Transport figures of the Transport issue, each beside a baseline in the same run:
/// - encrypted TCP throughput between two transports on loopback, against libsodium's raw
///   ChaCha20-Poly1305 over the same bytes (the goal: at least 70% of it), and against the
///   faster implementation the link itself uses;
/// - small messages per second on one link, and the round-trip latency of one (p50/p99).
let messageBytes = 60_000
let bulkMessages = 64

let benchmarks: @Sendable () -> Void = {
    // The allocator settings `elohim node run` starts with, for the baseline as much as the
    // link: every figure here is measured in the process a node runs as.
    MemoryTuning.apply()
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock], maxDuration: .seconds(15), maxIterations: 50)

    Benchmark("baseline: libsodium ChaCha20-Poly1305 over 64 × 60 KB", configuration: .init(metrics: [.wallClock, .throughput])) {
        benchmark in
        let key = [UInt8](repeating: 1, count: 32), nonce = [UInt8](repeating: 0, count: 12)
        let chunk = [UInt8](repeating: 7, count: messageBytes)
        for _ in benchmark.scaledIterations {
            for _ in 0..<bulkMessages { blackHole(ChaChaPoly.Libsodium.seal(chunk, key: key, nonce: nonce)) }
        }
    }

    // The AEAD links use (BoringSSL's, through swift-crypto): the stricter baseline.
    Benchmark("baseline: the link's ChaCha20-Poly1305 over 64 × 60 KB", configuration: .init(metrics: [.wallClock, .throughput])) {
        benchmark in
        let key = [UInt8](repeating: 1, count: 32), nonce = [UInt8](repeating: 0, count: 12)
        let chunk = [UInt8](repeating: 7, count: messageBytes)
        for _ in benchmark.scaledIterations {
            for _ in 0..<bulkMessages { blackHole(ChaChaPoly.seal(chunk, key: key, nonce: nonce)) }
        }
    }

    Benchmark("pipeline without sockets: encode, seal, open, decode 64 × 60 KB",
              configuration: .init(metrics: [.wallClock, .throughput])) { benchmark in
        let message = MeshMessage.syncOps(team: [UInt8](repeating: 9, count: 32), ops: [UInt8](repeating: 7, count: messageBytes),
                                          compressed: false, more: false, count: 0)
        var (sealer, opener) = Pipe.halves()
        for _ in benchmark.scaledIterations {
            for _ in 0..<bulkMessages {
                for frame in try! sealer.seal(message.serialized()) {
                    for m in try! opener.open(frame) { blackHole(try! MeshMessage(serialized: m)) }
                }
            }
        }
    }

    // Longer than the others: a link needs a few hundred milliseconds before its TCP window,
    // read sizes and heap have grown to the stream, and those first batches are not the figure.
    Benchmark("link: 64 × 60 KB messages, sent and received",
              configuration: .init(metrics: [.wallClock, .throughput], warmupIterations: 100, maxDuration: .seconds(10),
                                   maxIterations: 1_000)) { benchmark, stream in
        let message = MeshMessage.syncOps(team: [UInt8](repeating: 9, count: 32), ops: [UInt8](repeating: 7, count: messageBytes),
                                          compressed: false, more: false, count: 0)
        for _ in benchmark.scaledIterations { await stream.step(message, batch: bulkMessages) }
    } setup: { BulkStream(pair: try await Pair.make(), batch: bulkMessages) }

    Benchmark("link: 1,000 small messages, sent and received",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one)) { benchmark, pair in
        // In rounds of 100: a link holds at most 256 queued messages for a peer (the slow-peer
        // bound), so a larger burst would lose messages by design.
        for _ in benchmark.scaledIterations {
            for _ in 0..<10 {
                let target = pair.b.received + 100
                for _ in 0..<100 { pair.a.transport!.send(.prune, to: pair.b.nodeID) }
                await pair.b.wait(until: target)
            }
        }
    } setup: { try await Pair.make() }

    Benchmark("link: round trip of one small message",
              configuration: .init(metrics: [.wallClock], maxDuration: .seconds(10), maxIterations: 5000)) { benchmark, pair in
        for _ in benchmark.scaledIterations {
            let target = pair.a.wants + 1
            pair.a.transport!.send(.want([]), to: pair.b.nodeID)   // b echoes every WANT
            await pair.a.wait(wants: target)
        }
    } setup: { try await Pair.make() }
}
