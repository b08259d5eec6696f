import MeshNode
import Replicas
import Services

extension Node {
    /// The role `caller`'s person holds in `team` (a team ID in hex) as this node's replica
    /// folds it; nil for the operator, for an account without a person, for a person who is
    /// not a member and for a team this node does not hold. The permission checks take it as
    /// the caller's role in that team (PROTOCOL.md section 13).
    func memberRole(of caller: Caller?, team: String) -> Role? {
        guard case let .account(account)? = caller, let person = account.person, let id = OpID(hex: team) else { return nil }
        return self.team(id)?.role(of: person)
    }
}
