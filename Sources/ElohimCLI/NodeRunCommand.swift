import Assistant
import Foundation
import ArgumentParser
import NIOCore
import Foundation
import HTTPAPI
import Services
import Hummingbird
import Logging
import MeshCore
import MeshNode
import Wire
#if canImport(Glibc)
import Glibc
#endif

/// `elohim node run`: starts one node and serves until SIGINT or SIGTERM.
struct NodeRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a node and serve until Ctrl-C or SIGTERM.",
        discussion: """
        On start the node locks its data folder (a second node on the same folder stops at \
        once and names the first one's pid), loads or makes its identity, checks its database \
        (PRAGMA quick_check), applies migrations, rebuilds its teams from their ops, then \
        listens for the mesh (TCP and UDP on --listen) and the HTTP API (--http).

        A node links only with peers it trusts: those it paired with, and those given with \
        --peer. `--peer HOST:PORT` trusts whoever answers at that address; `--peer \
        NODEID@HOST:PORT` also checks that it is that node. Give each node its neighbours.

        The web page is served at the HTTP address's `/`, from --web-root DIR, else from \
        $ELOHIM_WEB, else from the Web folder of the source tree this binary was built from \
        (so `make run` serves it from a clone). Without one, the API still works and `/` says \
        how to give one.

        SIGINT and SIGTERM shut it down cleanly: links close, the database is closed, and the \
        process exits with status 0.

        Examples:
          elohim node run
          elohim node run --listen 0.0.0.0:7946 --peer 192.168.1.20:7946
          elohim node run --data-dir /srv/elohim --http 127.0.0.1:8080
        """
    )

    @OptionGroup var folder: DataFolderOptions

    @Option(help: ArgumentHelp("Where the mesh listens (TCP and UDP). Port 0 picks a free port.", valueName: "host:port"))
    var listen: String = "0.0.0.0:7946"

    @Option(help: ArgumentHelp("Where the HTTP API listens. Port 0 picks a free port.", valueName: "host:port"))
    var http: String = "127.0.0.1:8000"

    @Option(name: .customLong("web-root"), help: ArgumentHelp(
        "The web page's folder (default: $ELOHIM_WEB, else the Web folder of the source tree elohim was built from).",
        valueName: "dir"))
    var webRoot: String?

    @Option(name: .customLong("peer"), help: ArgumentHelp("A peer to link with: HOST:PORT or NODEID@HOST:PORT. Repeatable.",
                                                          valueName: "peer"))
    var peers: [String] = []

    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "A node ID to link with wherever it is found (on the LAN by mDNS, or when it dials in). Repeatable.",
        valueName: "node-id"))
    var trusted: [String] = []

    @Flag(name: .customLong("no-discovery"), help: "Do not publish or browse mDNS (_elohim._tcp).")
    var noDiscovery = false

    @Option(name: .customLong("gossip"), help: "How broadcasts travel: flood (every link) or tree (a spanning tree, announcements elsewhere).")
    var gossipMode: String = "flood"

    @Option(name: .customLong("dead-after"), help: ArgumentHelp(
        "Seconds a suspected peer has to answer before it is declared dead, fixed. Default: 1.25 s, "
            + "down to 0.75 s as other neighbours confirm the suspicion (a crash is known in about 3 s); "
            + "--dead-after 30 gives the original fixed 30 s.",
        valueName: "seconds"))
    var deadAfter: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .customLong("allowed-host"), help: ArgumentHelp(
        "A host name the HTTP API answers to besides IP addresses and localhost (what browsers send as Host). Repeatable.",
        valueName: "name"))
    var allowedHosts: [String] = []

    @Option(name: .customLong("allowed-origin"), help: ArgumentHelp(
        "A web origin (scheme://host:port) whose pages may change this node, besides the node's own page. Repeatable.",
        valueName: "origin"))
    var allowedOrigins: [String] = []

    @Flag(name: .customLong("metrics-public"), help: "Serve /metrics without a token (for a Prometheus scraper); otherwise the founder's or the operator's.")
    var metricsPublic = false

    @Option(name: .customLong("ollama"), help: ArgumentHelp(
        "The Ollama server the assistant's chats ask, as http://HOST:PORT (default: $ELOHIM_OLLAMA, else http://127.0.0.1:11434). Documents and search work without one.",
        valueName: "URL"))
    var ollama: String?

    @Option(name: .customLong("chat-model"), help: ArgumentHelp(
        "The model a chat asks when it names none (default: the first the Ollama server lists).", valueName: "name"))
    var chatModel: String?

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp(
        "API requests a minute per client address and per user (writes are limited to 30%, deletes to 20%); 0 turns the limits off, for load tests.",
        valueName: "n"))
    var rateLimit: Int = 100

    @Option(name: .customLong("workspace"), help: ArgumentHelp(
        "The folder terminals start in and the editor's files live in (default: workspace in the data folder, made when missing).",
        valueName: "dir"))
    var workspace: String?

    @Option(name: .customLong("terminals"), help: "on: terminals and the workspace editor for holders of terminal.use (the founder and Super Admins unless granted); off: none.")
    var terminals: String = "on"

    @Option(name: .customLong("terminal-log-days"), help: ArgumentHelp(
        "Log what is typed into and printed by every terminal, one asciicast file a session in terminal-logs/ of the data folder, kept this many days (0, the default: not logged; start and end are always audited).",
        valueName: "days"))
    var terminalLogDays: Int = 0

    func validate() throws {
        _ = try ModelServerOptions.address(given: ollama)
        guard ["on", "off"].contains(terminals) else { throw ValidationError("--terminals must be on or off; got '\(terminals)'") }
        guard (0...3650).contains(terminalLogDays) else { throw ValidationError("--terminal-log-days must be 0 (off) to 3650; got \(terminalLogDays)") }
        guard (0...1_000_000).contains(rateLimit) else { throw ValidationError("--rate-limit must be 0 (off) to 1000000; got \(rateLimit)") }
        do { _ = try HostPort(parsing: http) } catch { throw ValidationError("--http: \(error)") }
        do { _ = try HostPort(parsing: listen) } catch { throw ValidationError("--listen: \(error)") }
        for peer in peers {
            do { _ = try PeerAddress(parsing: peer) } catch { throw ValidationError("\(error)") }
        }
        for id in trusted {
            do { _ = try NodeID(parsing: id) } catch { throw ValidationError("--trust: \(error)") }
        }
        guard GossipConfiguration.Mode(rawValue: gossipMode) != nil else { throw ValidationError("--gossip must be flood, tree or source") }
        if let deadAfter, !(1...86_400).contains(deadAfter) { throw ValidationError("--dead-after must be 1 to 86400 seconds") }
        for host in allowedHosts where host.isEmpty || host.contains("/") || host.contains(" ") {
            throw ValidationError("--allowed-host takes a host name such as field-laptop.local; got '\(host)'")
        }
        for origin in allowedOrigins {
            guard let url = URL(string: origin), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.path.isEmpty || url.path == "/" else {
                throw ValidationError("--allowed-origin takes an origin such as http://field-laptop.local:8000; got '\(origin)'")
            }
        }
    }

    var coreConfiguration: NodeCore.Configuration {
        var c = NodeCore.Configuration()
        c.gossip.mode = GossipConfiguration.Mode(rawValue: gossipMode)!
        // Tree paths go up to the root and down again: twice the hops of a flood.
        c.gossip.ttl = c.gossip.mode != .flood ? GossipConfiguration.maximumTTL : c.gossip.ttl
        if let deadAfter { c.liveness.deadTimeout = .seconds(deadAfter) }
        return c
    }

    func run() async throws {
        // Before any link or upload allocates: keep freed heap pages (MemoryTuning says why).
        MemoryTuning.apply()
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "elohim")
        let httpAddress = try HostPort(parsing: http)
        let meshAddress = try HostPort(parsing: listen)
        let peerAddresses = try peers.map { try PeerAddress(parsing: $0) }
        let web = try webPage(logger: logger)

        let node: Node
        let trust: TrustStore
        do {
            node = try Node(dataDirectory: folder.dataDirectory, logger: logger, configuration: coreConfiguration)
            trust = try TrustStore(database: node.database)
        } catch let error as NodeStartError {
            throw fail(error)
        } catch {
            throw fail("cannot open the trust store: \(error)")
        }
        for id in trusted { trust.trust(try NodeID(parsing: id), source: .pinned) }
        var transportConfiguration = Transport.Configuration(listen: meshAddress, peers: peerAddresses)
        transportConfiguration.discovery = !noDiscovery
        let banner = Banner(nodeID: node.nodeID.description, data: node.folder.url.path, meshHost: meshAddress.host, web: web?.root.path)
        var httpOptions = HTTPOptions(origins: OriginPolicy(allowedHosts: allowedHosts, allowedOrigins: allowedOrigins),
                                      metricsPublic: metricsPublic)
        httpOptions.ollama = try ModelServerOptions.address(given: ollama)
        httpOptions.chatModel = chatModel
        let transport = Transport(configuration: transportConfiguration, endpoint: node, trust: trust,
                                  logger: logger) { port in await banner.mesh(port) }
        let services: NodeServices
        var limits = RateLimiter.Limits()
        if rateLimit == 0 {
            limits.enabled = false
            logger.warning("API rate limits are off (--rate-limit 0)")
        } else {
            limits.requests = rateLimit
            limits.writes = max(1, rateLimit * 3 / 10)
            limits.deletes = max(1, rateLimit / 5)
        }
        do { services = try await NodeServices(node: node, limits: limits) } catch { throw fail("cannot start the local services: \(error)") }
        await banner.setup(services.setupLinkSecret)
        var terminalService: TerminalService?
        if terminals == "on" {
            let folder = workspace ?? (node.folder.url.path as NSString).appendingPathComponent("workspace")
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw fail("cannot make the workspace folder \(folder): \(error.localizedDescription) (give another with --workspace, or --terminals off)")
            }
            let transcripts = terminalLogDays == 0 ? nil : TerminalService.TranscriptPolicy(
                folder: (node.folder.url.path as NSString).appendingPathComponent("terminal-logs"), days: terminalLogDays)
            terminalService = TerminalService(workspace: folder, transcripts: transcripts, services: services)
        }
        let app = buildApplication(node: node, services: services, transport: transport, trust: trust, address: httpAddress,
                                   options: httpOptions, web: web, terminals: terminalService, logger: logger) { bound in
            await banner.http(bound)
        }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            ListeningRecord.remove(folder: node.folder.url.path)
            throw fail(Self.explain(error, http: httpAddress))
        }
        ListeningRecord.remove(folder: node.folder.url.path)
    }
}

