import Hummingbird
import Services

/// Finds the caller from `Authorization: Bearer <token>`: a login token or the node's operator
/// token. It refuses nothing itself, so the audit middleware after it can name the caller of
/// every request it records; `RequireCallerMiddleware` refuses later.
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
                do { context.caller = try await services.caller(bearer: token) } catch {
                    context.authFailure = APIError(.unauthorized, error == .expired ? "token_expired" : "token_invalid", error.description)
                }
            }
        }
        return try await next(request, context)
    }
}

/// Refuses a request with a bad token, and one without a caller outside the public paths:
/// `/health`, login and register (register checks for itself whether the node has a founder).
struct RequireCallerMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    static let publicPaths: Set<String> = ["/health", "/api/v1/auth/login", "/api/v1/auth/register"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let failure = context.authFailure { throw failure }
        if request.uri.path.hasPrefix("/api/") && !Self.publicPaths.contains(request.uri.path) { _ = try context.requireCaller() }
        return try await next(request, context)
    }
}
