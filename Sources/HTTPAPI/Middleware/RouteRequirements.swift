import Hummingbird
import MeshNode
import Services

/// What each route needs, declared in one table so a test can check that none is missing:
/// nothing (public), any caller, the founder (or the node's operator), or a permission in the
/// route's `{team}`.
enum Requirement: Sendable, Equatable {
    case open
    case caller
    case founder
    case team(Permission, AccessLevel)
    /// Node-wide rights held through some team (reading the audit log: Admins).
    case anyTeam(Permission)
    /// The founder (or the operator), or anyone when the node runs with `--metrics-public`.
    case metrics
}

enum RouteRequirements {
    /// `METHOD /path` (as the router spells it) → requirement.
    static let table: [String: Requirement] = [
        "GET /health": .open,
        "GET /diagnostics": .founder,
        "GET /metrics": .metrics,
        "GET /api/v1/auth/setup": .open,
        "POST /api/v1/auth/setup": .open,  // needs the setup link's secret, checked by the service
        "POST /api/v1/auth/register": .open,  // the store lets the operator make the founder, then only the founder
        "POST /api/v1/auth/login": .open,
        "GET /api/v1/auth/me": .caller,
        "POST /api/v1/auth/logout": .caller,
        "POST /api/v1/auth/password": .caller,
        "POST /api/v1/auth/sessions/revoke": .caller,
        "GET /api/v1/accounts": .founder,
        "DELETE /api/v1/accounts/{account}": .founder,
        "GET /api/v1/audit": .anyTeam(.auditRead),
        "GET /api/v1/events": .caller,
        "GET /api/v1/p2p/peers": .caller,
        "GET /api/v1/p2p/notices": .caller,
        "POST /api/v1/p2p/notices": .founder,
        "GET /api/v1/p2p/invites": .founder,
        "POST /api/v1/p2p/invites": .founder,
        "GET /api/v1/p2p/invites/{id}": .founder,
        "DELETE /api/v1/p2p/invites/{id}": .founder,
        "POST /api/v1/p2p/join": .founder,
        "GET /api/v1/teams": .caller,
        "POST /api/v1/teams": .founder,
        "GET /api/v1/teams/{team}": .team(.workflowsView, .read),
        "POST /api/v1/teams/{team}/members": .team(.teamManage, .read),
        "PUT /api/v1/teams/{team}/members/{member}": .team(.teamManage, .read),
        "DELETE /api/v1/teams/{team}/members/{member}": .team(.teamManage, .read),
        "GET /api/v1/teams/{team}/workflows": .team(.workflowsView, .read),
        "POST /api/v1/teams/{team}/workflows": .team(.workflowsCreate, .read),
        "GET /api/v1/teams/{team}/items": .team(.workflowsView, .read),
        "POST /api/v1/teams/{team}/items": .team(.itemsCreate, .read),
        "GET /api/v1/teams/{team}/items/{item}": .team(.workflowsView, .read),
        "POST /api/v1/teams/{team}/items/{item}/{step}": .team(.itemsWork, .read),
        "GET /api/v1/teams/{team}/messages": .team(.workflowsView, .read),
        "POST /api/v1/teams/{team}/messages": .team(.messagesPost, .read),
        "GET /api/v1/teams/{team}/channels": .team(.workflowsView, .read),
        // Each team's part is filtered by workflows.view inside: the caller sees only teams they may view.
        "GET /api/v1/notifications": .caller,
        "GET /api/v1/teams/{team}/access": .team(.teamManage, .read),
        "GET /api/v1/teams/{team}/access/me": .caller,
        "PUT /api/v1/teams/{team}/access/{account}": .team(.teamManage, .read),
        "PUT /api/v1/teams/{team}/vault/chunks/{chunk}": .team(.vaultAccess, .write),
        "GET /api/v1/teams/{team}/vault/chunks/{chunk}": .team(.vaultAccess, .read),
        "POST /api/v1/teams/{team}/vault/files": .team(.vaultAccess, .write),
        "GET /api/v1/teams/{team}/vault/files": .team(.vaultAccess, .read),
        "DELETE /api/v1/teams/{team}/vault/files/{blob}": .team(.vaultAccess, .write),
        // The data engine: each caller works on its own datasets (the operator as an account of its own).
        "GET /api/v1/data/datasets": .caller,
        "POST /api/v1/data/datasets": .caller,
        "DELETE /api/v1/data/datasets/{name}": .caller,
        "GET /api/v1/data/datasets/{name}/schema": .caller,
        "POST /api/v1/data/query": .caller,
        "POST /api/v1/data/export": .caller,
        "GET /api/v1/data/history": .caller,
        "POST /api/v1/data/json2xlsx": .caller,
        // The assistant: each caller searches its own documents (the operator as an account of its own).
        "GET /api/v1/assistant/documents": .caller,
        "POST /api/v1/assistant/documents": .caller,
        "DELETE /api/v1/assistant/documents/{id}": .caller,
        "POST /api/v1/assistant/search": .caller,
        "GET /api/v1/assistant/models": .caller,
        "GET /api/v1/assistant/chats": .caller,
        "POST /api/v1/assistant/chats": .caller,
        "GET /api/v1/assistant/chats/{id}": .caller,
        "DELETE /api/v1/assistant/chats/{id}": .caller,
        "POST /api/v1/assistant/chats/{id}/messages": .caller,
        // Terminals and the workspace's files: a shell on the node's machine (issue 22).
        "POST /api/v1/terminal/sessions": .anyTeam(.terminalUse),
        "GET /api/v1/terminal/sessions": .anyTeam(.terminalUse),
        "DELETE /api/v1/terminal/sessions/{id}": .anyTeam(.terminalUse),
        "GET /api/v1/terminal/sessions/{id}/attach": .anyTeam(.terminalUse),
        "GET /api/v1/workspace/files": .anyTeam(.terminalUse),
        "GET /api/v1/workspace/files/{path}": .anyTeam(.terminalUse),
        "PUT /api/v1/workspace/files/{path}": .anyTeam(.terminalUse),
        "GET /api/v1/permission-profiles": .founder,
        "PUT /api/v1/permission-profiles/{name}": .founder,
        // Destroys the node's keys and data (issue 18): never less than founder-level.
        "POST /api/v1/panic": .founder,
    ]
}

