import ArgumentParser
import HTTPAPI
import Hummingbird
import Logging
import MeshNode

/// `elohim node run`: starts one node and serves until SIGINT or SIGTERM.
struct NodeRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start a node and serve until Ctrl-C or SIGTERM.",
        discussion: """
        On start the node locks its data folder (a second node on the same folder stops at
        once and names the first one's pid), loads or makes its identity, checks its database
        (PRAGMA quick_check) and applies migrations. It then prints its node ID and addresses.

        SIGINT and SIGTERM shut it down cleanly: the HTTP server stops accepting, the database
        is closed, and the process exits with status 0.

        Examples:
          elohim node run
          elohim node run --data-dir /srv/elohim --http 127.0.0.1:8080
        """
    )

    @OptionGroup var folder: DataFolderOptions

    @Option(help: ArgumentHelp("Where the HTTP API listens. Port 0 picks a free port.", valueName: "host:port"))
    var http: String = "127.0.0.1:8000"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        do { _ = try HostPort(parsing: http) } catch { throw ValidationError("--http: \(error)") }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "elohim")
        let httpAddress = try HostPort(parsing: http)

        let node: Node
        do {
            node = try Node(dataDirectory: folder.dataDirectory, logger: logger)
        } catch {
            throw fail(error)
        }

        let nodeID = node.nodeID
        let dataPath = node.folder.url.path
        let app = buildApplication(node: node, address: httpAddress, logger: logger) { bound in
            FileHandleOutput.standardOutput("""
            elohim \(ElohimVersion.current) node running
              node ID: \(nodeID)
              data:    \(dataPath)
              http:    http://\(bound)
            Stop with Ctrl-C or SIGTERM.

            """)
        }
        do {
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            throw fail("node stopped: \(error)")
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
