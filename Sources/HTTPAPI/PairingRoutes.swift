import Foundation
import Hummingbird
import MeshCore
import MeshNode
import Replicas
import Wire

/// `/api/v1/p2p/invites` and `/api/v1/p2p/join`: pairing by code (PROTOCOL.md section 10).
///
/// The code itself is returned once, by the request that creates it; listings show its tag
/// and what became of it, never the code.
struct PairingRoutes: Sendable {
    let node: Node

    struct CreateRequest: Decodable {
        /// Team ID (64 hex digits) the joiner is added to, if any.
        let team: String?
        /// guest, member or admin; member by default (with a team).
        let role: String?
        /// Lifetime such as `7d`, `12h`; 7 days by default, 30 days at most.
        let expires: String?
    }


    struct JoinRequest: Decodable {
        let code: String
        /// HOST:PORT of the inviter's mesh port, when mDNS cannot find it.
        let via: String?
    }

    struct JoinView: ResponseCodable, Equatable {
        let inviter: String
        let address: String
        let team: String?
        let role: String?
        let message: String
    }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let api = router.group("/api/v1/p2p")
        api.post("/invites") { request, context -> EditedResponse<InviteView> in
            let body = try await request.decode(as: CreateRequest.self, context: context)
            let invite = try await create(body)
            return EditedResponse(status: .created, response: Self.view(invite, showCode: true))
        }
        api.get("/invites") { _, _ in
            InviteList(invites: await node.invites().reversed().map { Self.view($0, showCode: false) })
        }
        api.get("/invites/{id}") { _, context -> InviteView in
            let id = try context.parameters.require("id")
            guard let invite = await node.invites().first(where: { $0.id == id.uppercased() }) else {
                throw APIError.notFound("no invite \(id): list them with GET /api/v1/p2p/invites")
            }
            return Self.view(invite, showCode: false)
        }
        api.delete("/invites/{id}") { _, context -> InviteView in
            let id = try context.parameters.require("id").uppercased()
            return Self.view(try await revoke(id), showCode: false)
        }
        api.post("/join") { request, context -> JoinView in
            let body = try await request.decode(as: JoinRequest.self, context: context)
            return try await join(body)
        }
    }

    private func create(_ body: CreateRequest) async throws -> PairingInvite {
        var team: TeamID?
        if let text = body.team {
            guard let id = OpID(hex: text) else { throw APIError.badRequest("team must be a team ID of 64 hex digits; got '\(text)'") }
            team = id
        }
        var role = Role.member
        if let name = body.role {
            guard let r = Role(name: name), r != .superAdmin else {
                throw APIError.badRequest("role must be guest, member or admin; got '\(name)'")
            }
            guard team != nil else {
                throw APIError.badRequest("a role is a role in a team: give the team too (elohim invite --team TEAM --role \(name))")
            }
            role = r
        }
        var lifetime = InviteBook.defaultLifetimeMs
        if let text = body.expires {
            do { lifetime = try InviteBook.lifetimeMs(parsing: text) } catch { throw APIError.badRequest(error.description) }
        }
        do { return try await node.createInvite(team: team, role: role, lifetimeMs: lifetime) } catch { throw Self.apiError(error) }
    }

    private func revoke(_ id: String) async throws -> PairingInvite {
        do { return try await node.revokeInvite(id: id) } catch { throw Self.apiError(error) }
    }

    private func join(_ body: JoinRequest) async throws -> JoinView {
        let code: OmniCode
        do { code = try OmniCode(parsing: body.code) } catch { throw APIError.badRequest(error.description) }
        var via: HostPort?
        if let text = body.via {
            do { via = try HostPort(parsing: text) } catch { throw APIError.badRequest("via: \(error)") }
        }
        switch await node.join(code: code, via: via) {
        case let .success(r):
            return JoinView(inviter: r.inviter.description, address: r.address.description, team: r.team?.description,
                            role: r.role?.description, message: r.message)
        case let .failure(failure):
            throw Self.apiError(failure)
        }
    }

    static func view(_ i: PairingInvite, showCode: Bool) -> InviteView {
        let now = Node.wallClockMs()
        return InviteView(id: i.id, code: showCode ? i.code.description : nil, tag: i.code.tag, status: i.status(at: now).rawValue,
                          createdAt: Node.isoTime(i.createdMs), expiresAt: Node.isoTime(i.expiresMs), attempts: i.attempts, failures: i.failures,
                          usedBy: i.usedBy?.description, team: i.grant?.team.description, role: i.grant?.role.description)
    }

    static func apiError(_ error: PairingAPIError) -> APIError {
        switch error {
        case .invite(.noSuchInvite): APIError.notFound(error.description)
        case .invite(.notOpen): APIError(.conflict, "invite_closed", error.description)
        case .invite(.tooManyOpen): APIError(.conflict, "too_many_invites", error.description)
        case .invite: APIError.badRequest(error.description)
        case .noSuchTeam: APIError.notFound(error.description)
        case .teamRefused: APIError(.forbidden, "team_refused", error.description)
        case .storage: APIError(.internalServerError, "storage", error.description)
        }
    }

    static func apiError(_ failure: PairingFailure) -> APIError {
        switch failure {
        case .wrongCode: APIError(.forbidden, "wrong_code", failure.description)
        case let .refused(reason, _): APIError(.forbidden, "code_" + reason.rawValue.replacingOccurrences(of: "-", with: "_"), failure.description)
        case .unreachable: APIError(.notFound, "inviter_not_found", failure.description)
        case .incomplete: APIError(.badGateway, "pairing_incomplete", failure.description)
        default: APIError(.badGateway, "pairing_failed", failure.description)
        }
    }
}

/// The API's view of an invite; the CLI decodes the same type.
public struct InviteView: ResponseCodable, Equatable, Sendable {
    public let id: String
    /// Only in the response that created the invite.
    public let code: String?
    public let tag: String
    public let status: String
    public let createdAt: String
    public let expiresAt: String
    public let attempts: Int
    public let failures: Int
    public let usedBy: String?
    public let team: String?
    public let role: String?
}

public struct InviteList: ResponseCodable, Sendable { public let invites: [InviteView] }
