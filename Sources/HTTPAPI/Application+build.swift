import Hummingbird
import Logging
import MeshNode
import NIOCore

/// Builds the node's HTTP application: every route of Protocol/openapi.yaml over `node`.
///
/// - Parameters:
///   - node: the running node; the API is a thin adapter over it.
///   - address: where to listen (`127.0.0.1:8000` by default; port 0 picks a free port).
///   - onListening: called once with the address actually bound, for the start banner.
/// The node runs as one of the application's services, so the same graceful shutdown that stops
/// the HTTP server closes the node's database.
public func buildApplication(
    node: Node,
    address: HostPort,
    logger: Logger,
    onListening: @escaping @Sendable (HostPort) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(node: node)
    return Application(
        router: router,
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: "elohim/\(ElohimVersion.current)"),
        services: [node],
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? address.port
            await onListening(HostPort(host: address.host, port: bound))
        },
        logger: logger
    )
}

/// The router alone, so tests can drive it without a socket (`app.test(.router)`).
public func buildRouter(node: Node) -> Router<BasicRequestContext> {
    let router = Router()
    HealthRoutes(node: node).register(on: router)
    return router
}