/// Prints the start banner once both the mesh and the HTTP API are listening.
actor Banner {
    let nodeID: String
    let data: String
    let meshHost: String
    let web: String?
    var meshPort: Int?
    var httpAddress: HostPort?
    var setupSecret: String?

    init(nodeID: String, data: String, meshHost: String, web: String?) {
        self.nodeID = nodeID
        self.data = data
        self.meshHost = meshHost
        self.web = web
    }

    func setup(_ secret: String?) { setupSecret = secret }
    func mesh(_ port: Int) { meshPort = port; printIfReady() }

    /// Tells the CLI where this node listens (node.json in the data folder).
    private func record(mesh: Int, http: HostPort) {
        let host = ["0.0.0.0", "::", ""].contains(http.host) ? "127.0.0.1" : http.host
        let record = ListeningRecord(nodeId: nodeID, pid: getpid(), http: "http://\(HostPort(host: host, port: http.port))",
                                     mesh: "\(meshHost):\(mesh)")
        do { try record.write(folder: data) } catch {
            FileHandleOutput.standardError("warning: cannot write \(ListeningRecord.fileName) in \(data) (\(error)); the CLI will need --api\n")
        }
    }
    func http(_ address: HostPort) { httpAddress = address; printIfReady() }

    private func printIfReady() {
        guard let meshPort, let httpAddress else { return }
        record(mesh: meshPort, http: httpAddress)
        var setup = ""
        if let setupSecret {
            // A wildcard address is not one a browser can open: the machine itself is.
            let host = ["0.0.0.0", "::", ""].contains(httpAddress.host) ? "127.0.0.1" : httpAddress.host
            let page = HostPort(host: host, port: httpAddress.port)
            setup = """
              setup:   http://\(page)/#setup=\(setupSecret)
            This node has no founder yet. Open the setup link above in a browser on this machine to
            create the founder's account (it works once; a restart makes a new one), or run
              elohim account create --founder --data-dir \(data)

            """
        }
        FileHandleOutput.standardOutput("""
        elohim \(ElohimVersion.current) node running
          node ID: \(nodeID)
          data:    \(data)
          mesh:    \(meshHost):\(meshPort)
          http:    http://\(httpAddress)
          page:    \(web.map { "http://\(httpAddress)/ (from \($0))" } ?? "none (start with --web-root DIR)")
        \(setup)Stop with Ctrl-C or SIGTERM.

        """)
    }
}

