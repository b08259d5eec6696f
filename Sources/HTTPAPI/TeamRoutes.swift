import Foundation
import Hummingbird
import MeshCore
import MeshNode
import Replicas
import Services
import Sodium
import Wire

/// `/api/v1/teams`: the teams this node holds, and making one (this node becomes its Super
/// Admin, and the person who asked an Admin). Members are nodes (devices that joined by
/// invitation, `POST /api/v1/p2p/invites` with a team) and persons (PROTOCOL.md section 13),
/// whom an Admin adds (`POST /members`), changes the role of or removes (`/members/{member}`,
/// the member's ID). The team's rules decide on every replica: the Super Admin is neither
/// demoted nor removed, and no one is made Super Admin.
struct TeamRoutes: Sendable {
    let node: Node
    let services: NodeServices

    struct CreateRequest: Decodable { let name: String }
    /// A person to add: one of this node's accounts (by person ID), or a person elsewhere, whose
    /// `publicKey` (64 hex digits) and `name` the request must then give.
    struct AddRequest: Decodable { let person: String; let role: String; let name: String?; let publicKey: String? }

    /// A member: a person (with `name`, and the devices known to carry their keys) or a node
    /// (a device; its `name` is empty, `devices` is itself). `nodeId` repeats the ID for v0.1 clients.
    struct MemberView: ResponseCodable, Equatable {
        let person: String
        let nodeId: String
        let kind: String
        let name: String
        let role: String
        let devices: [String]
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
                // The person who made the team runs it with the node: an Admin, writing as themself.
                if case let .account(account)? = context.caller, let key = account.personKey.flatMap(Ed25519PublicKey.init(bytes:)) {
                    _ = await node.write(.addMember(publicKey: key, role: .admin, invite: nil, name: account.name,
                                                    device: node.nodeID), team: op.id, as: nil)
                }
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
        api.post("/{team}/members") { request, context -> EditedResponse<TeamView> in
            let team = try context.teamID()
            let body = try await request.decode(as: AddRequest.self, context: context)
            guard let role = Role(name: body.role), role != .superAdmin else {
                throw APIError.badRequest("role must be guest, member or admin; got '\(body.role.prefix(40))' (the Super Admin role is held, never given)")
            }
            let (operation, local) = try person(body, role: role)
            try APIError.checkLimits(operation)
            let view = try await write(operation, team: team)
            if let local { try grantAccess(local.id, role, team: team) }
            return EditedResponse(status: .created, response: view)
        }
        api.put("/{team}/members/{member}") { request, context -> TeamView in
            let (team, member) = try await target(context)
            let body = try await request.decode(as: RoleRequest.self, context: context)
            guard let role = Role(name: body.role), role != .superAdmin else {
                throw APIError.badRequest("role must be guest, member or admin; got '\(body.role.prefix(40))' (the Super Admin role is held, never given)")
            }
            let view = try await write(.setRole(member, role), team: team)
            if let local = try services.accounts.account(person: member) { try grantAccess(local.id, role, team: team) }
            return view
        }
        api.delete("/{team}/members/{member}") { _, context -> TeamView in
            let (team, member) = try await target(context)
            let view = try await write(.removeMember(member), team: team)
            // A removed person of this node loses their access here too: otherwise, no longer
            // a member, their writes would go through as the node's.
            if let local = try services.accounts.account(person: member) { try grantAccess(local.id, nil, team: team) }
            return view
        }
    }

    /// Gives a person of this node `role` on this node's API for `team` (nil: none), keeping
    /// their profiles and overrides: the API lets their requests through by it.
    private func grantAccess(_ account: Int64, _ role: Role?, team: TeamID) throws {
        let key = team.description
        let current = try services.permissions.assignments(team: key).first { $0.account == account }?.assignment
        try services.permissions.assign(account: account, team: key,
                                        AccessAssignment(role: role, profiles: role == nil ? [] : current?.profiles ?? [],
                                                         overrides: role == nil ? [:] : current?.overrides ?? [:]))
    }

    /// The AddMember for the person a request names: a local account's person carries its name
    /// and this node as its device (the account is returned too); a person from elsewhere needs
    /// their public key and name.
    private func person(_ body: AddRequest, role: Role) throws -> (TeamOperation, Account?) {
        let id: NodeID
        do { id = try NodeID(parsing: body.person) } catch { throw APIError.badRequest("person must be a person's ID (as `elohim` or /auth/me shows it): \(error)") }
        let local: Account?
        do { local = try services.accounts.account(person: id) } catch { throw APIError(.internalServerError, "storage", "\(error)") }
        if let local, let key = local.personKey.flatMap(Ed25519PublicKey.init(bytes:)) {
            return (.addMember(publicKey: key, role: role, invite: nil, name: local.name, device: node.nodeID), local)
        }
        guard let hex = body.publicKey, let bytes = Hex.decode(hex), let key = Ed25519PublicKey(bytes: bytes) else {
            throw APIError.badRequest("\(id.short) is not a person on this node: give their publicKey (64 hex digits) and name as well")
        }
        guard NodeID(publicKey: key) == id else {
            throw APIError.badRequest("publicKey is not the key of person \(id.short): check both")
        }
        guard let name = body.name?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw APIError.badRequest("a person from another node needs a name")
        }
        return (.addMember(publicKey: key, role: role, invite: nil, name: name, device: nil), nil)
    }

    /// The route's team and member, which must be one of the team's.
    private func target(_ context: APIRequestContext) async throws -> (TeamID, NodeID) {
        let team = try context.teamID()
        let text = try context.parameters.require("member")
        let member: NodeID
        do { member = try NodeID(parsing: text) } catch { throw APIError.badRequest("member must be a member's ID (a person's or a node's): \(error)") }
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
                 members: state.memberIDs.map { id in
                     let person = state.members[id]?.person?.value
                     return MemberView(person: id.description, nodeId: id.description, kind: person == nil ? "node" : "person",
                                       name: person?.name ?? "", role: state.role(of: id)?.description ?? "none",
                                       devices: person.map { $0.device.map { [$0.description] } ?? [] } ?? [id.description])
                 })
    }
}
