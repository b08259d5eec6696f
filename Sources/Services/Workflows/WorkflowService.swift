import Foundation
import MeshCore
import MeshNode
import Replicas
import Wire

/// Workflows and work items of a team, over the node's replica: definitions, items, the claim
/// → start → complete path, and queue views by role and priority with their SLA state.
///
/// Input is checked here (names, sizes, ranges) before an op is written; the team's rules
/// (who may claim in which stage, guests never write) are checked by the replica itself, on
/// this node and on every other one, so the API cannot bypass them.
public struct WorkflowService: Sendable {
    public static let nameLength = 1...100
    public static let titleLength = 1...200
    public static let maxStages = 20
    public static let priorities: ClosedRange<Int32> = 0...9
    public static let maxSLASeconds: UInt64 = 30 * 86_400

    let node: Node

    public init(node: Node) { self.node = node }

    /// Defines a workflow; returns it as the replica holds it.
    public func define(team: TeamID, name: String, stages: [StageDefinition]) async throws(WorkflowError) -> Workflow {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.nameLength.contains(name.count) else { throw .badInput("a workflow name is 1 to 100 characters") }
        guard (1...Self.maxStages).contains(stages.count) else { throw .badInput("a workflow has 1 to \(Self.maxStages) stages") }
        for (k, s) in stages.enumerated() {
            guard Self.nameLength.contains(s.name.trimmingCharacters(in: .whitespacesAndNewlines).count) else { throw .badInput("stage \(k + 1) needs a name of 1 to 100 characters") }
            guard s.roles.count <= Role.allCases.count else { throw .badInput("stage \(k + 1) lists too many roles") }
            if let sla = s.slaSeconds, !(1...Self.maxSLASeconds).contains(sla) {
                throw .badInput("stage \(k + 1): slaSeconds must be 1 to \(Self.maxSLASeconds) (30 days)")
            }
        }
        let op = try await write(.defineWorkflow(name: name, stages: stages), team: team)
        guard let w = try await state(team: team).workflows[op.id] else { throw .notFound("the workflow was not kept") }
        return w
    }

    /// Creates an item; returns the team's state after it, with the item.
    public func createItem(team: TeamID, workflow: OpID, title: String, priority: Int32) async throws(WorkflowError)
        -> (state: TeamState, item: WorkItem) {
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard Self.titleLength.contains(title.count) else { throw .badInput("a title is 1 to 200 characters") }
        guard Self.priorities.contains(priority) else { throw .badInput("priority is 0 (lowest) to 9 (highest); got \(priority)") }
        guard await node.team(team)?.workflows[workflow] != nil else { throw .notFound("no workflow \(workflow) in team \(team.short)") }
        let op = try await write(.createItem(workflow: workflow, title: title, priority: priority), team: team)
        let after = try await state(team: team)
        guard let item = after.items[op.id] else { throw .notFound("the item was not kept") }
        return (after, item)
    }

    /// Moves an item one step: claim (queued → claimed by this node), start, complete.
    public enum Step: String, Sendable, CaseIterable { case claim, start, complete }

    /// Moves an item one step; returns the team's state after it, with the item.
    public func advance(team: TeamID, item id: OpID, _ step: Step) async throws(WorkflowError) -> (state: TeamState, item: WorkItem) {
        guard let item = try await state(team: team).items[id] else { throw .notFound("no work item \(id) in team \(team.short)") }
        let op: TeamOperation = switch step {
        case .claim: .claimItem(id, base: item.revision)
        case .start: .startItem(id, base: item.revision)
        case .complete: .completeItem(id, base: item.revision)
        }
        _ = try await write(op, team: team)
        let after = try await state(team: team)
        guard let moved = after.items[id] else { throw .notFound("no work item \(id)") }
        return (after, moved)
    }

    /// The team as this node holds it.
    public func state(team: TeamID) async throws(WorkflowError) -> TeamState {
        guard let state = await node.team(team) else { throw .notFound("no team \(team) on this node") }
        return state
    }

    /// The queue: items of `workflow` (or all) that `role` may act on, with `status` when
    /// given, highest priority first, then oldest.
    public func queue(team: TeamID, workflow: OpID?, role: Role?, status: ItemStatus?) async throws(WorkflowError) -> (TeamState, [WorkItem]) {
        let state = try await state(team: team)
        return (state, state.queue(workflow: workflow, role: role).filter { status == nil || $0.status == status })
    }

    private func write(_ op: TeamOperation, team: TeamID) async throws(WorkflowError) -> SignedOp {
        switch await node.write(op, team: team) {
        case let .applied(signed): return signed
        case let .conflict(_, c):
            throw .conflict("another change to item \(c.item.short) won (\(c.winner.map { "by \($0.short)" } ?? "earlier")): reload it and try again")
        case let .refused(reason, why): throw .refused(reason.rawValue, why)
        case let .noSuchTeam(t): throw .notFound("no team \(t) on this node")
        }
    }
}

/// Why a workflow request failed.
public enum WorkflowError: Error, Equatable, CustomStringConvertible {
    case badInput(String)
    case notFound(String)
    /// The team's rules refuse it (role, stage, guest): the replica's reason and detail.
    case refused(String, String)
    /// It lost a race with another change to the same item.
    case conflict(String)

    public var description: String {
        switch self {
        case let .badInput(m), let .notFound(m), let .conflict(m): m
        case let .refused(_, why): "refused by the team's rules: \(why)"
        }
    }
}
