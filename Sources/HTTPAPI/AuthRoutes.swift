import Foundation
import Hummingbird
import MeshNode
import Services
import Wire

/// `/api/v1/auth`: first-run setup, register, login, me, sign out, password change, and
/// `/api/v1/accounts` (the founder's list of accounts).
///
/// The first account of a node (its founder) is made only through the one-time setup link the
/// node prints at start (`POST /api/v1/auth/setup`) or by the node's operator (the CLI on the
/// node's machine: `elohim account create --founder`); after that only the founder registers
/// accounts.
struct AuthRoutes: Sendable {
    let services: NodeServices

    struct Credentials: Decodable { let username: String; let password: String }
    /// Registration: `name` is the person's display name (the username when absent).
    struct Registration: Decodable { let username: String; let password: String; let name: String? }
    struct SetupRequest: Decodable { let setupToken: String; let username: String; let password: String; let name: String? }
    struct PasswordRequest: Decodable { let currentPassword: String; let newPassword: String }
    struct SetupState: ResponseCodable { let needed: Bool }
    /// An account and the person it is: `person` is their ID (nil for the node's operator, and
    /// for an account made before persons existed until its next login).
    struct AccountView: ResponseCodable, Equatable {
        let id: Int64
        let username: String
        let name: String
        let person: String?
        /// The person's Ed25519 public key, 64 hex digits (another node's Admin adds them with it).
        let publicKey: String?
        let founder: Bool
        let createdAt: String
    }
    struct Accounts: ResponseCodable { let accounts: [AccountView] }
    struct TokenView: ResponseCodable { let token: String; let expiresAt: String; let account: AccountView }

    func register(on router: some RouterMethods<APIRequestContext>) {
        let auth = router.group("/api/v1/auth")
        auth.get("/setup") { _, _ -> SetupState in
            SetupState(needed: try Self.run { () throws(AccountError) in try services.accounts.count() == 0 })
        }
        auth.post("/setup") { request, context -> EditedResponse<TokenView> in
            let body = try await request.decode(as: SetupRequest.self, context: context)
            let account = try Self.run { () throws(AccountError) in
                try services.setUpFounder(secret: body.setupToken, username: body.username, name: body.name, password: body.password)
            }
            return EditedResponse(status: .created, response: try await token(for: account))
        }
        auth.post("/register") { request, context -> EditedResponse<AccountView> in
            let body = try await request.decode(as: Registration.self, context: context)
            let account = try Self.run { () throws(AccountError) in
                try services.register(username: body.username, name: body.name, password: body.password, by: context.caller)
            }
            return EditedResponse(status: .created, response: Self.view(account))
        }
        auth.post("/login") { request, context -> TokenView in
            let body = try await request.decode(as: Credentials.self, context: context)
            let account = try Self.run { () throws(AccountError) in
                try services.login(username: body.username, password: body.password)
            }
            return try await token(for: account)
        }
        auth.get("/me") { _, context -> AccountView in
            switch try context.requireCaller() {
            case let .account(a): return Self.view(a)
            case .nodeOperator:
                return AccountView(id: 0, username: "node-operator", name: "node operator", person: nil, publicKey: nil, founder: true, createdAt: Node.isoTime(0))
            }
        }
        auth.post("/logout") { _, context -> Response in
            _ = try context.requireCaller()
            guard let token = context.token else {
                throw APIError.badRequest("the operator token cannot sign out: it is the api-token file of the node's data folder")
            }
            do { try services.signOut(token) } catch { throw APIError(.internalServerError, "storage", "cannot sign out: \(error)") }
            return Response(status: .noContent)
        }
        auth.post("/password") { request, context -> TokenView in
            guard case let .account(me) = try context.requireCaller() else {
                throw APIError.badRequest("the node's operator has no password; sign in as an account to change its password")
            }
            let body = try await request.decode(as: PasswordRequest.self, context: context)
            let account = try Self.run { () throws(AccountError) in
                try services.changePassword(id: me.id, current: body.currentPassword, new: body.newPassword)
            }
            return try await token(for: account)
        }
        auth.post("/sessions/revoke") { _, context -> Response in
            guard case let .account(me) = try context.requireCaller() else {
                throw APIError.badRequest("the operator token has no sessions; replace the api-token file to change it")
            }
            try Self.run { () throws(AccountError) in try services.revokeSessions(id: me.id) }
            return Response(status: .noContent)
        }
        router.get("/api/v1/accounts") { _, _ -> Accounts in
            Accounts(accounts: try Self.run { () throws(AccountError) in try services.accounts.all() }.map(Self.view))
        }
        router.delete("/api/v1/accounts/{account}") { _, context -> Response in
            let text = try context.parameters.require("account")
            guard let id = Int64(text) else { throw APIError.badRequest("an account ID is a number; got '\(text)'") }
            try Self.run { () throws(AccountError) in try services.deleteAccount(id: id) }
            return Response(status: .noContent)
        }
    }

    private func token(for account: Account) async throws -> TokenView {
        let (token, expires) = try await services.tokens.issue(for: account, at: services.clock())
        return TokenView(token: token, expiresAt: Node.isoTime(expires), account: Self.view(account))
    }

    static func run<T>(_ body: () throws(AccountError) -> T) throws(APIError) -> T {
        do { return try body() } catch { throw apiError(error) }
    }

    static func view(_ a: Account) -> AccountView {
        AccountView(id: a.id, username: a.username, name: a.name, person: a.person?.description,
                    publicKey: a.personKey.map(Hex.encode), founder: a.founder,
                    createdAt: Node.isoTime(a.createdMs))
    }

    static func apiError(_ e: AccountError) -> APIError {
        switch e {
        case .badUsername, .badName, .weakPassword, .passwordTooLong: .badRequest(e.description)
        case .personKeys: APIError(.internalServerError, "person_keys", e.description)
        case .usernameTaken: APIError(.conflict, "username_taken", e.description)
        case .registrationClosed: APIError(.forbidden, "registration_closed", e.description)
        case .setupRequired: APIError(.forbidden, "setup_required", e.description)
        case .setupLinkInvalid: APIError(.forbidden, "setup_link_invalid", e.description)
        case .setupDone: APIError(.conflict, "setup_done", e.description)
        case .noSuchAccount: APIError.notFound(e.description)
        case .founderProtected: APIError(.forbidden, "founder_protected", e.description)
        case .invalidCredentials: APIError(.unauthorized, "invalid_credentials", e.description)
        case let .locked(ms): APIError(.init(code: 423), "account_locked", e.description, headers: [.retryAfter: String((ms + 999) / 1000)])
        case .storage: APIError(.internalServerError, "storage", e.description)
        }
    }
}
