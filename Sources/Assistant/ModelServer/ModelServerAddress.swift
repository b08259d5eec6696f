import Foundation

/// Where a model server listens: `http://HOST:PORT`, nothing more.
///
/// Rules it keeps: only `http` is accepted, since this client has no TLS stack (a model server is on
/// this machine or the LAN); a path, query, fragment or user in the URL is refused rather than
/// silently dropped; the port defaults to 11434 (Ollama's) when the URL names none.
public struct ModelServerAddress: Sendable, Hashable, CustomStringConvertible {
    public static let ollamaDefault = ModelServerAddress(host: "127.0.0.1", port: 11434)

    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `url`; throws `ModelServerError.badURL` saying what is wrong.
    public init(parsing url: String) throws(ModelServerError) {
        let text = url.trimmingCharacters(in: .whitespaces)
        // "localhost:11434" parses as the scheme "localhost": say what is missing instead.
        guard text.contains("://") else { throw .badURL(url, reason: "it lacks http:// in front") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw .badURL(url, reason: "it is not a URL")
        }
        guard scheme == "http" else {
            let why = scheme == "https"
                ? "https is not supported: this client speaks plain HTTP, for a server on this machine or the LAN"
                : "the scheme \(scheme) is not http"
            throw .badURL(url, reason: why)
        }
        guard let host = components.host, !host.isEmpty else { throw .badURL(url, reason: "it names no host") }
        guard components.user == nil, components.password == nil else { throw .badURL(url, reason: "it carries a user name or password") }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            throw .badURL(url, reason: "it has a path, query or fragment; the API's paths are added by the client")
        }
        let port = components.port ?? Self.ollamaDefault.port
        guard (1...65535).contains(port) else { throw .badURL(url, reason: "the port \(port) is out of range") }
        // URLComponents keeps an IPv6 literal's brackets in `host` on some platforms; NIO wants it bare.
        self.init(host: host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host, port: port)
    }

    /// `http://host:port`, with an IPv6 host in brackets.
    public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
