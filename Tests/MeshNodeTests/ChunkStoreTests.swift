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

@Suite struct ChunkCollectionTests {
    @Test func onlyOldChunksNoBlobNamesAreRemoved() throws {
        let folder = TemporaryFolder()
        let store = ChunkStore(pool: try NodeDatabase(path: folder.file("db.sqlite").path).pool, limit: 4)
        try store.put(team: "t", id: "named", data: [1], nowMs: 1_000)
        try store.put(team: "t", id: "unnamed", data: [2], nowMs: 1_000)
        try store.put(team: "t", id: "young", data: [3], nowMs: 5_000)
        try store.put(team: "u", id: "unnamed", data: [4], nowMs: 1_000)
        #expect(throws: ChunkStoreError.self) { try store.put(team: "t", id: "more", data: [5], nowMs: 6_000) }

        #expect(try store.collect(team: "t", keeping: ["named"], storedBeforeMs: 3_000) == 1)
        #expect(try store.get(team: "t", id: "unnamed") == nil)
        #expect(try store.get(team: "t", id: "named") == [1])
        #expect(try store.get(team: "t", id: "young") == [3], "an upload may still be naming it")
        #expect(try store.get(team: "u", id: "unnamed") == [4], "only the team asked about")
        // The count went down with it: there is room again.
        try store.put(team: "t", id: "more", data: [5], nowMs: 6_000)
        #expect(try store.teams() == ["t", "u"])
    }

    @Test func storingAChunkAgainMakesItYoungAgain() throws {
        let folder = TemporaryFolder()
        let store = ChunkStore(pool: try NodeDatabase(path: folder.file("db.sqlite").path).pool)
        try store.put(team: "t", id: "c", data: [1], nowMs: 1_000)
        try store.put(team: "t", id: "c", data: [1], nowMs: 9_000)   // a new upload of the same bytes
        #expect(try store.collect(team: "t", keeping: [], storedBeforeMs: 5_000) == 0)
        #expect(try store.collect(team: "t", keeping: [], storedBeforeMs: 10_000) == 1)
    }
}
