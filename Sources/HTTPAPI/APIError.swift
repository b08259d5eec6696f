import Foundation
import Hummingbird
import Replicas

/// Every error the API returns: JSON `{"error": {"code": "...", "message": "..."}}` with its
/// HTTP status. `code` is stable for programs; `message` says what was wrong and what to do.
/// A request that breaks a limit also names the `field` and the `limit`.
public struct APIError: HTTPResponseError, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]
    /// The request field at fault, when one is (e.g. `title`, `stages[2].name`).
    public var field: String?
    /// The limit it broke, as a user reads it (e.g. `1 to 1000 bytes (UTF-8)`).
    public var limit: String?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    struct Body: Encodable {
        struct Inner: Encodable { let code: String; let message: String; let field: String?; let limit: String? }
        let error: Inner
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONEncoder().encode(Body(error: .init(code: code, message: message, field: field, limit: limit)))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }

    /// Checks `operation` against `OpLimits` before it is written: a violation is 400 `limit_exceeded`.
    public static func checkLimits(_ operation: TeamOperation) throws(APIError) {
        do { try OpValidator.validate(operation) } catch { throw .limit(error) }
    }

    /// 400 `limit_exceeded` for a field that breaks one of the limits every replica enforces.
    public static func limit(_ v: OpLimitViolation) -> APIError {
        var e = APIError(.badRequest, "limit_exceeded", v.description)
        e.field = v.field
        e.limit = v.limit
        return e
    }

    public static func == (a: APIError, b: APIError) -> Bool { a.status == b.status && a.code == b.code && a.message == b.message }
}
