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
        let status: String; let assignee: String?; let revision: String; let sla: String
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
            let teamID = try Self.team(context)
            let w = try await run { () async throws(WorkflowError) in try await service.define(team: teamID, name: body.name, stages: stages) }
            return EditedResponse(status: .created, response: Self.view(w))
        }
        team.get("/workflows") { _, context -> Workflows in
            let teamID = try Self.team(context)
            let (state, _) = try await run { () async throws(WorkflowError) in try await service.queue(team: teamID, workflow: nil, role: nil, status: nil) }
            return Workflows(workflows: state.workflows.values.sorted { $0.id < $1.id }.map(Self.view))
        }
        team.post("/items") { request, context -> EditedResponse<ItemView> in
            let body = try await request.decode(as: CreateItemRequest.self, context: context)
            let workflow = try Self.opID(body.workflow, "workflow")
            let teamID = try Self.team(context)
            let item = try await run { () async throws(WorkflowError) in
                try await service.createItem(team: teamID, workflow: workflow, title: body.title, priority: body.priority ?? 5)
            }
            if let caller = context.caller { try services.permissions.recordCreator(item: item.id.description, account: Self.accountID(caller)) }
            return EditedResponse(status: .created, response: try await view(item, team: teamID))
        }
        team.get("/items") { request, context -> Items in
            let q = request.uri.queryParameters
            let workflow = try q["workflow"].map { try Self.opID(String($0), "workflow") }
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
            let teamID = try Self.team(context)
            let (state, items) = try await run { () async throws(WorkflowError) in
                try await service.queue(team: teamID, workflow: workflow, role: role, status: status)
            }
            return Items(items: items.map { Self.view($0, in: state) })
        }
        team.get("/items/{item}") { _, context -> ItemView in
            let teamID = try Self.team(context)
            let id = try Self.opID(try context.parameters.require("item"), "item")
            let (state, _) = try await run { () async throws(WorkflowError) in try await service.queue(team: teamID, workflow: nil, role: nil, status: nil) }
            guard let item = state.items[id] else { throw APIError.notFound("no work item \(id) in this team") }
            return Self.view(item, in: state)
        }
        team.post("/items/{item}/{step}") { _, context -> ItemView in
            let teamID = try Self.team(context)
            let id = try Self.opID(try context.parameters.require("item"), "item")
            let stepName = try context.parameters.require("step")
            guard let step = WorkflowService.Step(rawValue: stepName) else {
                throw APIError.notFound("no action '\(stepName)' on an item: use claim, start or complete")
            }
            // A scope of "own" items lets the caller act only on items it created here.
            if case .scope(ownOnly: true)? = context.permissions?.grant(.itemsWork), let caller = context.caller,
               try !services.permissions.owns(caller, item: id.description) {
                throw APIError(.forbidden, "permission_denied", "you may work only on items you created (items.work is 'own')")
            }
            let item = try await run { () async throws(WorkflowError) in try await service.advance(team: teamID, item: id, step) }
            return try await view(item, team: teamID)
        }
    }

    private func run<T>(_ body: () async throws(WorkflowError) -> T) async throws -> T {
        do { return try await body() } catch {
            switch error {
            case let .badInput(m): throw APIError.badRequest(m)
            case let .notFound(m): throw APIError.notFound(m)
            case let .refused(reason, _): throw APIError(.forbidden, "refused_" + reason.replacingOccurrences(of: "-", with: "_"), error.description)
            case let .conflict(m): throw APIError(.conflict, "conflict", m)
            }
        }
    }

    private func view(_ item: WorkItem, team: TeamID) async throws -> ItemView {
        let (state, _) = try await run { () async throws(WorkflowError) in try await service.queue(team: team, workflow: nil, role: nil, status: nil) }
        return Self.view(item, in: state)
    }

    static func accountID(_ caller: Caller) -> Int64 {
        if case let .account(a) = caller { return a.id }
        return 0
    }

    static func team(_ context: APIRequestContext) throws -> TeamID {
        try opID(try context.parameters.require("team"), "team")
    }

    static func opID(_ text: String, _ what: String) throws -> OpID {
        guard let id = OpID(hex: text) else { throw APIError.badRequest("a \(what) ID is 64 hex digits; got '\(text.prefix(80))'") }
        return id
    }

    /// `queued`, `claimed`, `in_progress`, `completed`.
    static func name(_ s: ItemStatus) -> String { s.description.lowercased() }

    static func view(_ w: Workflow) -> WorkflowView {
        WorkflowView(id: w.id.description, name: w.name,
                     stages: w.stages.map { StageBody(name: $0.name, roles: $0.roles.map(\.description), slaSeconds: $0.slaSeconds) },
                     definedBy: w.definedBy.description)
    }

    static func view(_ i: WorkItem, in state: TeamState) -> ItemView {
        let now = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
        return ItemView(id: i.id.description, workflow: i.workflow.description, title: i.title, priority: i.priority.value, stage: i.stage,
                        stageName: state.workflows[i.workflow]?.stages[safe: i.stage]?.name ?? "", status: name(i.status),
                        assignee: i.assignee?.description, revision: i.revision.description, sla: state.sla(of: i, nowMs: now).rawValue)
    }
}

extension Array {
    fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
