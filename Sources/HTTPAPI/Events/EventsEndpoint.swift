import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import MeshNode
import Services

/// `GET /api/v1/events` upgraded to a WebSocket: the node's replica changes (with each op's
/// outcome: applied, rejected, or a conflict and who won), peer status, notices and pairings,
/// one JSON text frame per event. The client authenticates like any API call, with
/// `Authorization: Bearer <token>` (or `?token=` where a browser cannot set headers); it
/// receives replica events only for teams where it holds `workflows.view`, and peer and
/// pairing events only as the founder.
///
/// A browser's WebSocket is not bound by the same-origin rule, so the upgrade checks `Host` and
/// `Origin` like any change (`OriginPolicy`). The session is checked again every
/// `recheckInterval` and when its token expires: a stream ends once its token expires, is
/// signed out, or its account's sessions end or the account is deleted.
struct EventsEndpoint: Sendable {
    let services: NodeServices
    let node: Node
    let hub: EventHub
    let origins: OriginPolicy

    static let path = "/api/v1/events"
    static let recheckInterval: Duration = .seconds(2)

    /// The upgrade decision for one HTTP request; anything else goes on to the router.
    func shouldUpgrade(_ request: HTTPRequest, logger: Logger) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let path = request.path, path.split(separator: "?").first.map(String.init) == Self.path else { return .dontUpgrade }
        let host = request.authority
        // Not upgraded: the router answers in the API's error format (401, 403 or 421).
        guard origins.allows(host: host), origins.allows(origin: request.headerFields[.origin], host: host) else {
            logger.notice("event stream refused: Host or Origin is not this node's", metadata: [
                "host": "\(host ?? "")", "origin": "\(request.headerFields[.origin] ?? "")"])
            return .dontUpgrade
        }
        guard let token = Self.token(request), let caller = try? await services.caller(bearer: token) else { return .dontUpgrade }
        guard let (events, end) = hub.subscribe() else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, context in
            defer { end() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            // Stop when the client closes: drain inbound in a child task.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { for try await _ in inbound {} }
                // Ends the stream once the session is no longer valid.
                group.addTask {
                    while (try? await self.services.caller(bearer: token)) != nil {
                        try await Task.sleep(for: Self.recheckInterval)
                    }
                    try? await outbound.write(.text(#"{"type":"session-ended"}"#))
                }
                group.addTask {
                    try await outbound.write(.text(#"{"type":"hello"}"#))
                    for await event in events {
                        guard await self.visible(event, to: caller) else { continue }
                        let data = try encoder.encode(event)
                        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    func visible(_ e: APIEvent, to caller: Caller) async -> Bool {
        switch e.type {
        case "replica":
            guard let team = e.team else { return false }
            let role = await memberRole(of: caller, team: team, on: node)
            return (try? services.permissions.effective(for: caller, team: team, memberRole: role).allows(.workflowsView)) ?? false
        case "peer", "paired": return caller.isFounderLevel
        default: return true
        }
    }

    static func token(_ request: HTTPRequest) -> String? {
        if let header = request.headerFields[.authorization], header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
        guard let path = request.path, let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("token=") {
            return String(pair.dropFirst(6)).removingPercentEncoding
        }
        return nil
    }
}

/// What a plain GET of `/api/v1/events` gets: the route exists so the spec, the permission
/// table and the error format cover it; only an upgrade request is served.
struct EventsRoute: Sendable {
    func register(on router: some RouterMethods<APIRequestContext>) {
        router.get(RouterPath(stringLiteral: EventsEndpoint.path)) { _, _ -> Response in
            throw APIError(.badRequest, "websocket_required",
                           "this is a WebSocket endpoint: connect with 'Connection: Upgrade' and 'Upgrade: websocket'")
        }
    }
}
