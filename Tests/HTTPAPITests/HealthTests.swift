import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MeshNode
import Testing
@testable import HTTPAPI

@Suite struct HealthTests {
    @Test func healthReportsNodeIDAndVersion() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-http-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let node = try Node(dataDirectory: folder.path, logger: Logger(label: "test"))
        let app = buildApplication(node: node, address: HostPort(host: "127.0.0.1", port: 0), logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                #expect(body == ["status": "ok", "nodeId": node.nodeID.description, "version": ElohimVersion.current])
            }
        }
    }
}
