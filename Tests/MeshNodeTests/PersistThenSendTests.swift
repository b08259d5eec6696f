import Foundation
import GRDB
import Logging
import MeshCore
import Replicas
import Sodium
import Synchronization
import Testing
import Wire
@testable import MeshNode

/// Issue 15, item 5: a failed store still broadcast the op, and after a restart its sequence
/// number was taken again by another op: two signed ops for one seq (equivocation).
@Suite(.serialized) struct PersistThenSendTests {
    let logger = Logger(label: "test")

    /// What a node handed to its transport.
    final class Sent: Sendable {
        let messages = Mutex<[MeshMessage]>([])
        func append(_ m: MeshMessage) { messages.withLock { $0.append(m) } }
        var all: [MeshMessage] { messages.withLock { $0 } }
        func clear() { messages.withLock { $0.removeAll() } }
    }

    /// The ops of `messages` (in gossip frames and sync batches) by `author`.
    func ops(in messages: [MeshMessage], by author: NodeID) -> [SignedOp] {
        messages.flatMap { m -> [SignedOp] in
            switch m {
            case let .gossip(frame): (try? GossipPayloadCoding.decode(frame.payload)).flatMap { $0 }.map { [$0] } ?? []
            case let .syncOps(_, bytes, compressed, _, _):
                (try? OpBatchCoding.decode(compressed ? Zstd.decompress(bytes, maxSize: 4 << 20) : bytes)) ?? []
            default: []
            }
        }.filter { $0.author == author }
    }

    @Test func anOpWhoseStoreFailsNeverLeavesTheNodeAndNoPeerSeesItsSeqTwice() async throws {
        let folder = TemporaryFolder()
        let peer = NodeID(publicKey: Ed25519KeyPair(seed: [UInt8](repeating: 9, count: 32))!.publicKey)
        let sent = Sent()
        let team: TeamID
        let me: NodeID
        do {
            let node = try Node(dataDirectory: folder.path, logger: logger)
            me = node.nodeID
            await node.connect { message, _ in sent.append(message) }
            guard case let .applied(genesis) = await node.createTeam(name: "crew") else { throw TestFailure("create") }
            team = genesis.id
            await node.linkEstablished(peer)
            // The disk refuses ops from now on (as a full disk would).
            try await node.database.pool.write { db in
                try db.execute(sql: "CREATE TRIGGER refuse_ops BEFORE INSERT ON ops BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            }
            sent.clear()
            let outcome = await node.write(.renameTeam(name: "never stored"), team: team)
            guard case let .refused(.invalid, detail) = outcome else { throw TestFailure("\(outcome)") }
            #expect(detail.hasPrefix("not stored:") && detail.contains("disk full"))
            // A peer asking for everything, and the probes' timers: nothing leaves the node.
            await node.receiveFromPeer(.syncVector(team: team.bytes, entries: [], reply: true), from: peer)
            try await Task.sleep(for: .milliseconds(1_300))
            #expect(sent.all.isEmpty, "sent after the failed store: \(sent.all)")
            #expect(try node.database.opStorage().count == 1)
            guard case let .refused(.invalid, later) = await node.write(.renameTeam(name: "again"), team: team) else {
                throw TestFailure("a write after the failure was not refused")
            }
            #expect(later.hasPrefix("not stored:"))
            try await node.database.pool.write { db in try db.execute(sql: "DROP TRIGGER refuse_ops") }
        }
        // After the restart the seq is free again, and no peer ever saw the op that first took it.
        let again = try Node(dataDirectory: folder.path, logger: logger)
        await again.connect { message, _ in sent.append(message) }
        await again.linkEstablished(peer)
        guard case let .applied(op) = await again.write(.renameTeam(name: "stored"), team: team) else {
            throw TestFailure("write after restart")
        }
        #expect(op.body.seq == 2)
        let seen = ops(in: sent.all, by: me).filter { $0.body.seq == 2 }
        #expect(seen.allSatisfy { $0.id == op.id }, "one op for seq 2 ever left a node")
    }
}
