import Foundation
import GRDB
import Logging
import MeshCore
import Replicas
import Sodium
import Testing
import Wire
@testable import MeshNode

/// The edges issue: a node never bricks on its own data. A stored row that fails verification
/// at start is set aside (table `quarantine`), counted on /diagnostics, and the node starts.
@Suite(.serialized) struct QuarantineTests {
    let logger = Logger(label: "test")

    /// A node with two teams: one with a workflow and items, one with only its genesis.
    func populate(_ node: Node) async throws -> (kept: TeamID, other: TeamID, workflow: OpID) {
        guard case let .applied(genesis) = await node.createTeam(name: "kept") else { throw TestFailure("create") }
        guard case let .applied(wf) = await node.write(.defineWorkflow(name: "w", stages: [
            StageDefinition(name: "s", roles: [], slaSeconds: 60)]), team: genesis.id) else { throw TestFailure("workflow") }
        for k in 0..<3 {
            guard case .applied = await node.write(.createItem(workflow: wf.id, title: "item \(k)", priority: 1), team: genesis.id) else {
                throw TestFailure("item")
            }
        }
        guard case let .applied(other) = await node.createTeam(name: "other") else { throw TestFailure("create other") }
        return (genesis.id, other.id, wf.id)
    }

    /// The exact row the issue found: a create-item whose title is one character of 3,001 bytes,
    /// signed by the node itself (as the old HTTP layer let through), then a restart.
    @Test func anOverLimitOpInTheLogIsSetAsideAndTheNodeStarts() async throws {
        let folder = TemporaryFolder()
        let ids: (kept: TeamID, other: TeamID, workflow: OpID)
        do {
            let node = try Node(dataDirectory: folder.path, logger: logger)
            ids = try await populate(node)
            let seq = await node.replica(ids.kept)!.vector[node.nodeID] + 1
            let body = OpBody(authorKey: node.identity.publicKey, seq: seq, hlc: HLCTimestamp(wallMs: Node.wallClockMs(), logical: 0),
                              team: ids.kept, operation: .createItem(workflow: ids.workflow, title: "e" + String(repeating: "\u{0301}", count: 1500),
                                                                      priority: 1))
            try node.database.appendOps([SignedOp.sign(body, with: node.identity)], team: ids.kept)
            // A row whose bytes are not an op at all, and one filed under the wrong team.
            try await node.database.pool.write { db in
                try db.execute(sql: "INSERT INTO ops (id, team, author, seq, hlc_wall_ms, hlc_logical, signed) VALUES (?, ?, ?, 99, 0, 0, ?)",
                               arguments: [Data(repeating: 1, count: 32), Data(ids.kept.bytes), Data(repeating: 2, count: 20), Data([0xFF, 0x01, 0x02])])
                try db.execute(sql: "UPDATE ops SET team = ? WHERE id = ?", arguments: [Data(repeating: 3, count: 32), Data(ids.other.bytes)])
            }
        }
        let again = try Node(dataDirectory: folder.path, logger: logger)
        #expect(await again.team(ids.kept)?.items.count == 3, "the valid ops are all there")
        let report = try #require(await again.diagnostics().quarantine)
        #expect(report.rows == 3)
        #expect(report.latest.contains { $0.reason.contains("create-item.title: must be 1 to 1000 bytes") })
        #expect(report.latest.contains { $0.reason.contains("stored under team") })
        // The other team's only row was filed under a team it does not belong to: set aside.
        #expect(await again.teams() == [ids.kept])
        // Nothing bad is left to trip the next start.
        let third = try again.database.loadLogs(nowMs: Node.wallClockMs())
        #expect(third.quarantined.isEmpty)
        // The node writes on: the next op takes the sequence number the set-aside op had.
        guard case .applied = await again.write(.createItem(workflow: ids.workflow, title: "after", priority: 1), team: ids.kept) else {
            throw TestFailure("write after quarantine")
        }
    }
}
