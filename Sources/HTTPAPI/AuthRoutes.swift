import Foundation
import Hummingbird
import MeshNode
import Services

/// `/api/v1/auth`: register, login, me. The first account registered on a node is its
/// founder; after that only the founder registers accounts.
struct AuthRoutes: Sendable {
    let services: NodeServices

    struct Credentials: Decodable { let username: String; let password: String }
    struct AccountView: ResponseCodable, Equatable { let id: Int64; let username: String; let founder: Bool; let createdAt: String }
    struct TokenView: ResponseCodable { let token: String; let expiresAt: String; let account: AccountView }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let auth = router.group("/api/v1/auth")
        auth.post("/register") { request, context -> EditedResponse<AccountView> in
            let body = try await request.decode(as: Credentials.self, context: context)
            do {
                let account = try services.accounts.register(username: body.username, password: body.password, by: context.caller,
                                                             at: services.clock())
                return EditedResponse(status: .created, response: Self.view(account))
            } catch let e as AccountError { throw Self.apiError(e) }
        }
        auth.post("/login") { request, context -> TokenView in
            let body = try await request.decode(as: Credentials.self, context: context)
            do {
                let account = try services.accounts.login(username: body.username, password: body.password, at: services.clock())
                let (token, expires) = try await services.tokens.issue(for: account, at: services.clock())
                return TokenView(token: token, expiresAt: Node.isoTime(expires), account: Self.view(account))
            } catch let e as AccountError { throw Self.apiError(e) }
        }
        auth.get("/me") { _, context -> AccountView in
            switch try context.requireCaller() {
            case let .account(a): return Self.view(a)
            case .nodeOperator: return AccountView(id: 0, username: "node-operator", founder: true, createdAt: Node.isoTime(0))
            }
        }
    }

    static func view(_ a: Account) -> AccountView {
        AccountView(id: a.id, username: a.username, founder: a.founder, createdAt: Node.isoTime(a.createdMs))
    }

    static func apiError(_ e: AccountError) -> APIError {
        switch e {
        case .badUsername, .weakPassword, .passwordTooLong: .badRequest(e.description)
        case .usernameTaken: APIError(.conflict, "username_taken", e.description)
        case .registrationClosed: APIError(.forbidden, "registration_closed", e.description)
        case .invalidCredentials: APIError(.unauthorized, "invalid_credentials", e.description)
        case let .locked(ms): APIError(.init(code: 423), "account_locked", e.description, headers: [.retryAfter: String((ms + 999) / 1000)])
        case .storage: APIError(.internalServerError, "storage", e.description)
        }
    }
}
