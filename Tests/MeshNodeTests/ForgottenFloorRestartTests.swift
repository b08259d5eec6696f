import Foundation
import GRDB
import Logging
import MeshCore
import Sodium
import Testing
import Wire
@testable import MeshNode

/// Issue 15, item 6, across restarts: a node that forgot a message (its seen-cache let it go)
/// and then restarted delivered the message again when a neighbour offered it back, because
/// its forgotten floors lived in memory only and its stored messages had been pruned.
@Suite(.serialized) struct ForgottenFloorNodeTests {
    let logger = Logger(label: "test")

    /// A seen-cache of 1.5 s (floors last 3 s), swept every 100 ms, so the test takes seconds.
    var configuration: NodeCore.Configuration {
        var c = NodeCore.Configuration()
        c.gossip.seenMaxAge = .milliseconds(1_500)
        c.gossip.repairInterval = .milliseconds(100)
        return c
    }

    static func id(_ n: UInt8) -> NodeID { NodeID(publicKey: Ed25519KeyPair(seed: [UInt8](repeating: n, count: 32))!.publicKey) }

    @Test func aRestartedNodeRefusesACopyItForgotBeforeTheRestart() async throws {
        let folder = TemporaryFolder()
        let peer = Self.id(7), origin = Self.id(8), other = Self.id(9)
        let old = GossipFrame(origin: origin, seq: 41, ttl: 4, hops: 1, payload: [1, 2, 3])
        do {
            let node = try Node(dataDirectory: folder.path, logger: logger, configuration: configuration)
            await node.linkEstablished(peer)
            await node.receiveFromPeer(.gossip(old), from: peer)
            #expect(await node.core.router.counters.delivered == 1)
            // The seen-cache lets it go; a later message prunes its stored copy.
            try await Task.sleep(for: .milliseconds(2_000))
            await node.receiveFromPeer(.gossip(GossipFrame(origin: other, seq: 1, ttl: 4, hops: 1, payload: [4])), from: peer)
            let (messages, floors) = try node.database.pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM gossip_messages") ?? -1,
                 try Row.fetchAll(db, sql: "SELECT origin, seq FROM forgotten_floors"))
            }
            #expect(messages == 1, "only the new message is kept")
            #expect(floors.count == 1)
            #expect(floors.first.map { ($0["origin"] as Data) == Data(origin.bytes) && ($0["seq"] as Int64) == 41 } == true)
            // No clean shutdown: the node is dropped as a crash would leave it.
        }
        let again = try Node(dataDirectory: folder.path, logger: logger, configuration: configuration)
        await again.linkEstablished(peer)
        // A neighbour that stored the message later offers it back: refused, with older ones.
        await again.receiveFromPeer(.gossip(old), from: peer)
        await again.receiveFromPeer(.gossip(GossipFrame(origin: origin, seq: 40, ttl: 4, hops: 1, payload: [0])), from: peer)
        #expect(await again.core.router.counters.delivered == 0)
        #expect(await again.core.router.counters.forgottenRefused == 2)
        // A newer message of the same origin is delivered.
        await again.receiveFromPeer(.gossip(GossipFrame(origin: origin, seq: 42, ttl: 4, hops: 1, payload: [5])), from: peer)
        #expect(await again.core.router.counters.delivered == 1)
    }

    /// The other way to forget: the node stopped while the message was still in its seen-cache,
    /// and restarted after the message turned older than it (its stored copy is pruned then).
    @Test func aMessageThatAgedOutWhileTheNodeWasDownIsRefusedAfterTheRestart() async throws {
        let folder = TemporaryFolder()
        let peer = Self.id(7), origin = Self.id(8)
        let old = GossipFrame(origin: origin, seq: 3, ttl: 4, hops: 1, payload: [1])
        do {
            let node = try Node(dataDirectory: folder.path, logger: logger, configuration: configuration)
            await node.linkEstablished(peer)
            await node.receiveFromPeer(.gossip(old), from: peer)
        }
        try await Task.sleep(for: .milliseconds(1_800))
        let again = try Node(dataDirectory: folder.path, logger: logger, configuration: configuration)
        #expect(try await again.database.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM gossip_messages") } == 0)
        await again.linkEstablished(peer)
        await again.receiveFromPeer(.gossip(old), from: peer)
        #expect(await again.core.router.counters.delivered == 0)
        #expect(await again.core.router.counters.forgottenRefused == 1)
    }

    /// Stored floors: one row per origin (the latest rise), pruned past their lifetime, a seq of
    /// 2^64 - 1 kept whole, rows dated in the future (the clock went back) dated now at restore.
    @Test func forgottenFloorsAreStoredPrunedAndRestoredWithTheirAge() throws {
        let folder = TemporaryFolder()
        let db = try NodeDatabase(path: folder.file("floors.sqlite").path)
        let a = NodeID(bytes: [UInt8](repeating: 1, count: 20))!, b = NodeID(bytes: [UInt8](repeating: 2, count: 20))!
        let c = NodeID(bytes: [UInt8](repeating: 3, count: 20))!
        try db.storeForgottenFloors([(a, 5)], nowMs: 10_000, keepMs: 240_000)
        try db.storeForgottenFloors([(a, 9), (b, .max)], nowMs: 20_000, keepMs: 240_000)
        try db.storeForgottenFloors([(c, 1)], nowMs: 400_000, keepMs: 240_000)  // a and b are past their lifetime now
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM forgotten_floors") } == 1)
        try db.storeForgottenFloors([(a, 9), (b, .max)], nowMs: 500_000, keepMs: 240_000)
        let restored = try db.restoreForgottenFloors(nowMs: 450_000, lifetime: .seconds(240), capacity: 10)
        #expect(restored == [StoredFloor(origin: a, seq: 9, age: .zero), StoredFloor(origin: b, seq: .max, age: .zero),
                             StoredFloor(origin: c, seq: 1, age: .seconds(50))])
        // The future rows were dated 450 s: past their lifetime by 700 s.
        #expect(try db.restoreForgottenFloors(nowMs: 700_000, lifetime: .seconds(240), capacity: 10).isEmpty)
        try db.storeForgottenFloors([(a, 1)], nowMs: 1_000_000, keepMs: 240_000)
        try db.storeForgottenFloors([(b, 1)], nowMs: 1_000_001, keepMs: 240_000)
        try db.storeForgottenFloors([(c, 1)], nowMs: 1_000_002, keepMs: 240_000)
        #expect(try db.restoreForgottenFloors(nowMs: 1_000_010, lifetime: .seconds(240), capacity: 2).map(\.origin) == [b, c])
        #expect(try db.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM forgotten_floors") } == 2)
    }
}