extension NodeRunCommand {
    /// Why the node stopped, in the user's words: a port taken or not ours names the address and
    /// the flag that chose it (as the mesh's own message does).
    static func explain(_ error: any Error, http: HostPort) -> String {
        let text = "\(error)"
        if let io = error as? IOError {
            switch io.errnoCode {
            case EADDRINUSE:
                return "cannot listen for the HTTP API on \(http): another program (another node?) uses that address. Pick another with --http HOST:PORT."
            case EACCES:
                return "cannot listen for the HTTP API on \(http): ports below 1024 need root. Pick another with --http HOST:PORT."
            case EADDRNOTAVAIL:
                return "cannot listen for the HTTP API on \(http): that address is not one of this machine's. Give one of its addresses with --http."
            default: break
            }
        }
        if text.contains("TransportError") || text.contains("cannot listen for the mesh") { return text }
        return "the node stopped: \(text)"
    }

    /// The Web folder of the source tree this file was compiled in (Sources/ElohimCLI/ → ../../Web).
    static let sourceTreeWeb = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Web")

    /// The page to serve: --web-root (which must exist), else $ELOHIM_WEB (which must exist), else
    /// the source tree's Web folder when it is there; nil, with a warning, when there is none.
    func webPage(logger: Logger) throws -> WebPage? {
        if let given = webRoot ?? ProcessInfo.processInfo.environment["ELOHIM_WEB"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let page = WebPage(folder: URL(fileURLWithPath: given)) else {
                throw fail("the web page's folder \(given) does not exist (from \(webRoot != nil ? "--web-root" : "$ELOHIM_WEB")): give the Web folder of a clone")
            }
            return page
        }
        guard let page = WebPage(folder: Self.sourceTreeWeb) else {
            logger.warning("no web page: \(Self.sourceTreeWeb.path) is not there; give --web-root DIR to serve one")
            return nil
        }
        return page
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
