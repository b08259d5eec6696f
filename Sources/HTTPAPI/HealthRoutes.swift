import Hummingbird
import MeshNode

/// `GET /health`: 200 with the node's identity and version while the node serves.
struct HealthRoutes: Sendable {
    let node: Node

    struct Health: ResponseCodable, Equatable {
        let status: String
        let nodeId: String
        let version: String
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in
            Health(status: "ok", nodeId: node.nodeID.description, version: ElohimVersion.current)
        }
    }
}
