import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Services
import Terminal

/// `GET /api/v1/terminal/sessions/{id}/attach` upgraded to a WebSocket: the session's
/// scrollback first, then its output as it comes, as binary frames (at most `frameBytes`
/// each); binary frames from the client are typed into the terminal; a text frame
/// `{"resize": {"cols": C, "rows": R}}` resizes it, and `{"signal": "INT"}` sends the process
/// group a signal named in `TerminalSignal` (any other name is answered with a text frame
/// `{"error": …}` and nothing is sent). When the process ends the client gets a
/// text frame `{"exit": {"code": N}}` (or `{"exit": {"signal": N}}`) and the socket closes.
///
/// Authenticated like the event stream (`Authorization: Bearer`, or `?token=`), with the same
/// Host and Origin checks; needs `terminal.use`, and the session must be the caller's. The
/// session outlives the socket: closing it detaches, and a later attach replays the scrollback.
/// A slow client slows the session's output (a bounded queue per client), never the node's memory.
struct TerminalAttachEndpoint: Sendable {
    let services: NodeServices
    let terminals: TerminalService?
    let origins: OriginPolicy

    static let frameBytes = 1 << 14
    static let maxInboundFrame = 1 << 14

    struct Control: Decodable {
        struct Size: Decodable { let cols: Int; let rows: Int }
        let resize: Size?
        let signal: String?
    }

    /// The session ID when `path` (its query aside) is an attachment's.
    static func sessionID(_ path: String?) -> String? {
        guard let path = path?.split(separator: "?").first else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 7, parts[..<5] == ["", "api", "v1", "terminal", "sessions"], parts[6] == "attach", !parts[5].isEmpty else { return nil }
        return String(parts[5])
    }

    func shouldUpgrade(_ request: HTTPRequest, logger: Logger) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        guard let id = Self.sessionID(request.path), let terminals else { return .dontUpgrade }
        let host = request.authority
        guard origins.allows(host: host), origins.allows(origin: request.headerFields[.origin], host: host) else {
            logger.notice("terminal attach refused: Host or Origin is not this node's", metadata: [
                "host": "\(host ?? "")", "origin": "\(request.headerFields[.origin] ?? "")"])
            return .dontUpgrade
        }
        // Any refusal goes on to the router, which answers it in the API's format (401, 403, 404).
        guard let token = EventsEndpoint.token(request), let caller = try? await services.caller(bearer: token),
              (try? services.permissions.holdsAnywhere(caller, .terminalUse)) == true,
              let session = try? await terminals.session(id, for: caller) else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            let (client, replay) = await session.attach()
            await terminals.attached(id)
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await message in inbound.messages(maxSize: Self.maxInboundFrame) {
                        switch message {
                        case let .binary(buffer):
                            try? await session.input(Array(buffer.readableBytesView))
                            await terminals.touch(id)
                        case let .text(text):
                            guard let control = try? JSONDecoder().decode(Control.self, from: Data(text.utf8)) else { continue }
                            if let size = control.resize { try? await session.resize(cols: size.cols, rows: size.rows) }
                            if let name = control.signal {
                                if let signal = TerminalSignal.named(name) {
                                    await session.signal(signal)
                                } else {
                                    let error = try JSONEncoder().encode(["error": "unknown signal '\(name.prefix(32))': send one of \(TerminalSignal.names)"])
                                    try await outbound.write(.text(String(decoding: error, as: UTF8.self)))
                                }
                            }
                        }
                    }
                }
                group.addTask {
                    try await Self.send(replay, to: outbound)
                    while let bytes = await session.next(client: client) { try await Self.send(bytes, to: outbound) }
                    if let status = await session.exitStatus {
                        let exit = switch status {
                        case let .exited(code): #"{"exit":{"code":\#(code)}}"#
                        case let .signalled(signal): #"{"exit":{"signal":\#(signal)}}"#
                        }
                        try await outbound.write(.text(exit))
                        // A close frame after the output, so the client reads all of it before the end.
                        try await outbound.close(.normalClosure, reason: "the process ended")
                    }
                }
                // Ends the attachment once the caller's session is no longer valid.
                group.addTask {
                    while (try? await self.services.caller(bearer: token)) != nil {
                        try await Task.sleep(for: EventsEndpoint.recheckInterval)
                    }
                }
                _ = try? await group.next()
                // Wakes the output task if it waits for output; the others stop on cancellation.
                await session.detach(client: client)
                if await session.hasExited {
                    // Closing the connection now would drop output still queued for a slow
                    // client: wait (5 s at most) for the client to answer the close frame.
                    group.addTask { try await Task.sleep(for: .seconds(5)) }
                    _ = try? await group.next()
                }
                group.cancelAll()
            }
            await session.detach(client: client)
            await terminals.detached(id)
        }
    }

    static func send(_ bytes: [UInt8], to outbound: WebSocketOutboundWriter) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + frameBytes, bytes.count)
            try await outbound.write(.binary(ByteBuffer(bytes: bytes[offset..<end])))
            offset = end
        }
    }
}
