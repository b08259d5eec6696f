import Hummingbird
import NIOCore
import Services

/// The request context of every route: Hummingbird's core storage, the client's address, and
/// the caller the authentication middleware found (nil for the public routes).
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var caller: Caller?
    /// On team routes: the caller's permissions in the route's team.
    public var permissions: EffectivePermissions?
    /// Set when an Authorization header was present but did not verify.
    var authFailure: APIError?
    /// What the caller's login token says (nil for the operator token or no token).
    public var token: TokenIssuer.Verified?
    /// JSON bodies are read only when they say they are JSON (`JSONBodyDecoder`).
    public var requestDecoder: JSONBodyDecoder { JSONBodyDecoder() }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        caller = nil
        authFailure = nil
        permissions = nil
        token = nil
    }

    /// The client's IP address, for rate limits and the audit log.
    public var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// The caller, or 401 when there is none.
    public func requireCaller() throws -> Caller {
        guard let caller else { throw APIError(.unauthorized, "unauthorized", "log in first: POST /api/v1/auth/login, then send Authorization: Bearer <token>") }
        return caller
    }

    /// The caller when founder-level (the founder account or the node's operator), else 403.
    public func requireFounder(for what: String) throws -> Caller {
        let caller = try requireCaller()
        guard caller.isFounderLevel else { throw APIError(.forbidden, "forbidden", "only the node's founder can \(what)") }
        return caller
    }
}
