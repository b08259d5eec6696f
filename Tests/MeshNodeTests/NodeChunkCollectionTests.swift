import Foundation
import Logging
import MeshCore
import Replicas
import Sodium
import Testing
import Wire
@testable import MeshNode

@Suite struct NodeChunkCollectionTests {
    func id(_ n: UInt8) -> OpID { OpID(bytes: SHA256.hash([n]))! }

    /// A deleted file's chunks go once they are past the grace period; a live file's, a young
    /// upload's and a chunk two files share (one deleted) stay.
    @Test func aDeletedFilesChunksAreRemovedAndEverythingStillNamedStays() async throws {
        let folder = TemporaryFolder()
        let node = try Node(dataDirectory: folder.path, logger: Logger(label: "test"))
        guard case let .applied(genesis) = await node.createTeam(name: "vault") else { throw TestFailure("create") }
        let team = genesis.id, t = team.description
        let (kept, deleted, shared, young) = (id(1), id(2), id(3), id(4))
        let hourAgo = Node.wallClockMs() - Node.chunkGraceMs - 1_000
        for chunk in [kept, deleted, shared] { try node.chunkStore.put(team: t, id: chunk.description, data: [1], nowMs: hourAgo) }
        try node.chunkStore.put(team: t, id: young.description, data: [1], nowMs: Node.wallClockMs())
        for (blob, chunks) in [(id(10), [kept, shared]), (id(11), [deleted, shared])] {
            let meta = BlobMetadata(blob: blob, name: "f", size: 2, chunks: chunks, chunkSize: 1)
            guard case .applied = await node.write(.putBlob(meta), team: team) else { throw TestFailure("put") }
        }
        #expect(await node.collectChunks() == 0, "every old chunk is named")

        guard case .applied = await node.write(.deleteBlob(id(11)), team: team) else { throw TestFailure("delete") }
        #expect(await node.collectChunks() == 1)
        let left = try [kept, deleted, shared, young].map { try node.chunkStore.get(team: t, id: $0.description) != nil }
        #expect(left == [true, false, true, true])
        // An hour on, the young chunk no file named has gone too.
        #expect(await node.collectChunks(nowMs: Node.wallClockMs() + Node.chunkGraceMs + 1_000) == 1)
        #expect(try node.chunkStore.get(team: t, id: young.description) == nil)
    }
}
