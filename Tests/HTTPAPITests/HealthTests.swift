import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MeshNode
import Testing
@testable import HTTPAPI

@Suite struct HealthTests {
    @Test func healthReportsNodeIDAndVersion() async throws {
        let t = try await TestNode()
        let node = t.node
        try await t.test { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                #expect(body == ["status": "ok", "nodeId": node.nodeID.description, "version": ElohimVersion.current])
            }
        }
    }
}
