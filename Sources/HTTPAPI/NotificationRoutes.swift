import Foundation
import Hummingbird
import MeshNode
import Replicas
import Services
import Wire

/// `GET /api/v1/notifications`: what the caller should look at, over every team they may view:
/// messages that mention them, and items (theirs, or ones they may claim) that are near or past
/// their stage's time. Derived from the replicas and the clock (`TeamState.notifications`);
/// what was already seen is the client's to say (`since`), so nothing is stored per reader.
struct NotificationRoutes: Sendable {
    let node: Node
    let services: NodeServices

    struct ItemRef: ResponseCodable { let id: String; let title: String; let stageName: String; let sla: String
        let assignee: String?; let assigneeName: String? }
    struct NotificationView: ResponseCodable {
        /// mention, sla-warning or overdue.
        let kind: String
        let team: String
        let teamName: String
        let atMs: UInt64
        let message: MessageRoutes.MessageView?
        let item: ItemRef?
    }
    struct Notifications: ResponseCodable { let notifications: [NotificationView]; let unread: Int }

    static let maxLimit = 200

    func register(on router: some RouterMethods<APIRequestContext>) {
        router.get("/api/v1/notifications") { request, context -> Notifications in
            let caller = try context.requireCaller()
            let q = request.uri.queryParameters
            let since = try q["since"].map { text throws -> UInt64 in
                guard let ms = UInt64(String(text)) else { throw APIError.badRequest("since must be a time in milliseconds since 1970 (the atMs of the newest notification seen)") }
                return ms
            } ?? 0
            let limit = try q["limit"].map { text throws -> Int in
                guard let n = Int(String(text)), (1...Self.maxLimit).contains(n) else { throw APIError.badRequest("limit must be 1 to \(Self.maxLimit)") }
                return n
            } ?? 50
            let now = Node.wallClockMs()
            var all: [NotificationView] = []
            for id in await node.teams() {
                let role = await memberRole(of: caller, team: id.description, on: node)
                guard (try? services.permissions.effective(for: caller, team: id.description, memberRole: role).allows(.workflowsView)) == true,
                      let state = await node.team(id) else { continue }
                var me: [NodeID] = []
                if case let .account(a) = caller, let person = a.person { me.append(person) }
                if caller.isFounderLevel { me.append(node.nodeID) }
                all += state.notifications(for: me, nowMs: now).map { Self.view($0, in: state, nowMs: now) }
            }
            all.sort { $0.atMs != $1.atMs ? $0.atMs > $1.atMs : ($0.team, $0.kind) < ($1.team, $1.kind) }
            return Notifications(notifications: Array(all.prefix(limit)), unread: all.filter { $0.atMs > since }.count)
        }
    }

    static func view(_ n: TeamNotification, in state: TeamState, nowMs: UInt64) -> NotificationView {
        NotificationView(kind: n.kind.rawValue, team: state.id.description, teamName: state.name.value, atMs: n.atMs,
                         message: n.message.map { MessageRoutes.view($0, in: state) },
                         item: n.item.map { i in
                             ItemRef(id: i.id.description, title: i.title, stageName: state.stage(of: i)?.name ?? "",
                                     sla: state.sla(of: i, nowMs: nowMs).rawValue, assignee: i.assignee?.description,
                                     assigneeName: i.assignee.flatMap { state.members[$0]?.person?.value.name })
                         })
    }
}
