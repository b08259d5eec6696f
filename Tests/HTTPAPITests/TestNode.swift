import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MeshNode
import Services
import Sodium
@testable import HTTPAPI

/// A node in a temporary folder with its services (cheapest Argon2id cost, a clock the test
/// moves) and the router, driven without a socket.
final class TestNode: Sendable {
    let folder: URL
    let node: Node
    let services: NodeServices
    let clock: TestClock

    final class TestClock: Sendable {
        private let ms = Mutex<UInt64>(1_800_000_000_000)
        var now: UInt64 { ms.withLock { $0 } }
        func advance(ms delta: UInt64) { ms.withLock { $0 += delta } }
    }

    init(limits: RateLimiter.Limits = .init()) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-http-\(UUID().uuidString)")
        node = try Node(dataDirectory: folder.path, logger: Logger(label: "test"))
        let clock = TestClock()
        self.clock = clock
        services = try await NodeServices(node: node, passwordCost: .minimum, limits: limits, clock: { clock.now })
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    var operatorHeaders: HTTPFields { [.authorization: "Bearer \(services.operatorToken)"] }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    /// Runs `body` against the router, as a JSON client would: a request with a body and no
    /// `Content-Type` gets `application/json` (the node refuses JSON under any other type).
    func test(options: HTTPOptions = HTTPOptions(), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await testRaw(options: options) { client in try await body(JSONClient(inner: client)) }
    }

    /// Runs `body` against the router with requests exactly as given.
    func testRaw(options: HTTPOptions = HTTPOptions(), _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(node: node, services: services, address: HostPort(host: "127.0.0.1", port: 0), options: options,
                                   logger: Logger(label: "test"))
        try await app.test(.router, body)
    }
}

/// A test client that labels bodies as JSON unless the test says otherwise.
struct JSONClient: TestClientProtocol {
    let inner: any TestClientProtocol
    var port: Int? { inner.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }
}

import Synchronization
