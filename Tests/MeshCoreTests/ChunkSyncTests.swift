import Replicas
import Sodium
import Testing
import Wire
@testable import MeshCore

/// Chunk sync's rules (PROTOCOL.md section 12), driven input by input.
@Suite struct ChunkSyncTests {
    let team = OpID(bytes: [UInt8](repeating: 7, count: 32))!
    let peers = [node(1), node(2)]

    /// A sealed chunk (any bytes) and its address.
    func chunk(_ n: UInt8, size: Int = 100) -> (id: OpID, bytes: [UInt8]) {
        let bytes = [UInt8](repeating: n, count: size)
        return (OpID(bytes: SHA256.hash(bytes))!, bytes)
    }

    /// The chunk IDs asked for in `effects`, per peer.
    func wants(_ effects: [MeshEffect]) -> [(NodeID, [OpID])] {
        effects.sent.compactMap { m, p in
            if case let .chunkWant(_, ids) = m { (p, ids.map { OpID(bytes: $0)! }) } else { nil }
        }
    }

    func stored(_ effects: [MeshEffect]) -> [OpID] {
        effects.compactMap { if case let .storeChunk(_, id, _) = $0 { id } else { nil } }
    }

    /// `ChunkData` for chunk `id`: its bytes, or "not held" when nil.
    func data(_ id: OpID, _ bytes: [UInt8]?) -> MeshMessage { .chunkData(team: team.bytes, id: id.bytes, data: bytes) }

    /// The effects of needing `ids` at `ms`.
    func need(_ sync: inout ChunkSync, _ ids: [OpID], holder: NodeID? = nil, at ms: Int64 = 0, reachable: [NodeID]) -> [MeshEffect] {
        var effects: [MeshEffect] = []
        sync.need(team: team, ids: ids, holder: holder, at: .ms(ms), reachable: reachable, effects: &effects)
        return effects
    }

    /// The effects of `message` arriving from `peer` at `ms`.
    func receive(_ sync: inout ChunkSync, _ message: MeshMessage, from peer: NodeID, at ms: Int64, reachable: [NodeID]) -> [MeshEffect] {
        var effects: [MeshEffect] = []
        sync.receive(message, from: peer, at: .ms(ms), reachable: reachable, effects: &effects)
        return effects
    }

    @Test func aNeededChunkIsAskedForAndStoredWhenItsHashIsItsAddress() {
        var sync = ChunkSync()
        let c = chunk(1)
        var effects = need(&sync, [c.id], reachable: peers)
        let asked = wants(effects)
        #expect(asked.count == 1 && asked[0].1 == [c.id])
        effects = receive(&sync, data(c.id, c.bytes), from: asked[0].0, at: 5, reachable: peers)
        #expect(stored(effects) == [c.id])
        #expect(sync.outstanding == 0)
        #expect(sync.counters.stored == 1)
    }

    @Test func bytesThatDoNotHashToTheirAddressAreRefusedAndAskedForAgainElsewhere() {
        var sync = ChunkSync()
        let c = chunk(1)
        var effects = need(&sync, [c.id], reachable: peers)
        let first = wants(effects)[0].0
        effects = receive(&sync, data(c.id, c.bytes + [0]), from: first, at: 5, reachable: peers)
        #expect(stored(effects).isEmpty)
        #expect(effects.contains(.dropped(.chunkHashMismatch, from: first)))
        #expect(sync.counters.rejected == 1)
        let again = wants(effects)
        #expect(again.count == 1 && again[0].1 == [c.id] && again[0].0 != first, "asked at once of the other peer")
    }

    @Test func aChunkNobodyAskedForIsNeverStored() {
        var sync = ChunkSync()
        let c = chunk(1)
        let effects = receive(&sync, data(c.id, c.bytes), from: peers[0], at: 0, reachable: peers)
        #expect(stored(effects).isEmpty)
        #expect(effects.contains(.dropped(.unaskedChunk, from: peers[0])))
    }

    /// Answers "not held" from `peer`, then runs the clock tick by tick until a request goes
    /// out; returns it and when it went.
    func nextRequest(_ sync: inout ChunkSync, notHeldFrom peer: NodeID?, id: OpID, at start: Int64,
                     reachable: [NodeID]) -> (peer: NodeID, at: Int64)? {
        var effects = peer.map { receive(&sync, data(id, nil), from: $0, at: start, reachable: reachable) } ?? []
        var at = start
        while wants(effects).isEmpty && at < start + 60_000 {
            at += 1_000
            effects = []
            sync.timer(at: .ms(at), reachable: reachable, effects: &effects)
        }
        return wants(effects).first.map { ($0.0, at) }
    }

