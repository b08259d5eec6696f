import Foundation
import Hummingbird
import MeshNode
import Replicas
import Services

/// Who may do what through this node: per team, each local account's role, profiles and
/// overrides (`/api/v1/teams/{team}/access`), and the named permission profiles
/// (`/api/v1/permission-profiles`). Values are spelled for people: `true`/`false` for boolean
/// permissions, `none`/`read`/`write`/`admin` for levels, `all`/`own`/`none` for scopes.
struct AccessRoutes: Sendable {
    let services: NodeServices
    /// Where a caller's person's role in a team is read (`memberRole(of:team:on:)`).
    let node: Node

    /// A permission value as JSON gives it: a boolean or a word.
    enum Value: Codable, Equatable {
        case bool(Bool), word(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) } else { self = .word(try c.decode(String.self)) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .bool(b): try c.encode(b)
            case let .word(w): try c.encode(w)
            }
        }
    }

    struct AssignRequest: Decodable { let role: String?; let profiles: [String]?; let overrides: [String: Value]? }
    struct AssignmentView: ResponseCodable { let account: Int64; let role: String?; let profiles: [String]; let overrides: [String: Value] }
    struct Assignments: ResponseCodable { let access: [AssignmentView] }
    struct EffectiveView: ResponseCodable { let basis: String; let permissions: [String: Value] }
    struct ProfileRequest: Decodable { let grants: [String: Value] }
    struct ProfileView: ResponseCodable { let name: String; let grants: [String: Value] }
    struct Profiles: ResponseCodable { let profiles: [ProfileView] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        router.get("/api/v1/teams/{team}/access") { _, context -> Assignments in
            let team = try context.parameters.require("team")
            return Assignments(access: try services.permissions.assignments(team: team).map { Self.view($0.account, $0.assignment) })
        }
        router.get("/api/v1/teams/{team}/access/me") { _, context -> EffectiveView in
            let team = try context.parameters.require("team")
            let caller = try context.requireCaller()
            let e = try services.permissions.effective(for: caller, team: team, memberRole: await memberRole(of: caller, team: team, on: node))
            return EffectiveView(basis: e.basis, permissions: Dictionary(uniqueKeysWithValues: Permission.allCases.map { ($0.rawValue, Self.value(e.grant($0))) }))
        }
        router.put("/api/v1/teams/{team}/access/{account}") { request, context -> AssignmentView in
            let team = try context.teamID().description
            let accountText = try context.parameters.require("account")
            guard let accountID = Int64(accountText), let target = try? services.accounts.account(id: accountID) else {
                throw APIError.notFound("no account \(accountText) on this node")
            }
            let body = try await request.decode(as: AssignRequest.self, context: context)
            var role: Role?
            if let name = body.role {
                guard let r = Role(name: name) else { throw APIError.badRequest("role must be guest, member, admin or super-admin; got '\(name)'") }
                if r == .superAdmin, context.caller?.isFounderLevel != true {
                    throw APIError(.forbidden, "permission_denied", "only the founder makes an account a Super Admin of a team")
                }
                role = r
            }
            try Self.checkRank(of: context.caller, over: target, team: team, newRole: role, services: services)
            let known = try services.permissions.profiles()
            for p in body.profiles ?? [] where known[p] == nil {
                throw APIError.badRequest("no permission profile '\(p)': create it with PUT /api/v1/permission-profiles/\(p)")
            }
            let assignment = AccessAssignment(role: role, profiles: body.profiles ?? [], overrides: try Self.grants(body.overrides ?? [:]))
            try services.permissions.assign(account: accountID, team: team, assignment)
            return Self.view(accountID, assignment)
        }
        router.get("/api/v1/permission-profiles") { _, _ -> Profiles in
            Profiles(profiles: try services.permissions.profiles().sorted { $0.key < $1.key }.map { ProfileView(name: $0.key, grants: Self.values($0.value)) })
        }
        router.put("/api/v1/permission-profiles/{name}") { request, context -> ProfileView in
            let name = try context.parameters.require("name")
            guard (1...64).contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw APIError.badRequest("a profile name is 1 to 64 letters, digits, '-', '_' or '.'")
            }
            let body = try await request.decode(as: ProfileRequest.self, context: context)
            let grants = try Self.grants(body.grants)
            do { try services.permissions.setProfile(name: name, grants: grants) } catch let e as PermissionStoreError {
                throw APIError(.conflict, "too_many_profiles", e.description)
            }
            return ProfileView(name: name, grants: Self.values(grants))
        }
    }

    /// Below the founder, `team.manage` reaches only accounts of a role no higher than the
    /// caller's own in the team, and gives no role above it: an Admin cannot demote a Super
    /// Admin, nor touch the founder's account.
    static func checkRank(of caller: Caller?, over target: Account, team: String, newRole: Role?, services: NodeServices) throws {
        guard case let .account(me)? = caller, !me.founder else { return }
        guard !target.founder else {
            throw APIError(.forbidden, "permission_denied", "the founder's access is not changed by anyone else")
        }
        let assignments = try services.permissions.assignments(team: team)
        let myRole = assignments.first { $0.account == me.id }?.assignment.role ?? .guest
        if let theirs = assignments.first(where: { $0.account == target.id })?.assignment.role, theirs > myRole {
            throw APIError(.forbidden, "permission_denied", "account \(target.id) is \(theirs) in this team, above your \(myRole): ask the founder")
        }
        if let newRole, newRole > myRole {
            throw APIError(.forbidden, "permission_denied", "you cannot give the role \(newRole), above your own (\(myRole))")
        }
    }

    static func grants(_ text: [String: Value]) throws -> [Permission: Grant] {
        var out: [Permission: Grant] = [:]
        for (key, value) in text {
            guard let p = Permission(rawValue: key) else {
                throw APIError.badRequest("unknown permission '\(key)'; known: \(Permission.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            switch (p.kind, value) {
            case let (.boolean, .bool(b)): out[p] = .allowed(b)
            case let (.level, .word(w)):
                guard let l = AccessLevel(name: w) else { throw APIError.badRequest("\(key) is a level: none, read, write or admin; got '\(w)'") }
                out[p] = .level(l)
            case let (.scope, .word(w)) where ["all", "own", "none"].contains(w):
                out[p] = w == "none" ? .denied : .scope(ownOnly: w == "own")
            case (.boolean, _): throw APIError.badRequest("\(key) is true or false")
            case (.level, _): throw APIError.badRequest("\(key) is a level: none, read, write or admin")
            case (.scope, _): throw APIError.badRequest("\(key) is a scope: all, own or none")
            }
        }
        return out
    }

    static func value(_ g: Grant) -> Value {
        switch g {
        case let .allowed(b): .bool(b)
        case let .level(l): .word(l.description)
        case let .scope(ownOnly): .word(ownOnly ? "own" : "all")
        case .denied: .word("none")
        }
    }

    static func values(_ g: [Permission: Grant]) -> [String: Value] {
        Dictionary(uniqueKeysWithValues: g.map { ($0.key.rawValue, value($0.value)) })
    }

    static func view(_ account: Int64, _ a: AccessAssignment) -> AssignmentView {
        AssignmentView(account: account, role: a.role?.description, profiles: a.profiles, overrides: values(a.overrides))
    }
}
