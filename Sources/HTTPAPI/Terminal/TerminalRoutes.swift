import Foundation
import Hummingbird
import Services
import Terminal

/// `/api/v1/terminal/sessions`: open, list and end terminals (needs `terminal.use`; the
/// attachment itself is a WebSocket, `TerminalAttachEndpoint`). A caller sees only its own
/// sessions: another person's session is 404. When the node runs with `--terminals off`,
/// every route answers 404 `terminals_off`.
struct TerminalRoutes: Sendable {
    let terminals: TerminalService?

    static let sessions = "/api/v1/terminal/sessions"

    struct OpenRequest: Decodable { let command: String?; let cols: Int; let rows: Int }
    struct SessionList: ResponseEncodable { let sessions: [TerminalSessionInfo] }

    func register(on router: some RouterMethods<APIRequestContext>) {
        router.post(RouterPath(stringLiteral: Self.sessions)) { request, context -> EditedResponse<TerminalSessionInfo> in
            let terminals = try Self.on(terminals)
            let body = try await request.decode(as: OpenRequest.self, context: context)
            let caller = try context.requireCaller()
            let info = try await Self.mapped { () async throws(TerminalServiceError) in
                try await terminals.open(for: caller, command: body.command, cols: body.cols, rows: body.rows, client: context.clientAddress)
            }
            return EditedResponse(status: .created, response: info)
        }
        router.get(RouterPath(stringLiteral: Self.sessions)) { _, context -> SessionList in
            let terminals = try Self.on(terminals)
            return SessionList(sessions: await terminals.list(for: try context.requireCaller()))
        }
        router.delete(RouterPath(stringLiteral: Self.sessions + "/:id")) { _, context -> TerminalSessionInfo in
            let terminals = try Self.on(terminals)
            let id = try context.parameters.require("id")
            let caller = try context.requireCaller()
            return try await Self.mapped { () async throws(TerminalServiceError) in try await terminals.end(id, for: caller) }
        }
        // A plain GET of the attachment: 404 for a session that is not the caller's, else how to connect.
        router.get(RouterPath(stringLiteral: Self.sessions + "/:id/attach")) { _, context -> Response in
            let terminals = try Self.on(terminals)
            let id = try context.parameters.require("id")
            let caller = try context.requireCaller()
            _ = try await Self.mapped { () async throws(TerminalServiceError) in try await terminals.session(id, for: caller) }
            throw APIError(.badRequest, "websocket_required",
                           "this is a WebSocket endpoint: connect with 'Connection: Upgrade' and 'Upgrade: websocket'")
        }
    }

    static func on(_ terminals: TerminalService?) throws -> TerminalService {
        guard let terminals else { throw APIError(.notFound, "terminals_off", "terminals are off on this node: start it with --terminals on") }
        return terminals
    }

    /// Runs `body`, turning the service's errors into the API's.
    static func mapped<T>(_ body: () async throws(TerminalServiceError) -> T) async throws -> T {
        do { return try await body() } catch { throw apiError(error) }
    }

    static func apiError(_ e: TerminalServiceError) -> APIError {
        switch e {
        case .table(.tooManySessions):
            var error = APIError(.conflict, "too_many_sessions", e.description)
            error.limit = "\(TerminalLimits().sessionsPerPerson) sessions per person"
            return error
        case .table(.notFound): return APIError(.notFound, "not_found", e.description)
        case .pty(.badSize), .pty(.emptyCommand), .commandTooLong: return APIError.badRequest(e.description)
        case .pty(.workspaceMissing): return APIError(.serviceUnavailable, "workspace_missing", e.description)
        case .pty(.forkFailed), .pty(.writeFailed): return APIError(.serviceUnavailable, "terminal_unavailable", e.description)
        case .auditUnavailable: return APIError(.serviceUnavailable, "audit_unavailable", e.description)
        case .transcriptUnavailable: return APIError(.serviceUnavailable, "transcript_unavailable", e.description)
        }
    }
}

extension TerminalSessionInfo: ResponseEncodable {}
