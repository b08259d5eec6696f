import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
@testable import HTTPAPI

/// The web page's files: served with their types and a strict policy, and nothing outside the
/// folder, however the path is spelled.
@Suite struct WebPageTests {
    /// A page folder beside a secret the page must never serve, and links pointing out.
    final class Site: Sendable {
        let base: URL
        let root: URL
        static let secret = "TOP-SECRET-KEY-MATERIAL"

        init() throws {
            base = FileManager.default.temporaryDirectory.appendingPathComponent("elohim-web-\(UUID().uuidString)")
            root = base.appendingPathComponent("Web")
            let fm = FileManager.default
            try fm.createDirectory(at: root.appendingPathComponent("js"), withIntermediateDirectories: true)
            try "<!doctype html><title>ElohimOS</title><script type=module src=js/app.js></script>".write(to: root.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            try String(repeating: "export const greeting = 'hello from the page';\n", count: 40).write(to: root.appendingPathComponent("js/app.js"), atomically: true, encoding: .utf8)
            try Self.secret.write(to: base.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
            try Self.secret.write(to: root.appendingPathComponent(".env.txt"), atomically: true, encoding: .utf8)
            try Self.secret.write(to: root.appendingPathComponent("keys.pem"), atomically: true, encoding: .utf8)
            try fm.createSymbolicLink(atPath: root.appendingPathComponent("link.txt").path, withDestinationPath: base.appendingPathComponent("secret.txt").path)
            try fm.createSymbolicLink(atPath: root.appendingPathComponent("out").path, withDestinationPath: base.path)
            try fm.createSymbolicLink(atPath: root.appendingPathComponent("inside.js").path, withDestinationPath: root.appendingPathComponent("js/app.js").path)
        }

        deinit { try? FileManager.default.removeItem(at: base) }
    }

    static func withPage(_ site: Site?, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let t = try await TestNode()
        let page = try site.map { try #require(WebPage(folder: $0.root)) }
        let app = buildApplication(node: t.node, services: t.services, address: .init(host: "127.0.0.1", port: 0), web: page, logger: Logger(label: "test"))
        try await app.test(.router, body)
    }

    @Test func theIndexComesWithTheStrictPolicyAndTheSafetyHeaders() async throws {
        let site = try Site()
        try await Self.withPage(site) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let csp = try #require(response.headers[.contentSecurityPolicy])
                #expect(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"))
                #expect(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"))
                #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains("*"), "\(csp)")
                #expect(response.headers[FieldName("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[FieldName("Referrer-Policy")!] == "no-referrer")
                #expect(response.headers[FieldName("X-Frame-Options")!] == "DENY")
                #expect(String(buffer: response.body).contains("<title>ElohimOS</title>"))
            }
            try await client.execute(uri: "/js/app.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.contentEncoding] == nil, "no gzip unless asked")
            }
            try await client.execute(uri: "/inside.js", method: .get) { response in
                #expect(response.status == .ok, "a link that stays inside the folder is fine")
            }
        }
    }

    @Test func gzipWhenAskedAndNotModifiedByETag() async throws {
        let site = try Site()
        try await Self.withPage(site) { client in
            let plain = try await client.execute(uri: "/js/app.js", method: .get) { $0 }
            let etag = try #require(plain.headers[.eTag])
            try await client.execute(uri: "/js/app.js", method: .get, headers: [.acceptEncoding: "br, gzip;q=0.8"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(Array(response.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
                #expect(response.body.readableBytes < plain.body.readableBytes / 4)
            }
            try await client.execute(uri: "/js/app.js", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil, "q=0 refuses gzip")
            }
            try await client.execute(uri: "/js/app.js", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/js/app.js", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func noSpellingOfAPathReachesOutsideTheFolderOrAHiddenFile() async throws {
        let site = try Site()
        let attempts = [
            "/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/js/../../secret.txt", "/js/..%2f..%2fsecret.txt",
            "/js/%2e%2e%2f%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/%252e%252e/secret.txt", "//secret.txt", "/./index.html",
            "/link.txt", "/out/secret.txt", "/.env.txt", "/%2eenv.txt", "/keys.pem", "/index.html%00.js",
            "/js/", "/js", "/" + String(repeating: "a/", count: 20) + "x.js", "/" + String(repeating: "x", count: 300) + ".js",
            "/%ff%fe.js", "/secret.txt",
        ]
        try await Self.withPage(site) { client in
            for path in attempts {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .notFound || response.status == .badRequest, "\(path): \(response.status)")
                    #expect(!String(buffer: response.body).contains(Site.secret), "\(path) leaked the secret")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "\(path) is not a page file")
                }
            }
        }
    }

    @Test func relativePathsFollowTheRules() {
        #expect(WebPage.relativePath("/") == ["index.html"])
        #expect(WebPage.relativePath("/js/app.js") == ["js", "app.js"])
        #expect(WebPage.relativePath("/vendor/marked/marked.min.js") == ["vendor", "marked", "marked.min.js"])
        #expect(WebPage.relativePath("/a%20b.js") == ["a b.js"])
        for refused in ["", "js/app.js", "/../x", "/a/./b", "/a//b", "/a/", "/%2e%2e", "/%2f", "/a%5cb", "/a%00", "/.git", "/%zz"] {
            #expect(WebPage.relativePath(refused) == nil, "\(refused)")
        }
    }

    @Test func theAPIIsUntouchedAndOnlyGetsAreServed() async throws {
        let site = try Site()
        try await Self.withPage(site) { client in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/teams", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/index.html", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status != .ok, "a POST is not a page request")
            }
        }
    }

    @Test func withoutAPageTheRootSaysHowToGiveOne() async throws {
        try await Self.withPage(nil) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .notFound)
                let text = String(buffer: response.body)
                #expect(text.contains("no_web_page") && text.contains("--web-root"))
            }
        }
        #expect(WebPage(folder: URL(fileURLWithPath: "/nonexistent-elohim-web")) == nil)
    }
}
