import Foundation
import Hummingbird

/// Which `Host` and `Origin` headers the node answers (DESIGN.md section 7: any web page the
/// user visits can reach `127.0.0.1`).
///
/// Rules it keeps:
/// - `Host` must name this node: an IP address literal, `localhost`, or a name given with
///   `--allowed-host`. A page that rebinds its own DNS name to 127.0.0.1 sends its own name as
///   `Host` and is refused (DNS rebinding). A request without `Host` (HTTP/1.0 tools) passes:
///   browsers always send one.
/// - A browser request from another origin may not change anything: on every method but GET,
///   HEAD and OPTIONS, and on the WebSocket, an `Origin` header must be this node's own origin
///   (`http://` or `https://` and the request's `Host`), or one given with `--allowed-origin`.
///   `Origin: null` (sandboxed frames, files) is refused. Programs that send no `Origin` pass,
///   and so do WebSocket libraries that send a `ws://` or `wss://` one: a page's origin is
///   never a `ws` URL, so no browser can send it.
public struct OriginPolicy: Sendable, Equatable {
    /// Host names (without port) accepted besides IP literals and `localhost`, lower case.
    public var allowedHosts: [String]
    /// Origins (`scheme://host[:port]`) accepted besides the node's own, lower case.
    public var allowedOrigins: [String]

    public init(allowedHosts: [String] = [], allowedOrigins: [String] = []) {
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
        self.allowedOrigins = allowedOrigins.map { $0.lowercased().trimmingSuffix("/") }
    }

    /// Whether a request with this `Host` header may be answered.
    public func allows(host header: String?) -> Bool {
        guard let header else { return true }
        let name = Self.hostName(header)
        if name.isEmpty { return false }
        if name == "localhost" || Self.isIPLiteral(name) { return true }
        return allowedHosts.contains(name)
    }

    /// Whether a state-changing request (or a WebSocket) with this `Origin` may be served, given
    /// the request's `Host`.
    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin else { return true }
        let o = origin.lowercased().trimmingSuffix("/")
        // A browser sends exactly one Origin; several (joined by commas) are not trusted.
        if o == "null" || o.contains(",") { return false }
        if o.hasPrefix("ws://") || o.hasPrefix("wss://") { return true }
        if allowedOrigins.contains(o) { return true }
        guard let host = host?.lowercased() else { return false }
        return o == "http://\(host)" || o == "https://\(host)"
    }

    /// The host part of a `Host` header: `[::1]:8000` → `::1`, `example.org:80` → `example.org`.
    static func hostName(_ header: String) -> String {
        let h = header.lowercased().trimmingCharacters(in: .whitespaces)
        if h.hasPrefix("[") {
            guard let close = h.firstIndex(of: "]") else { return "" }
            return String(h[h.index(after: h.startIndex)..<close])
        }
        return String(h.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// A dotted IPv4 address or an IPv6 address (the brackets already removed).
    static func isIPLiteral(_ name: String) -> Bool {
        if name.contains(":") { return name.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in p.count <= 3 && !p.isEmpty && p.allSatisfy(\.isASCII) && Int(p).map { $0 <= 255 } == true }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

/// Enforces `OriginPolicy` on every request, before anything else reads it: 421 `host_refused`
/// for a `Host` that is not this node, 403 `origin_refused` for a cross-origin change.
struct BrowserSafetyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let policy: OriginPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = request.head.authority
        guard policy.allows(host: host) else {
            throw APIError(.misdirectedRequest, "host_refused",
                           "this node does not answer to the name '\(host ?? "")': use its address (e.g. 127.0.0.1), or start it with --allowed-host NAME")
        }
        let changes = ![.get, .head, .options].contains(request.method) || request.headers[.upgrade]?.lowercased() == "websocket"
        if changes, !policy.allows(origin: request.headers[.origin], host: host) {
            throw APIError(.forbidden, "origin_refused",
                           "a page from \(request.headers[.origin] ?? "?") may not change this node; open the node's own page, or start it with --allowed-origin")
        }
        return try await next(request, context)
    }
}

/// Decodes a JSON body only when it says it is JSON (`Content-Type: application/json`): a form
/// or `text/plain` post, which any page may send across origins without asking, gets 415.
public struct JSONBodyDecoder: RequestDecoder {
    let json = JSONDecoder()

    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard mediaType == "application/json" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send the body as JSON with the header Content-Type: application/json (got '\(contentType.isEmpty ? "none" : contentType)')")
        }
        return try await json.decode(type, from: request, context: context)
    }
}
