import Foundation
import Hummingbird
import MeshCore
import MeshNode
import Replicas
import Wire

/// `/api/v1/teams`: the teams this node holds, and making one (this node becomes its
/// Super Admin). Members arrive by invitation (`POST /api/v1/p2p/invites` with a team).
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
    }

    static func view(_ state: TeamState) -> TeamView {
        TeamView(id: state.id.description, name: state.name.value, creator: state.creator.description,
                 members: state.memberIDs.map { MemberView(nodeId: $0.description, role: state.role(of: $0)?.description ?? "none") })
    }
}
