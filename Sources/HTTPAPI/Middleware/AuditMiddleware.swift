import Hummingbird
import Logging
import Services

/// Records every mutation (any method but GET, HEAD, OPTIONS) and every denial (401, 403, 423,
/// 429, whatever the method) in the audit log: who, what, which resource, when, from where,
/// with which user agent, and how it ended. It runs after `AuthMiddleware` (so it names the
/// caller) and before the limits and `PermissionMiddleware` (so it sees their refusals).
struct AuditMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let services: NodeServices
    let logger: Logger

    static let denials: Set<Int> = [401, 403, 423, 429]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let mutation = ![.get, .head, .options].contains(request.method)
        do {
            let response = try await next(request, context)
            if mutation || Self.denials.contains(response.status.code) { record(request, context, status: response.status.code) }
            return response
        } catch let error as HTTPResponseError {
            if mutation || Self.denials.contains(error.status.code) { record(request, context, status: error.status.code) }
            throw error
        } catch {
            if mutation { record(request, context, status: 500) }
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int) {
        let actor = context.caller?.auditName ?? (request.headers[.authorization] == nil ? "anonymous" : "unverified")
        let outcome = status < 400 ? "ok" : Self.denials.contains(status) ? "denied" : "failed"
        let entry = AuditEntry(atMs: services.clock(), actor: actor,
                               action: "\(request.method.rawValue) \(context.endpointPath ?? request.uri.path)",
                               resource: request.uri.path, client: context.clientAddress,
                               userAgent: request.headers[.userAgent] ?? "", outcome: outcome, status: status)
        do { try services.record(entry) } catch {
            logger.error("cannot write the audit log: \(error)", metadata: ["action": "\(entry.action)"])
        }
    }
}
