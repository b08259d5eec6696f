import Dispatch
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Logging
import MeshNode
import NIOCore
import Services
import Synchronization

/// Every JSON request body, through the node's real router (middleware, decoding, validation,
/// the services and the replica), as the node's operator: the first byte picks the route, the
/// rest is the body. Any 5xx is a finding (the API's rule: a client's input is never the node's
/// fault), and so is a trap.
///
/// One node serves the whole run, in a temporary folder, with a team, a workflow and an item
/// in it so route parameters name real things.
final class RequestsTarget: FuzzTarget, @unchecked Sendable {
    static let shared = RequestsTarget()

    struct Job: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let body: [UInt8]
        let done: @Sendable (Int) -> Void
    }

    /// The routes fuzzed, set once by the node's task before `ready` is signalled.
    final class Routes: @unchecked Sendable {
        var list: [(HTTPRequest.Method, String)] = []
    }

    private let jobs: AsyncStream<Job>.Continuation
    private let routes = Routes()

    private init() {
        let (stream, continuation) = AsyncStream<Job>.makeStream()
        jobs = continuation
        let ready = DispatchSemaphore(value: 0)
        let routes = self.routes
        Task.detached {
            do {
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-fuzz-\(getpid())")
                let logger = Logger(label: "fuzz")
                let node = try Node(dataDirectory: folder.path, logger: logger)
                var limits = RateLimiter.Limits()
                limits.enabled = false
                let services = try await NodeServices(node: node, passwordCost: .minimum, limits: limits)
                let app = buildApplication(node: node, services: services, address: HostPort(host: "127.0.0.1", port: 0), logger: logger)
                let auth = "Bearer \(services.operatorToken)"
                try await app.test(.router) { client in
                    func post(_ path: String, _ json: String) async throws -> String {
                        try await client.execute(uri: path, method: .post, headers: [.authorization: auth, .contentType: "application/json"],
                                                 body: ByteBuffer(string: json)) { r in
                            (try? JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any])?["id"] as? String ?? ""
                        }
                    }
                    _ = try await post("/api/v1/auth/register", #"{"username": "ada", "password": "a long passphrase"}"#)
                    let team = try await post("/api/v1/teams", #"{"name": "fuzz"}"#)
                    let workflow = try await post("/api/v1/teams/\(team)/workflows", #"{"name": "w", "stages": [{"name": "s", "roles": []}]}"#)
                    let item = try await post("/api/v1/teams/\(team)/items", #"{"workflow": "\#(workflow)", "title": "t"}"#)
                    routes.list = [
                            (.post, "/api/v1/auth/register"), (.post, "/api/v1/auth/login"), (.post, "/api/v1/auth/setup"),
                            (.post, "/api/v1/auth/password"), (.post, "/api/v1/teams"), (.post, "/api/v1/teams/\(team)/workflows"),
                            (.post, "/api/v1/teams/\(team)/items"), (.post, "/api/v1/teams/\(team)/items/\(item)/claim"),
                            (.put, "/api/v1/teams/\(team)/access/1"), (.put, "/api/v1/permission-profiles/p"),
                            (.post, "/api/v1/teams/\(team)/vault/files"), (.put, "/api/v1/teams/\(team)/vault/chunks/\(item)"),
                            (.post, "/api/v1/p2p/invites"), (.post, "/api/v1/p2p/notices"),
                    ]
                    ready.signal()
                    for await job in stream {
                        let status = try await client.execute(uri: job.path, method: job.method,
                                                              headers: [.authorization: auth, .contentType: "application/json"],
                                                              body: ByteBuffer(bytes: job.body)) { $0.status.code }
                        job.done(status)
                    }
                }
            } catch {
                FileHandle.standardError.write(Data("the fuzzing node did not start: \(error)\n".utf8))
                exit(3)
            }
        }
        ready.wait()
    }

    func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let (method, path) = routes.list[Int(first) % routes.list.count]
        let answered = DispatchSemaphore(value: 0)
        let status = Atomic<Int>(0)
        jobs.yield(Job(method: method, path: path, body: Array(bytes.dropFirst())) { code in
            status.store(code, ordering: .relaxed)
            answered.signal()
        })
        answered.wait()
        let code = status.load(ordering: .relaxed)
        if code >= 500 {
            fatalError("\(method) \(path) answered \(code) to the body \(String(decoding: bytes.dropFirst(), as: UTF8.self))")
        }
    }
}
