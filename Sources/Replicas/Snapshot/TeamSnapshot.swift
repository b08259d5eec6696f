import Foundation
import Wire

/// A readable picture of a team's state: what the node stores as the materialized document
/// next to the op log, and what the HTTP API returns. IDs are hex or node-ID text; lists are
/// sorted, so equal states give equal JSON.
public struct TeamSnapshot: Codable, Equatable, Sendable {
    public struct Member: Codable, Equatable, Sendable {
        public var nodeId: String
        public var role: String
        public var publicKey: String
        /// A person's display name (PROTOCOL.md section 13); absent for a node.
        public var name: String?
    }

    public struct Stage: Codable, Equatable, Sendable {
        public var name: String
        public var roles: [String]
        public var slaSeconds: UInt64?
    }

    public struct WorkflowInfo: Codable, Equatable, Sendable {
        public var id: String
        public var name: String
        public var stages: [Stage]
    }

    public struct Event: Codable, Equatable, Sendable {
        public var op: String
        public var action: String
        public var by: String
        public var atMs: UInt64
        public var stage: Int
        public var status: String
    }

    public struct Item: Codable, Equatable, Sendable {
        public var id: String
        public var workflow: String
        public var title: String
        public var priority: Int32
        public var stage: Int
        public var stageName: String
        public var status: String
        public var assignee: String?
        public var revision: String
        public var createdBy: String
        public var sla: String
        public var history: [Event]
    }

    public struct Blob: Codable, Equatable, Sendable {
        public var blob: String
        public var name: String
        public var size: UInt64
        public var chunks: [String]
        public var chunkSize: UInt32
        public var owner: String
    }

    public struct ConflictInfo: Codable, Equatable, Sendable {
        public var op: String
        public var author: String
        public var item: String
        public var action: String
        public var winningOp: String
        public var winner: String?
    }

    public var id: String
    public var name: String
    public var creator: String
    public var members: [Member]
    public var actingSuperAdmin: String?
    public var workflows: [WorkflowInfo]
    public var items: [Item]
    public var vault: [Blob]
    public var conflicts: [ConflictInfo]
    public var rejections: [String: Int]
    public var appliedOps: Int
    public var digest: String
}

extension TeamState {
    /// The snapshot of this state; SLA states as of wall time `nowMs`.
    public func snapshot(nowMs: UInt64) -> TeamSnapshot {
        TeamSnapshot(
            id: id.description, name: name.value, creator: creator.description,
            members: memberIDs.map { m in
                TeamSnapshot.Member(nodeId: m.description, role: role(of: m)!.description,
                                    publicKey: Hex.encode(members[m]!.publicKey.bytes), name: members[m]!.person?.value.name)
            },
            actingSuperAdmin: promotion?.acting.description,
            workflows: workflows.keys.sorted().map { id in
                let w = workflows[id]!
                return TeamSnapshot.WorkflowInfo(id: id.description, name: w.name, stages: w.stages.map {
                    TeamSnapshot.Stage(name: $0.name, roles: $0.roles.map(\.description), slaSeconds: $0.slaSeconds)
                })
            },
            items: items.keys.sorted().map { itemSnapshot(items[$0]!, nowMs: nowMs) },
            vault: vault.keys.sorted().map { b in
                let e = vault[b]!
                return TeamSnapshot.Blob(blob: b.description, name: e.metadata.name, size: e.metadata.size,
                                         chunks: e.metadata.chunks.map(\.description), chunkSize: e.metadata.chunkSize,
                                         owner: e.owner.description)
            },
            conflicts: conflicts.map {
                TeamSnapshot.ConflictInfo(op: $0.op.description, author: $0.author.description, item: $0.item.description,
                                          action: $0.action, winningOp: $0.winningOp.description, winner: $0.winner?.description)
            },
            rejections: Dictionary(uniqueKeysWithValues: rejectionCounts.map { ($0.key.rawValue, $0.value) }),
            appliedOps: appliedOps, digest: digest)
    }

    public func itemSnapshot(_ i: WorkItem, nowMs: UInt64) -> TeamSnapshot.Item {
        let stage = workflows[i.workflow]?.stages[safe: i.stage]
        return TeamSnapshot.Item(
            id: i.id.description, workflow: i.workflow.description, title: i.title, priority: i.priority.value,
            stage: i.stage, stageName: stage?.name ?? "", status: i.status.description, assignee: i.assignee?.description,
            revision: i.revision.description, createdBy: i.createdBy.description, sla: sla(of: i, nowMs: nowMs).rawValue,
            history: i.history.map {
                TeamSnapshot.Event(op: $0.op.description, action: $0.action, by: $0.by.description, atMs: $0.at.wallMs,
                                   stage: $0.stage, status: $0.status.description)
            })
    }
}
