import Hummingbird
import MeshNode

/// `GET /health`: 200 with the node's identity and version while the node serves;
/// `GET /diagnostics`: the protocol cores' counters and the transport's traffic.
struct HealthRoutes: Sendable {
    let node: Node

    struct Health: ResponseCodable, Equatable {
        let status: String
        let nodeId: String
        let version: String
    }

    struct Diagnostics: ResponseCodable {
        let nodeId: String
        let version: String
        let node: NodeDiagnostics
        let transport: Transport.TransportStats?
        let links: Int
    }

    func register(on router: some RouterMethods<APIRequestContext>, transport: Transport?) {
        router.get("/health") { _, _ in
            Health(status: "ok", nodeId: node.nodeID.description, version: ElohimVersion.current)
        }
        router.get("/diagnostics") { _, _ in
            Diagnostics(nodeId: node.nodeID.description, version: ElohimVersion.current, node: await node.diagnostics(),
                        transport: transport?.stats, links: transport?.linkedPeers.count ?? 0)
        }
    }
}
