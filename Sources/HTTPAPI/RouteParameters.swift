import Hummingbird
import Replicas

/// Path parameters and body fields that name a team, workflow, item, chunk or blob: 64 hex
/// digits, else a 400 that says which one was wrong.
extension APIRequestContext {
    /// The route's `{team}`.
    func teamID() throws -> TeamID { try Self.opID(parameters.require("team"), "team") }

    /// The route's `{name}` parameter as an ID.
    func opID(_ name: String) throws -> OpID { try Self.opID(parameters.require(name), name) }

    static func opID(_ text: String, _ what: String) throws -> OpID {
        guard let id = OpID(hex: text) else { throw APIError.badRequest("a \(what) ID is 64 hex digits; got '\(text.prefix(80))'") }
        return id
    }
}
