import Foundation
import Hummingbird
import MeshNode
import Services

/// `GET /api/v1/audit`: the audit trail, newest first, for the founder, the node's operator and
/// accounts holding `audit.read` in some team (Admins). Filters: `actor`, `action` (e.g. `POST /api/v1/teams`), `outcome` (ok, denied,
/// failed), `since` (ISO 8601), `limit` (1–500, default 100).
struct AuditRoutes: Sendable {
    let services: NodeServices

    struct EntryView: ResponseCodable {
        let id: Int64; let at: String; let actor: String; let action: String; let resource: String
        let client: String; let userAgent: String; let outcome: String; let status: Int
    }
    struct Entries: ResponseCodable { let entries: [EntryView] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        router.get("/api/v1/audit") { request, context -> Entries in
            let q = request.uri.queryParameters
            var filter = AuditLog.Filter()
            filter.actor = q["actor"].map(String.init)
            filter.action = q["action"].map(String.init)
            if let o = q["outcome"].map(String.init) {
                guard ["ok", "denied", "failed"].contains(o) else { throw APIError.badRequest("outcome must be ok, denied or failed; got '\(o)'") }
                filter.outcome = o
            }
            if let s = q["since"].map(String.init) {
                guard let date = try? Date(s, strategy: .iso8601) else {
                    throw APIError.badRequest("since must be an ISO 8601 time such as 2026-11-28T09:00:00Z; got '\(s)'")
                }
                filter.sinceMs = UInt64(max(0, date.timeIntervalSince1970 * 1000))
            }
            if let l = q["limit"].map(String.init) {
                guard let n = Int(l), (1...AuditLog.maxPage).contains(n) else { throw APIError.badRequest("limit must be 1 to \(AuditLog.maxPage); got '\(l)'") }
                filter.limit = n
            }
            do {
                return Entries(entries: try services.audit.entries(filter).map {
                    EntryView(id: $0.id ?? 0, at: Node.isoTime($0.atMs), actor: $0.actor, action: $0.action, resource: $0.resource,
                              client: $0.client, userAgent: $0.userAgent, outcome: $0.outcome, status: $0.status)
                })
            } catch { throw APIError(.internalServerError, "storage", "cannot read the audit log: \(error)") }
        }
    }
}
