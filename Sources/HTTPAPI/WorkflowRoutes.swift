import Foundation
import Hummingbird
import MeshNode
import Replicas
import Services
import Wire

/// `/api/v1/teams/{team}/workflows` and `/api/v1/teams/{team}/items`: workflow definitions,
/// work items, claim → start → complete, and the queue by role and priority with SLA states.
struct WorkflowRoutes: Sendable {
    let service: WorkflowService
    let services: NodeServices

    struct StageBody: Codable, Equatable { let name: String; let roles: [String]; let slaSeconds: UInt64? }
    struct DefineRequest: Decodable { let name: String; let stages: [StageBody] }
    struct WorkflowView: ResponseCodable, Equatable { let id: String; let name: String; let stages: [StageBody]; let definedBy: String }
    struct Workflows: ResponseCodable { let workflows: [WorkflowView] }
    struct CreateItemRequest: Decodable { let workflow: String; let title: String; let priority: Int32? }
    struct ItemView: ResponseCodable, Equatable {
        let id: String; let workflow: String; let title: String; let priority: Int32; let stage: Int; let stageName: String
        /// `assignee`: the member who claimed the item (a person's ID, or a node's for a v0.1
        /// writer); `assigneeName` their name when they are a person.
        let status: String; let assignee: String?; let assigneeName: String?; let revision: String; let sla: String
    }
    struct Items: ResponseCodable { let items: [ItemView] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let team = router.group("/api/v1/teams/{team}")
        team.post("/workflows") { request, context -> EditedResponse<WorkflowView> in
            let body = try await request.decode(as: DefineRequest.self, context: context)
            let stages = try body.stages.enumerated().map { k, s throws -> StageDefinition in
                let roles = try s.roles.map { name throws -> Role in
                    guard let r = Role(name: name) else { throw APIError.badRequest("stage \(k + 1): unknown role '\(name)'; use guest, member, admin or super-admin") }
                    return r
                }
                return StageDefinition(name: s.name, roles: roles, slaSeconds: s.slaSeconds)
            }
            let teamID = try context.teamID()
            let w = try await run { () async throws(WorkflowError) in try await service.define(team: teamID, name: body.name, stages: stages) }
            return EditedResponse(status: .created, response: Self.view(w))
        }
        team.get("/workflows") { _, context -> Workflows in
            let teamID = try context.teamID()
            let state = try await run { () async throws(WorkflowError) in try await service.state(team: teamID) }
            return Workflows(workflows: state.workflows.values.sorted { $0.id < $1.id }.map(Self.view))
        }
        team.post("/items") { request, context -> EditedResponse<ItemView> in
            let body = try await request.decode(as: CreateItemRequest.self, context: context)
            let workflow = try APIRequestContext.opID(body.workflow, "workflow")
            let teamID = try context.teamID()
            let (state, item) = try await run { () async throws(WorkflowError) in
                try await service.createItem(team: teamID, workflow: workflow, title: body.title, priority: body.priority ?? 5)
            }
            if case let .account(a)? = context.caller { try services.permissions.recordCreator(item: item.id.description, account: a.id) }
            return EditedResponse(status: .created, response: Self.view(item, in: state))
        }
        team.get("/items") { request, context -> Items in
            let q = request.uri.queryParameters
            let workflow = try q["workflow"].map { try APIRequestContext.opID(String($0), "workflow") }
            let role = try q["role"].map { name throws -> Role in
                guard let r = Role(name: String(name)) else { throw APIError.badRequest("role must be guest, member, admin or super-admin; got '\(name)'") }
                return r
            }
            let status = try q["status"].map { name throws -> ItemStatus in
                guard let s = ItemStatus.allCases.first(where: { Self.name($0) == name }) else {
                    throw APIError.badRequest("status must be one of \(ItemStatus.allCases.map(Self.name).joined(separator: ", ")); got '\(name)'")
                }
                return s
            }
            let teamID = try context.teamID()
            let (state, items) = try await run { () async throws(WorkflowError) in
                try await service.queue(team: teamID, workflow: workflow, role: role, status: status)
            }
            return Items(items: items.map { Self.view($0, in: state) })
        }
        team.get("/items/{item}") { _, context -> ItemView in
            let teamID = try context.teamID()
            let id = try context.opID("item")
            let state = try await run { () async throws(WorkflowError) in try await service.state(team: teamID) }
            guard let item = state.items[id] else { throw APIError.notFound("no work item \(id) in this team") }
            return Self.view(item, in: state)
        }
        team.post("/items/{item}/{step}") { _, context -> ItemView in
            let teamID = try context.teamID()
            let id = try context.opID("item")
            let stepName = try context.parameters.require("step")
            guard let step = WorkflowService.Step(rawValue: stepName) else {
                throw APIError.notFound("no action '\(stepName)' on an item: use claim, start or complete")
            }
            // A scope of "own" items lets the caller act only on items it created here.
            if case .scope(ownOnly: true)? = context.permissions?.grant(.itemsWork), let caller = context.caller,
               try !services.permissions.owns(caller, item: id.description) {
                throw APIError(.forbidden, "permission_denied", "you may work only on items you created (items.work is 'own')")
            }
            let (state, item) = try await run { () async throws(WorkflowError) in try await service.advance(team: teamID, item: id, step) }
            return Self.view(item, in: state)
        }
    }

    private func run<T>(_ body: () async throws(WorkflowError) -> T) async throws -> T {
        do { return try await body() } catch {
            switch error {
            case let .badInput(m): throw APIError.badRequest(m)
            case let .limit(v): throw APIError.limit(v)
            case let .notFound(m): throw APIError.notFound(m)
            case let .refused(reason, _): throw APIError(.forbidden, "refused_" + reason.replacingOccurrences(of: "-", with: "_"), error.description)
            case let .conflict(m): throw APIError(.conflict, "conflict", m)
            }
        }
    }

    /// `queued`, `claimed`, `in_progress`, `completed`.
    static func name(_ s: ItemStatus) -> String { s.description.lowercased() }

    static func view(_ w: Workflow) -> WorkflowView {
        WorkflowView(id: w.id.description, name: w.name,
                     stages: w.stages.map { StageBody(name: $0.name, roles: $0.roles.map(\.description), slaSeconds: $0.slaSeconds) },
                     definedBy: w.definedBy.description)
    }

    static func view(_ i: WorkItem, in state: TeamState) -> ItemView {
        let now = Node.wallClockMs()
        return ItemView(id: i.id.description, workflow: i.workflow.description, title: i.title, priority: i.priority.value, stage: i.stage,
                        stageName: state.stage(of: i)?.name ?? "", status: name(i.status),
                        assignee: i.assignee?.description, assigneeName: i.assignee.flatMap { state.members[$0]?.person?.value.name },
                        revision: i.revision.description, sla: state.sla(of: i, nowMs: now).rawValue)
    }
}