    @Test func everyPeerIsAskedInTurnBeforeTheChunkWaitsAndSilenceTimesOut() {
        var sync = ChunkSync()
        let c = chunk(1)
        var effects = need(&sync, [c.id], reachable: peers)
        let first = wants(effects)[0].0
        // "Not held" from the first peer: the second is asked at once.
        effects = receive(&sync, data(c.id, nil), from: first, at: 5, reachable: peers)
        let second = wants(effects)
        #expect(second.count == 1 && second[0].0 != first)
        #expect(sync.counters.notHeld == 1)
        // "Not held" from the second too: a full round; the chunk waits 1 s, then the first again.
        let third = nextRequest(&sync, notHeldFrom: second[0].0, id: c.id, at: 10, reachable: peers)
        #expect(third?.peer == first && third!.at >= 1_010)
        // A late "not held" from the second peer does not count against the attempt under way.
        effects = receive(&sync, data(c.id, nil), from: second[0].0, at: third!.at + 5, reachable: peers)
        #expect(wants(effects).isEmpty && sync.counters.notHeld == 2)
        // The first stays silent: after the request timeout (4 s), the second is asked at once.
        let fourth = nextRequest(&sync, notHeldFrom: nil, id: c.id, at: third!.at, reachable: peers)
        #expect(sync.counters.timedOut == 1)
        #expect(fourth?.peer == second[0].0)
        #expect(fourth!.at >= third!.at + 4_000 && fourth!.at < third!.at + 6_000)
        // Its link goes down: the first is asked again at once.
        effects = []
        sync.peerDown(fourth!.peer, at: .ms(fourth!.at + 10), reachable: [first], effects: &effects)
        #expect(wants(effects).map(\.0) == [first])
    }

    @Test func theUploaderIsAskedFirstThenTheOthersInTurn() {
        var sync = ChunkSync()
        let c = chunk(1)
        let three = [node(1), node(2), node(3)]
        let effects = need(&sync, [c.id], holder: node(3), reachable: three)
        var asked = [wants(effects)[0].0]
        var at: Int64 = 0
        while asked.count < 4, let next = nextRequest(&sync, notHeldFrom: asked.last!, id: c.id, at: at, reachable: three) {
            asked.append(next.peer)
            at = next.at
        }
        #expect(asked.count == 4)
        #expect(asked[0] == node(3) && asked[3] == node(3), "the uploader starts each round")
        #expect(Set(asked[1...2]) == [node(1), node(2)])
    }

    @Test func atMostEightChunksAreInFlightAndEachAnswerLetsTheNextGo() {
        var sync = ChunkSync()
        let chunks = (1...20).map { chunk(UInt8($0)) }
        var effects = need(&sync, chunks.map(\.id), reachable: peers)
        let asked = wants(effects)
        #expect(Set(asked.flatMap(\.1)) == Set(chunks.prefix(8).map(\.id)), "the first eight needed")
        #expect(asked.count == 2, "one request per peer: the chunks alternate between the two")
        let first = chunks[0]
        effects = receive(&sync, data(first.id, first.bytes), from: peers[0], at: 5, reachable: peers)
        #expect(wants(effects).flatMap(\.1) == [chunks[8].id])
        #expect(sync.outstanding == 19)
    }

    @Test func aNewLinkMakesEveryWaitingChunkDueAtOnce() {
        var sync = ChunkSync()
        let c = chunk(1)
        _ = need(&sync, [c.id], reachable: [peers[0]])
        _ = receive(&sync, data(c.id, nil), from: peers[0], at: 5, reachable: [peers[0]])
        var effects: [MeshEffect] = []
        sync.peerUp(at: .ms(10), reachable: peers, effects: &effects)
        #expect(wants(effects).flatMap(\.1) == [c.id], "asked again at once, not after the backoff")
    }

    @Test func aPeersRequestBecomesOneServeEffectOfAtMostEightIDs() {
        var sync = ChunkSync()
        let ids = (1...10).map { chunk(UInt8($0)).id }
        let effects = receive(&sync, .chunkWant(team: team.bytes, ids: ids.map(\.bytes)), from: peers[1], at: 0, reachable: peers)
        #expect(effects == [.serveChunks(team: team, ids: Array(ids.prefix(8)), to: peers[1])])
    }

