import Assistant
import Foundation
import Terminal
import Testing

/// Terminals start while the assistant's OpenBLAS has its thread pool. With fork (forkpty), two
/// terminals starting at once hung for good in OpenBLAS's fork handler (the whole test run hung
/// in it); terminals are now started with posix_spawn, which runs no fork handlers.
@Suite struct SpawnBesideBLASTests {
    @Test func terminalsStartTogetherAfterEmbeddings() async throws {
        // A product big enough that OpenBLAS uses its threads.
        var index = ExactVectorIndex(dimensions: 384)
        for key in Int64(0)..<4000 { index.insert(key: key, vector: (0..<384).map { Float(($0 + Int(key)) % 7) / 20 }) }
        _ = index.search((0..<384).map { _ in Float(0.05) }, k: 5)
        if let files = try? MiniLMModelFiles.locate(), let embedder = try? MiniLMEmbedder(files: files) {
            _ = embedder.embed((0..<32).map { "sentence \($0) about pumps and seals" })
        }
        let folder = NSTemporaryDirectory()
        for _ in 0..<6 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let p = try PTYProcess(argv: ["/bin/sh", "-c", "echo started"], directory: folder, cols: 80, rows: 24)
                        var out: [UInt8] = []
                        while let bytes = await p.read() { out += bytes }
                        #expect(String(decoding: out, as: UTF8.self).contains("started"))
                        await p.close()
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}
