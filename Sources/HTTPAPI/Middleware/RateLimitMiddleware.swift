import Hummingbird
import Services

/// 100 requests a minute, 30 of them writes and 20 deletes, per client address and per user
/// (each counted on its own); over the limit, 429 with `Retry-After` in seconds. The node's
/// operator (the CLI on the machine itself, holding the data folder's token) is not limited:
/// the limits guard the node against its clients, not against its owner.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let services: NodeServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let kind: RateLimiter.Kind = switch request.method {
        case .get, .head, .options: .read
        case .delete: .delete
        default: .write
        }
        if context.caller == .nodeOperator { return try await next(request, context) }
        var keys = ["address:\(context.clientAddress)"]
        if case let .account(a)? = context.caller { keys.append("user:\(a.id)") }
        for key in keys {
            if let waitMs = services.admit(key, kind: kind) {
                let seconds = (waitMs + 999) / 1000
                throw APIError(.tooManyRequests, "rate_limited",
                               "too many requests from this \(key.hasPrefix("user") ? "user" : "address"): retry in \(seconds) s",
                               headers: [.retryAfter: String(seconds)])
            }
        }
        return try await next(request, context)
    }
}
