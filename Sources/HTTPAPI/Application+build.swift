import Hummingbird
import Logging
import MeshNode
import NIOCore
import ServiceLifecycle

/// Builds the node's HTTP application: every route of Protocol/openapi.yaml over `node`.
///
/// - Parameters:
///   - node: the running node; the API is a thin adapter over it.
///   - address: where to listen (`127.0.0.1:8000` by default; port 0 picks a free port).
///   - onListening: called once with the address actually bound, for the start banner.
/// The node runs as one of the application's services, with `services` (the transport) after it:
/// graceful shutdown stops them in reverse order, the node last, so its database closes after
/// every link is gone.
public func buildApplication(
    node: Node,
    transport: Transport? = nil,
    trust: TrustStore? = nil,
    address: HostPort,
    logger: Logger,
    onListening: @escaping @Sendable (HostPort) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(node: node, transport: transport, trust: trust)
    let services: [any Service] = transport.map { [$0] } ?? []
    return Application(
        router: router,
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: "elohim/\(ElohimVersion.current)"),
        services: [node] + services,
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? address.port
            await onListening(HostPort(host: address.host, port: bound))
        },
        logger: logger
    )
}

/// The router alone, so tests can drive it without a socket (`app.test(.router)`).
public func buildRouter(node: Node, transport: Transport? = nil, trust: TrustStore? = nil) -> Router<BasicRequestContext> {
    let router = Router()
    HealthRoutes(node: node).register(on: router, transport: transport)
    P2PRoutes(node: node, transport: transport, trust: trust).register(on: router)
    PairingRoutes(node: node).register(on: router)
    TeamRoutes(node: node).register(on: router)
    return router
}
