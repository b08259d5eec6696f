import Hummingbird
import MeshCore
import MeshNode
import Services

/// Finds the caller from `Authorization: Bearer <token>`: a login token or the node's operator
/// token. It refuses nothing itself, so the audit middleware after it can name the caller of
/// every request it records; `PermissionMiddleware` refuses later. The rest of the request runs
/// with `ActingPerson.current` set to the caller's person, so what it writes in a team where
/// that person is a member is signed by them (PROTOCOL.md section 13).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let services: NodeServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let token = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : ""
            if token.isEmpty || token.utf8.count > 4_096 {
                context.authFailure = APIError(.unauthorized, "unauthorized", "the Authorization header must be 'Bearer <token>'")
            } else {
                do { (context.caller, context.token) = try await services.session(bearer: token) } catch {
                    let code = switch error {
                    case .expired: "token_expired"
                    case .revoked: "token_revoked"
                    default: "token_invalid"
                    }
                    context.authFailure = APIError(.unauthorized, code, error.description)
                }
            }
        }
        return try await ActingPerson.$current.withValue(services.actingPerson(for: context.caller)) {
            try await next(request, context)
        }
    }
}
