import Hummingbird
import MeshNode
import NIOCore

/// `GET /metrics`: Prometheus text exposition (public, like /health: the API listens on
/// loopback unless told otherwise).
struct MetricsRoutes: Sendable {
    let node: Node
    let transport: Transport?
    let metrics: NodeMetrics

    func register(on router: some RouterMethods<APIRequestContext>) {
        router.get("/metrics") { _, _ -> Response in
            let text = await metrics.scrape(node: node, linked: transport?.linkedPeers.count ?? 0)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
