import Foundation
import Hummingbird
import NIOCore

/// Serves the web page (`Web/`, DESIGN.md section 8) in front of the API's router: a GET or HEAD
/// for a path outside `/api/` that names a file of the page is answered here, before
/// authentication and the rate limits (the page is public and holds no secret; everything it
/// shows comes from the API, which checks every call). Anything else goes on to the router, so
/// the page's files are not API operations and stay out of Protocol/openapi.yaml.
///
/// Every file goes out with a strict Content-Security-Policy (scripts, styles, connections and
/// images from the node's own origin only; no inline script, no eval, no frames), `nosniff`,
/// `no-referrer` and `DENY` for framing, gzip when the browser takes it, and an ETag.
/// A header name (HTTPTypes' `HTTPField.Name`, reached through the type Hummingbird exports).
typealias FieldName = HTTPFields.Element.Name

struct WebMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    /// nil when the node has no page to serve (its folder was not found).
    let page: WebPage?

    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
        "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: contentSecurityPolicy,
        FieldName("X-Content-Type-Options")!: "nosniff",
        FieldName("Referrer-Policy")!: "no-referrer",
        FieldName("X-Frame-Options")!: "DENY",
        FieldName("Cross-Origin-Opener-Policy")!: "same-origin",
        FieldName("Cross-Origin-Resource-Policy")!: "same-origin",
    ]

    /// Paths the router serves outside `/api/`.
    static let routerPaths: Set<String> = ["/health", "/diagnostics", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard request.method == .get || request.method == .head, !path.hasPrefix("/api/"), !Self.routerPaths.contains(path) else {
            return try await next(request, context)
        }
        guard let page else {
            if path == "/" || path == "/index.html" {
                throw APIError(.notFound, "no_web_page",
                               "this node serves no web page: its files were not found; start it with --web-root DIR (the Web folder of a clone) or set ELOHIM_WEB")
            }
            return try await next(request, context)
        }
        guard let file = page.file(path) else { return try await next(request, context) }

        var headers = Self.securityHeaders
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = file.etag
        headers[.vary] = "Accept-Encoding"
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag }) {
            return Response(status: .notModified, headers: headers)
        }
        var body = file.bytes
        if let gzip = file.gzip, Self.acceptsGzip(request.headers[.acceptEncoding]) {
            headers[.contentEncoding] = "gzip"
            body = gzip
        }
        headers[.contentLength] = String(body.count)
        if request.method == .head { return Response(status: .ok, headers: headers, body: .init()) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Whether an Accept-Encoding value admits gzip (and does not refuse it with q=0).
    static func acceptsGzip(_ value: String?) -> Bool {
        guard let value else { return false }
        for item in value.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "gzip" || parts.first == "*" else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return q > 0
        }
        return false
    }
}
