import Testing
@testable import MeshNode

@Suite struct ChunkStoreTests {
    @Test func chunksAreKeptByAddressUpToTheLimitAcrossRestarts() throws {
        let folder = TemporaryFolder()
        let path = folder.file("db.sqlite").path
        do {
            let store = ChunkStore(pool: try NodeDatabase(path: path).pool, limit: 3)
            for n in 1...3 { try store.put(team: "t", id: "c\(n)", data: [UInt8(n)]) }
            try store.put(team: "t", id: "c1", data: [1])  // already held: fine at the limit
            #expect(throws: ChunkStoreError.self) { try store.put(team: "t", id: "c4", data: [4]) }
            #expect(try store.get(team: "t", id: "c2") == [2])
            #expect(try store.get(team: "other", id: "c2") == nil, "chunks are per team")
            #expect(try store.missing(team: "t", ids: ["c3", "c9", "c1", "c8"]) == ["c9", "c8"])
        }
        // A new store over the same database counts what is there.
        let again = ChunkStore(pool: try NodeDatabase(path: path).pool, limit: 4)
        try again.put(team: "t", id: "c4", data: [4])
        #expect(throws: ChunkStoreError.self) { try again.put(team: "t", id: "c5", data: [5]) }
    }
}
