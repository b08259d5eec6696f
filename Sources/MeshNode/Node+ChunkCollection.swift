import MeshCore
import Replicas

extension Node {
    /// How old a chunk no blob names must be before it is removed: an upload sends its chunks
    /// first and writes its put-blob op after the last one, so a young unnamed chunk may be
    /// part of a file still on its way.
    public static let chunkGraceMs: UInt64 = 60 * 60 * 1000

    /// How often the node looks for chunks to remove.
    public static let chunkCollectionInterval: Duration = .seconds(600)

    /// Removes the chunks that no blob of their team's vault index names any more (deleted
    /// files, uploads abandoned before their put-blob op) once they are `chunkGraceMs` old;
    /// returns how many went. Teams this node holds no replica of are left alone.
    @discardableResult
    public func collectChunks(nowMs: UInt64 = Node.wallClockMs()) -> Int {
        let cutoff = nowMs > Self.chunkGraceMs ? nowMs - Self.chunkGraceMs : 0
        var removed = 0
        for team in core.replication.teamIDs {
            let named = Set(core.namedChunks(team: team).map(\.description))
            do {
                removed += try chunkStore.collect(team: team.description, keeping: named, storedBeforeMs: cutoff)
            } catch {
                logger.error("cannot remove unused vault chunks: \(error)", metadata: ["team": "\(team.short)"])
            }
        }
        if removed > 0 {
            logger.info("removed vault chunks that no file names any more", metadata: ["chunks": "\(removed)"])
        }
        return removed
    }

    /// Collects chunks every `chunkCollectionInterval` until cancelled.
    func startChunkCollection() -> Task<Void, Never> {
        Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.chunkCollectionInterval)
                guard !Task.isCancelled, let self else { return }
                await self.collectChunks()
            }
        }
    }
}
