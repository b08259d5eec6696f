import Assistant
import Hummingbird
import HummingbirdWebSocket
import Logging
import MeshNode
import NIOCore
import ServiceLifecycle
import Services

/// How the HTTP API faces browsers and scrapers (`elohim node run` flags).
public struct HTTPOptions: Sendable, Equatable {
    /// `--allowed-host`, `--allowed-origin`.
    public var origins = OriginPolicy()
    /// `--metrics-public`: `/metrics` without a token.
    public var metricsPublic = false
    /// `--ollama URL`: the model server the assistant's chats ask (default http://127.0.0.1:11434).
    public var ollama: ModelServerAddress = .ollamaDefault
    /// `--chat-model NAME`: the model a chat asks when none is named (else the first the server lists).
    public var chatModel: String?
    public init(origins: OriginPolicy = OriginPolicy(), metricsPublic: Bool = false) {
        self.origins = origins
        self.metricsPublic = metricsPublic
    }
}

/// Builds the node's HTTP application: every route of Protocol/openapi.yaml over `node`.
///
/// - Parameters:
///   - node: the running node; the API is a thin adapter over it.
///   - address: where to listen (`127.0.0.1:8000` by default; port 0 picks a free port).
///   - web: the web page's files, served at `/` (nil: no page; `/` answers a 404 that says how to give one).
///   - terminals: the node's terminals (nil: `--terminals off`, and their routes answer 404 `terminals_off`).
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
    options: HTTPOptions = HTTPOptions(),
    web: WebPage? = nil,
    terminals: TerminalService? = nil,
    logger: Logger,
    onListening: @escaping @Sendable (HostPort) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(node: node, services: services, transport: transport, trust: trust, options: options, web: web,
                             terminals: terminals, logger: logger)
    let background: [any Service] = (transport.map { [$0] } ?? []) + (terminals.map { [TerminalSweeper(terminals: $0)] } ?? [])
    let events = EventsEndpoint(services: services, node: node, hub: EventHub(node: node), origins: options.origins)
    let attach = TerminalAttachEndpoint(services: services, terminals: terminals, origins: options.origins)
    return Application(
        router: router,
        server: .http1WebSocketUpgrade { request, _, logger in
            if TerminalAttachEndpoint.sessionID(request.path) != nil { return await attach.shouldUpgrade(request, logger: logger) }
            return await events.shouldUpgrade(request, logger: logger)
        },
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
/// Every request passes, in order: metrics, error formatting, the browser checks (Host and Origin:
/// they come first, so a rebound name gets nothing, not even the page), the web page (GETs of its
/// files end there), authentication (finds the caller), the audit trail (records mutations and
/// denials; a mutation it cannot record is refused), the rate limits, then what each route
/// declares it needs (RouteRequirements: a caller, the founder, a permission).
public func buildRouter(node: Node, services: NodeServices, transport: Transport? = nil, trust: TrustStore? = nil,
                        options: HTTPOptions = HTTPOptions(), web: WebPage? = nil, terminals: TerminalService? = nil,
                        logger: Logger = Logger(label: "elohim.http")) -> Router<APIRequestContext> {
    buildRoutes(node: node, services: services, transport: transport, trust: trust, options: options, web: web, terminals: terminals,
                logger: logger).router
}

/// The router and the list of its routes (`METHOD /path`), for the spec conformance test.
func buildRoutes(node: Node, services: NodeServices, transport: Transport? = nil, trust: TrustStore? = nil,
                 options: HTTPOptions = HTTPOptions(), web: WebPage? = nil, terminals: TerminalService? = nil,
                 logger: Logger = Logger(label: "elohim.http"))
    -> (router: Router<APIRequestContext>, routes: [String]) {
    let router = Router(context: APIRequestContext.self)
    let metrics = NodeMetrics()
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorFormatMiddleware())
    router.add(middleware: BrowserSafetyMiddleware(policy: options.origins))
    router.add(middleware: WebMiddleware(page: web))
    router.add(middleware: AuthMiddleware(services: services))
    router.add(middleware: AuditMiddleware(services: services, logger: logger))
    router.add(middleware: RateLimitMiddleware(services: services))
    router.add(middleware: PermissionMiddleware(services: services, node: node, metricsPublic: options.metricsPublic))
    let table = RouteTable(router)
    AuthRoutes(services: services).register(on: table)
    AuditRoutes(services: services).register(on: table)
    HealthRoutes(node: node).register(on: table, transport: transport)
    P2PRoutes(node: node, transport: transport, trust: trust).register(on: table)
    PairingRoutes(node: node).register(on: table)
    TeamRoutes(node: node, services: services).register(on: table)
    WorkflowRoutes(service: WorkflowService(node: node), services: services).register(on: table)
    MessageRoutes(service: MessageService(node: node)).register(on: table)
    NotificationRoutes(node: node, services: services).register(on: table)
    MetricsRoutes(node: node, transport: transport, metrics: metrics).register(on: table)
    AccessRoutes(services: services, node: node).register(on: table)
    EventsRoute().register(on: table)
    VaultRoutes(node: node, services: services).register(on: table)
    DataRoutes(folder: node.folder.url.path, clock: services.clock).register(on: table)
    let assistant = AssistantRoutes(folder: node.folder.url.path)
    assistant.register(on: table)
    do {
        try AssistantChatRoutes(folder: node.folder.url.path, library: assistant.loader, ollama: OllamaClient(address: options.ollama),
                                defaultModel: options.chatModel).register(on: table)
    } catch {
        logger.error("the assistant's chats are off: their store cannot be opened", metadata: ["error": "\(error)"])
    }
    TerminalRoutes(terminals: terminals).register(on: table)
    WorkspaceFileRoutes(terminals: terminals).register(on: table)
    PanicRoutes(folder: node.folder.url.path, logger: logger).register(on: table)
    return (router, table.routes)
}
