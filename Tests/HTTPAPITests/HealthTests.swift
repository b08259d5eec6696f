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

@Suite struct MetricsTests {
    @Test func metricsCountRequestsByRouteAndMirrorTheCore() async throws {
        let t = try await TestNode()
        let auth = t.operatorHeaders
        try await t.test { client in
            _ = try await client.execute(uri: "/api/v1/teams", method: .post, headers: auth, body: ByteBuffer(string: #"{"name": "crew"}"#)) { $0.status }
            _ = try await client.execute(uri: "/api/v1/teams/nothex", method: .get, headers: auth) { $0.status }
            _ = try await client.execute(uri: "/api/v1/teams", method: .get) { $0.status }
            try await client.execute(uri: "/metrics", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                #expect(text.contains(#"elohim_http_requests_total{method="POST",route="/api/v1/teams",status="201"} 1"#), "\(text)")
                #expect(text.contains(#"elohim_http_requests_total{method="GET",route="/api/v1/teams/{team}",status="400"} 1"#))
                #expect(text.contains(#"elohim_http_requests_total{method="GET",route="/api/v1/teams",status="401"} 1"#))
                #expect(text.contains("elohim_http_request_duration_seconds_bucket"))
                #expect(text.contains("elohim_ops_written_total 1"), "the create-team op")
                #expect(text.contains("elohim_teams 1"))
                #expect(text.contains("elohim_peers_linked 0"))
                #expect(text.contains("elohim_vault_chunks_outstanding 0"), "nothing to fetch: the vault is empty")
            }
        }
    }
}
