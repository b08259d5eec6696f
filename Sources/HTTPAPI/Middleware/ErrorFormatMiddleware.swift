import Foundation
import Hummingbird

/// Puts every error the framework raises (an undecodable body, a missing parameter) into the
/// API's format, `{"error": {"code", "message"}}`, with its status; any other error becomes a
/// 500 `internal` whose message says so without leaking internals. Outermost of all.
struct ErrorFormatMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPResponseError {
            throw APIError(error.status, Self.code(error.status), Self.message(error))
        } catch let error as DecodingError {
            throw APIError.badRequest("the request body does not fit this route: \(Self.describe(error))")
        } catch {
            context.logger.error("unexpected error: \(error)", metadata: ["path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "the node failed to answer this request; its log says why")
        }
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        default: "http_\(status.code)"
        }
    }

    static func message(_ error: HTTPResponseError) -> String {
        if let e = error as? HTTPError, let m = e.body, !m.isEmpty { return m }
        return "\(error.status.reasonPhrase)"
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [any CodingKey]) -> String { c.map(\.stringValue).joined(separator: ".") }
        switch e {
        case let .keyNotFound(key, ctx): return "'\(path(ctx.codingPath + [key]))' is required"
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx): return "'\(path(ctx.codingPath))' has the wrong type"
        case let .dataCorrupted(ctx): return ctx.codingPath.isEmpty ? "not valid JSON" : "'\(path(ctx.codingPath))' is invalid"
        @unknown default: return "invalid"
        }
    }
}
