import Foundation
import MeshCore
import MeshNode
import Replicas
import Wire

/// Workflows and work items of a team, over the node's replica: definitions, items, the claim
/// → start → complete path, and queue views by role and priority with their SLA state.
///
/// Input is checked here against `OpLimits` (in bytes, the numbers every replica enforces)
/// before an op is written; the team's rules (who may claim in which stage, guests never
/// write) are checked by the replica itself, on this node and on every other one, so the API
/// cannot bypass them.
public struct WorkflowService: Sendable {
    let node: Node

    public init(node: Node) { self.node = node }

    /// Defines a workflow; returns it as the replica holds it.
    public func define(team: TeamID, name: String, stages: [StageDefinition]) async throws(WorkflowError) -> Workflow {
        let stages = stages.map { StageDefinition(name: $0.name.trimmingCharacters(in: .whitespacesAndNewlines), roles: $0.roles,
                                                  slaSeconds: $0.slaSeconds) }
        let operation = TeamOperation.defineWorkflow(name: name.trimmingCharacters(in: .whitespacesAndNewlines), stages: stages)
        do { try OpValidator.validate(operation) } catch { throw .limit(error) }
        let op = try await write(operation, team: team)
        guard let w = try await state(team: team).workflows[op.id] else { throw .notFound("the workflow was not kept") }
        return w
    }

    /// Creates an item; returns the team's state after it, with the item.
    public func createItem(team: TeamID, workflow: OpID, title: String, priority: Int32) async throws(WorkflowError)
        -> (state: TeamState, item: WorkItem) {
        let operation = TeamOperation.createItem(workflow: workflow, title: title.trimmingCharacters(in: .whitespacesAndNewlines),
                                                 priority: priority)
        do { try OpValidator.validate(operation) } catch { throw .limit(error) }
        guard await node.team(team)?.workflows[workflow] != nil else { throw .notFound("no workflow \(workflow) in team \(team.short)") }
        let op = try await write(operation, team: team)
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
        case let .invalid(violation): throw .limit(violation)
        case let .noSuchTeam(t): throw .notFound("no team \(t) on this node")
        }
    }
}

/// Why a workflow request failed.
public enum WorkflowError: Error, Equatable, CustomStringConvertible {
    case badInput(String)
    /// A field breaks one of the limits every replica enforces.
    case limit(OpLimitViolation)
    case notFound(String)
    /// The team's rules refuse it (role, stage, guest): the replica's reason and detail.
    case refused(String, String)
    /// It lost a race with another change to the same item.
    case conflict(String)

    public var description: String {
        switch self {
        case let .badInput(m), let .notFound(m), let .conflict(m): m
        case let .limit(v): v.description
        case let .refused(_, why): "refused by the team's rules: \(why)"
        }
    }
}
