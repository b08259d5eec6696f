import Hummingbird
import Logging
import Services

/// Records every mutation (any method but GET, HEAD, OPTIONS) and every denial (401, 403, 423,
/// 429, whatever the method) in the audit log: who, what, which resource, when, from where,
/// with which user agent, and how it ended. It runs after `AuthMiddleware` (so it names the
/// caller) and before the browser checks, the limits and `PermissionMiddleware` (so it sees
/// their refusals).
///
/// Fail closed: a mutation is entered in the log as `pending` *before* it runs; when that entry
/// cannot be written the request is refused (503 `audit_unavailable`) and nothing changes.
/// Afterwards the entry is completed with the outcome.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let services: NodeServices
    let logger: Logger

    static let denials: Set<Int> = [401, 403, 423, 429]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let mutation = ![.get, .head, .options].contains(request.method)
        var pending: Int64?
        if mutation {
            do { pending = try services.record(entry(request, context, outcome: "pending", status: 0)) } catch {
                logger.critical("cannot write the audit log; refusing a change: \(error)", metadata: ["path": "\(request.uri.path)"])
                throw APIError(.serviceUnavailable, "audit_unavailable",
                               "the node cannot write its audit log, so it accepts no changes now; its log says why (a full disk?)")
            }
        }
        do {
            let response = try await next(request, context)
            finish(pending, request, context, status: response.status.code)
            return response
        } catch let error as HTTPResponseError {
            finish(pending, request, context, status: error.status.code)
            throw error
        } catch {
            finish(pending, request, context, status: 500)
            throw error
        }
    }

    private func finish(_ pending: Int64?, _ request: Request, _ context: Context, status: Int) {
        let outcome = status < 400 ? "ok" : Self.denials.contains(status) ? "denied" : "failed"
        do {
            if let pending {
                try services.audit.complete(pending, outcome: outcome, status: status)
            } else if Self.denials.contains(status) {
                try services.record(entry(request, context, outcome: outcome, status: status))
            }
        } catch {
            logger.error("cannot complete the audit entry: \(error)", metadata: ["path": "\(request.uri.path)"])
        }
    }

    private func entry(_ request: Request, _ context: Context, outcome: String, status: Int) -> AuditEntry {
        let actor = context.caller?.auditName ?? (request.headers[.authorization] == nil ? "anonymous" : "unverified")
        return AuditEntry(atMs: services.clock(), actor: actor,
                          action: "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path)",
                          resource: request.uri.path, client: context.clientAddress,
                          userAgent: request.headers[.userAgent] ?? "", outcome: outcome, status: status)
    }
}
