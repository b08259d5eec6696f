import Foundation
import JWTKit
import Sodium

/// Login tokens: JWTs signed with HS256 (jwt-kit) under a 32-byte key kept in the data folder
/// (`jwt-signing.key`, mode 0600, made on first start). A token names the account, the
/// account's token version when it was issued, and a random ID of its own (`jti`, so one token
/// can be signed out); it expires 24 hours after login. A tampered or expired token is
/// refused here; `NodeServices` also refuses an old version or a signed-out ID.
public struct TokenIssuer: Sendable {
    public static let lifetimeMs: UInt64 = 24 * 3_600_000
    public static let keyFileName = "jwt-signing.key"

    let keys: JWTKeyCollection

    /// What a token says.
    public struct Claims: JWTPayload, Equatable {
        public var sub: SubjectClaim
        public var exp: ExpirationClaim
        public var iat: IssuedAtClaim
        /// The node that issued it: a token from another node is refused.
        public var iss: IssuerClaim
        /// The account's token version at issue.
        public var ver: Int64
        public var jti: IDClaim

        public func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    let issuer: String

    public init(key: [UInt8], node: String) async {
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256)
        issuer = node
    }

    /// The key in `folder`, made there (0600) when missing; a short or unreadable file throws.
    public static func loadKey(folder: String) throws(TokenError) -> [UInt8] {
        let path = (folder as NSString).appendingPathComponent(keyFileName)
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            let key = Sodium.randomBytes(count: 32)
            guard fm.createFile(atPath: path, contents: Data(key), attributes: [.posixPermissions: 0o600]) else {
                throw .keyFile(path, "cannot create it")
            }
            return key
        }
        try NodeServices.checkPrivate(path)
        guard let data = fm.contents(atPath: path), data.count == 32 else {
            throw .keyFile(path, "it is not a 32-byte key; delete it to make a new one (every login token is then void)")
        }
        return [UInt8](data)
    }

    public func issue(for account: Account, at nowMs: UInt64) async throws(TokenError) -> (token: String, expiresMs: UInt64) {
        let expires = nowMs + Self.lifetimeMs
        let jti = Sodium.randomBytes(count: 16).map { String(format: "%02x", $0) }.joined()
        let claims = Claims(sub: .init(value: String(account.id)), exp: .init(value: Self.date(expires)),
                            iat: .init(value: Self.date(nowMs)), iss: .init(value: issuer), ver: account.tokenVersion,
                            jti: .init(value: jti))
        do { return (try await keys.sign(claims), expires) } catch { throw .cannotSign("\(error)") }
    }

    /// What a verified token says.
    public struct Verified: Sendable, Equatable {
        public var account: Int64
        public var version: Int64
        public var jti: String
        public var expiresMs: UInt64
    }

    /// What a token says, if it verifies, is this node's and has not expired at `nowMs`.
    public func verify(_ token: String, at nowMs: UInt64) async throws(TokenError) -> Verified {
        let claims: Claims
        do { claims = try await keys.verify(token, as: Claims.self) } catch { throw .invalid }
        guard claims.iss.value == issuer, let id = Int64(claims.sub.value) else { throw .invalid }
        guard Self.date(nowMs) < claims.exp.value else { throw .expired }
        return Verified(account: id, version: claims.ver, jti: claims.jti.value,
                        expiresMs: UInt64(max(0, claims.exp.value.timeIntervalSince1970 * 1000)))
    }

    static func date(_ ms: UInt64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }
}

public enum TokenError: Error, Equatable, CustomStringConvertible {
    case invalid
    case expired
    /// Signed out, or the account's sessions were ended (new password, sign out everywhere), or
    /// the account is gone.
    case revoked
    case cannotSign(String)
    case keyFile(String, String)

    public var description: String {
        switch self {
        case .invalid: "the token is not valid here: log in again (POST /api/v1/auth/login)"
        case .expired: "the token has expired: log in again (POST /api/v1/auth/login)"
        case .revoked: "this session has ended (signed out, password changed, or account removed): log in again"
        case let .cannotSign(why): "cannot sign a token: \(why)"
        case let .keyFile(path, why): "the token key \(path) is unusable: \(why)"
        }
    }
}