/// Enforces the table: 401 for a token that did not verify or a caller that is missing, 403
/// with the permission that is missing. Runs after the caller is known, the audit and the
/// limits; the effective permissions of a team route stay in the context for the handler
/// (which checks scopes such as "own items only").
struct PermissionMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let services: NodeServices
    /// Where a caller's person's role in a team is read (`memberRole(of:team:on:)`).
    let node: Node
    /// `--metrics-public`: /metrics for anyone (a Prometheus scraper without a token).
    var metricsPublic = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let failure = context.authFailure { throw failure }
        let key = "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path)"
        guard let requirement = RouteRequirements.table[key] else {
            // An unmatched path falls through to the router's 404 (under /api/ only for a
            // caller); a matched route missing from the table is refused, so forgetting to
            // declare one fails closed.
            if context.endpointPath == nil {
                if request.uri.path.hasPrefix("/api/") { _ = try context.requireCaller() }
                return try await next(request, context)
            }
            throw APIError(.forbidden, "forbidden", "route \(key) declares no permission; it is refused until it does")
        }
        var context = context
        switch requirement {
        case .open:
            break
        case .caller:
            _ = try context.requireCaller()
        case .founder:
            _ = try context.requireFounder(for: "do this (\(key))")
        case .metrics:
            if !metricsPublic { _ = try context.requireFounder(for: "read the metrics (or start the node with --metrics-public)") }
        case let .anyTeam(p):
            let caller = try context.requireCaller()
            guard try services.permissions.holdsAnywhere(caller, p) else { throw Self.denied(p, nil) }
        case let .team(p, level):
            let caller = try context.requireCaller()
            let team = try context.parameters.require("team")
            let effective = try services.permissions.effective(for: caller, team: team,
                                                               memberRole: await memberRole(of: caller, team: team, on: node))
            // A scope permission passes here if it covers at least one's own things.
            guard effective.allows(p, level: level, own: true) else { throw Self.denied(p, effective.basis) }
            context.permissions = effective
        }
        return try await next(request, context)
    }

    static func denied(_ p: Permission, _ basis: String?) -> APIError {
        APIError(.forbidden, "permission_denied",
                 "this needs the permission '\(p.rawValue)'\(basis.map { " (yours come from \($0))" } ?? ""): ask an Admin of the team")
    }
}
