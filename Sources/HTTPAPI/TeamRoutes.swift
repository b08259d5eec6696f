import Foundation
import Hummingbird
import MeshCore
import MeshNode
import Replicas
import Wire

/// `/api/v1/teams`: the teams this node holds, and making one (this node becomes its
/// Super Admin). Members arrive by invitation (`POST /api/v1/p2p/invites` with a team); an
/// Admin changes a member's role or removes them (`/members/{member}`, a node ID today; the
/// People issue makes members persons). The team's rules decide on every replica: the Super
/// Admin is neither demoted nor removed, and no one is made Super Admin.
struct TeamRoutes: Sendable {
    let node: Node

    struct CreateRequest: Decodable { let name: String }

    struct MemberView: ResponseCodable, Equatable {
        let nodeId: String
        let role: String
    }

    struct TeamView: ResponseCodable, Equatable {
        let id: String
        let name: String
        let creator: String
        let members: [MemberView]
    }

    struct Teams: ResponseCodable { let teams: [TeamView] }
    struct RoleRequest: Decodable { let role: String }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let api = router.group("/api/v1/teams")
        api.post("") { request, context -> EditedResponse<TeamView> in
            let body = try await request.decode(as: CreateRequest.self, context: context)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            try APIError.checkLimits(.renameTeam(name: name))
            switch await node.createTeam(name: name) {
            case let .applied(op), let .conflict(op, _):
                guard let state = await node.team(op.id) else { throw APIError(.internalServerError, "storage", "the team was not kept") }
                return EditedResponse(status: .created, response: Self.view(state))
            case let .refused(_, why): throw APIError.badRequest(why)
            case let .invalid(v): throw APIError.limit(v)
            case let .noSuchTeam(id): throw APIError.notFound("no team \(id)")
            }
        }
        api.get("") { _, _ -> Teams in
            var out: [TeamView] = []
            for id in await node.teams() { if let state = await node.team(id) { out.append(Self.view(state)) } }
            return Teams(teams: out)
        }
        api.get("/{team}") { _, context -> TeamView in
            let id = try context.teamID()
            guard let state = await node.team(id) else { throw APIError.notFound("no team \(id) on this node") }
            return Self.view(state)
        }
        api.put("/{team}/members/{member}") { request, context -> TeamView in
            let (team, member) = try await target(context)
            let body = try await request.decode(as: RoleRequest.self, context: context)
            guard let role = Role(name: body.role), role != .superAdmin else {
                throw APIError.badRequest("role must be guest, member or admin; got '\(body.role.prefix(40))' (the Super Admin role is held, never given)")
            }
            return try await write(.setRole(member, role), team: team)
        }
        api.delete("/{team}/members/{member}") { _, context -> TeamView in
            let (team, member) = try await target(context)
            return try await write(.removeMember(member), team: team)
        }
    }

    /// The route's team and member, which must be one of the team's.
    private func target(_ context: APIRequestContext) async throws -> (TeamID, NodeID) {
        let team = try context.teamID()
        let text = try context.parameters.require("member")
        let member: NodeID
        do { member = try NodeID(parsing: text) } catch { throw APIError.badRequest("member must be a node ID: \(error)") }
        guard let state = await node.team(team) else { throw APIError.notFound("no team \(team) on this node") }
        guard state.role(of: member) != nil else { throw APIError.notFound("\(member) is not a member of this team") }
        return (team, member)
    }

    private func write(_ operation: TeamOperation, team: TeamID) async throws -> TeamView {
        switch await node.write(operation, team: team) {
        case .applied, .conflict:
            guard let state = await node.team(team) else { throw APIError.notFound("no team \(team) on this node") }
            return Self.view(state)
        case let .refused(reason, why):
            throw APIError(.forbidden, "refused_" + reason.rawValue.replacingOccurrences(of: "-", with: "_"), "the team's rules refuse this: \(why)")
        case let .invalid(v): throw APIError.limit(v)
        case let .noSuchTeam(id): throw APIError.notFound("no team \(id) on this node")
        }
    }

    static func view(_ state: TeamState) -> TeamView {
        TeamView(id: state.id.description, name: state.name.value, creator: state.creator.description,
                 members: state.memberIDs.map { MemberView(nodeId: $0.description, role: state.role(of: $0)?.description ?? "none") })
    }
}