    @Test func aPeerThatAskedForAChunkBeingFetchedGetsItWhenItArrives() {
        var sync = ChunkSync()
        let c = chunk(1)
        _ = need(&sync, [c.id], reachable: [peers[0]])
        var effects = receive(&sync, .chunkWant(team: team.bytes, ids: [c.id.bytes]), from: peers[1], at: 1, reachable: [peers[0]])
        #expect(effects == [.serveChunks(team: team, ids: [c.id], to: peers[1])], "answered now (not held)")
        effects = receive(&sync, data(c.id, c.bytes), from: peers[0], at: 5, reachable: [peers[0]])
        #expect(effects == [.storeChunk(team: team, id: c.id, data: c.bytes), .serveChunks(team: team, ids: [c.id], to: peers[1])],
                "stored, then passed on to the peer that asked")
    }

    @Test func eachPeerIsServedAtMostItsRationPerSecond() {
        var sync = ChunkSync()
        let ids = (1...8).map { chunk(UInt8($0)).id.bytes }
        func serve(at ms: Int64, from peer: NodeID) -> Int {
            receive(&sync, .chunkWant(team: team.bytes, ids: ids), from: peer, at: ms, reachable: peers).reduce(0) { n, e in if case let .serveChunks(_, ids, _) = e { n + ids.count } else { n } }
        }
        // A burst of 12 requests (96 chunks) at one instant: 64 answered, the rest not.
        let burst = (0..<12).map { _ in serve(at: 0, from: peers[0]) }.reduce(0, +)
        #expect(burst == 64)
        #expect(sync.counters.throttled == 32)
        #expect(serve(at: 0, from: peers[1]) == 8, "another peer has a ration of its own")
        #expect(serve(at: 125, from: peers[0]) == 8, "an eighth of a second refills 8")
        #expect(serve(at: 125, from: peers[0]) == 0)
    }

    @Test func chunksOfADeletedBlobAreNoLongerFetched() {
        var sync = ChunkSync()
        let kept = chunk(1), dropped = (2...12).map { chunk(UInt8($0)) }
        var effects = need(&sync, [kept.id] + dropped.map(\.id), reachable: peers)
        let inFlight = Set(wants(effects).flatMap(\.1))
        #expect(inFlight.count == 8)
        sync.forget(team: team, keeping: [kept.id])
        #expect(sync.outstanding == 1)
        #expect(sync.counters.forgotten == 11)
        // The ones never asked are not asked now, and a late answer for a forgotten one is refused.
        effects = receive(&sync, data(kept.id, kept.bytes), from: peers[0], at: 5, reachable: peers)
        #expect(stored(effects) == [kept.id])
        #expect(wants(effects).isEmpty)
        let late = dropped.first { inFlight.contains($0.id) }!
        effects = receive(&sync, data(late.id, late.bytes), from: peers[1], at: 6, reachable: peers)
        #expect(stored(effects).isEmpty && effects.contains(.dropped(.unaskedChunk, from: peers[1])))
        // Another team's chunks are not touched.
        var other = ChunkSync()
        _ = need(&other, [kept.id], reachable: peers)
        other.forget(team: OpID(bytes: [UInt8](repeating: 8, count: 32))!, keeping: [])
        #expect(other.outstanding == 1)
    }

    @Test func theWantedSetIsBounded() {
        var config = ChunkSync.Configuration()
        config.maxWanted = 3
        var sync = ChunkSync(configuration: config)
        let effects = need(&sync, (1...5).map { chunk(UInt8($0)).id }, reachable: [])
        #expect(sync.outstanding == 3)
        #expect(effects.contains(.limitReached(.wantedChunks)))
    }

    @Test func chunkMessagesRoundTripOnTheWireAndOversizedOnesAreRefused() throws {
        let c = chunk(3)
        for m in [MeshMessage.chunkWant(team: team.bytes, ids: [c.id.bytes]),
                  .chunkData(team: team.bytes, id: c.id.bytes, data: c.bytes),
                  .chunkData(team: team.bytes, id: c.id.bytes, data: nil)] {
            #expect(try MeshMessage(serialized: m.serialized()) == m)
        }
        let tooMany = MeshMessage.chunkWant(team: team.bytes, ids: (1...9).map { chunk(UInt8($0)).id.bytes })
        #expect(throws: WireError.self) { try MeshMessage(serialized: tooMany.serialized()) }
        let tooBig = MeshMessage.chunkData(team: team.bytes, id: c.id.bytes, data: [UInt8](repeating: 1, count: ChunkLimits.maxSealedChunk + 1))
        #expect(throws: WireError.self) { try MeshMessage(serialized: tooBig.serialized()) }
    }
}
