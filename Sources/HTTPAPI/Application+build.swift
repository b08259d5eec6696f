import Hummingbird
import HummingbirdWebSocket
import Logging
import MeshNode
import NIOCore
import ServiceLifecycle
import Services

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
    services: NodeServices,
    transport: Transport? = nil,
    trust: TrustStore? = nil,
    address: HostPort,
    logger: Logger,
    onListening: @escaping @Sendable (HostPort) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(node: node, services: services, transport: transport, trust: trust, logger: logger)
    let background: [any Service] = transport.map { [$0] } ?? []
    let events = EventsEndpoint(services: services, hub: EventHub(node: node))
    return Application(
        router: router,
        server: .http1WebSocketUpgrade { request, _, logger in await events.shouldUpgrade(request, logger: logger) },
        configuration: .init(address: .hostname(address.host, port: address.port), serverName: "elohim/\(ElohimVersion.current)"),
        services: [node] + background,
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? address.port
            await onListening(HostPort(host: address.host, port: bound))
        },
        logger: logger
    )
}

/// The router alone, so tests can drive it without a socket (`app.test(.router)`).
///
/// Every request passes, in order: metrics, error formatting, authentication (finds the caller), the
/// audit trail (records mutations and denials), the rate limits, then what each route declares
/// it needs (RouteRequirements: a caller, the founder, a permission).
public func buildRouter(node: Node, services: NodeServices, transport: Transport? = nil, trust: TrustStore? = nil,
                        logger: Logger = Logger(label: "elohim.http")) -> Router<APIRequestContext> {
    buildRoutes(node: node, services: services, transport: transport, trust: trust, logger: logger).router
}

/// The router and the list of its routes (`METHOD /path`), for the spec conformance test.
func buildRoutes(node: Node, services: NodeServices, transport: Transport? = nil, trust: TrustStore? = nil,
                 logger: Logger = Logger(label: "elohim.http")) -> (router: Router<APIRequestContext>, routes: [String]) {
    let router = Router(context: APIRequestContext.self)
    let metrics = NodeMetrics()
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorFormatMiddleware())
    router.add(middleware: AuthMiddleware(services: services))
    router.add(middleware: AuditMiddleware(services: services, logger: logger))
    router.add(middleware: RateLimitMiddleware(services: services))
    router.add(middleware: PermissionMiddleware(services: services))
    let table = RouteTable(router)
    AuthRoutes(services: services).register(on: table)
    AuditRoutes(services: services).register(on: table)
    HealthRoutes(node: node).register(on: table, transport: transport)
    P2PRoutes(node: node, transport: transport, trust: trust).register(on: table)
    PairingRoutes(node: node).register(on: table)
    TeamRoutes(node: node).register(on: table)
    WorkflowRoutes(service: WorkflowService(node: node), services: services).register(on: table)
    MetricsRoutes(node: node, transport: transport, metrics: metrics).register(on: table)
    AccessRoutes(services: services).register(on: table)
    EventsRoute().register(on: table)
    VaultRoutes(node: node, services: services).register(on: table)
    DataRoutes(folder: node.folder.url.path, clock: services.clock).register(on: table)
    return (router, table.routes)
}
